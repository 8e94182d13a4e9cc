import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { isPit, newPit } from '../ids.js';
import type { Store, TokenKind, TokenRow } from '../store/store.js';
import type { Scope } from './scopes.js';
import type { SigningKey } from './signing-key.js';

/** Who is calling: what a valid token grants. */
export interface Principal {
  tokenId: string;
  kind: TokenKind;
  locationId: string;
  scopes: ReadonlySet<string>;
  clientId: string | null;
  /** Epoch ms after which the token is no longer valid (Infinity: never expires). */
  expiresAtMs: number;
  /** Whose budget the request spends: the OAuth client's or the integration's, in this location. */
  rateKey: string;
}

/** Bounds the verdict cache; past it the cache starts over rather than grow without end. */
const CACHE_MAX = 100_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The verdict cache's key: the token's last characters. Optimization: a Map hashes every new
 * string key in full, and an OAuth token is about 880 characters, which cost 1 µs a request. The
 * end of a valid token is its signature or its random part, and the whole token is still
 * compared before a cached verdict is used.
 */
const verdictKey = (token: string): string => token.slice(-24);

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

function newClientId(): string {
  const suffix = Array.from(randomBytes(8), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return `${randomBytes(12).toString('hex')}-${suffix}`;
}

export interface IssueOptions {
  locationId: string;
  scopes: readonly Scope[];
  /** Lifetime in seconds; PITs default to never expiring, OAuth tokens to 86,399 s as the real service. */
  expiresIn?: number;
  /** A fixed PIT (fixtures); generated when absent. */
  token?: string;
  id?: string;
  clientId?: string;
  revoked?: boolean;
  now?: number;
}

export const OAUTH_DEFAULT_LIFETIME_S = 86_399;

/**
 * Issues and checks tokens. Optimization: a token is verified against the database (and a JWT's
 * signature checked) once; the verdict is then served from memory until the token expires or
 * the cache is dropped (a revocation anywhere bumps the store's revision).
 */
export class TokenService {
  private readonly verdicts = new Map<string, { token: string; principal: Principal }>();

  constructor(
    private readonly store: Store,
    private readonly key: SigningKey,
  ) {}

  /** Forgets every cached verdict: after a revocation here or in another process. */
  clear(): void {
    this.verdicts.clear();
  }

  /** Builds a new token and its row; the caller stores the row (alone or inside a dataset). */
  async issue(kind: TokenKind, options: IssueOptions): Promise<{ token: string; row: TokenRow }> {
    const now = options.now ?? Date.now();
    const id = options.id ?? randomUUID();
    const lifetime = options.expiresIn ?? (kind === 'oauth' ? OAUTH_DEFAULT_LIFETIME_S : undefined);
    const expiresAtMs = lifetime === undefined ? null : now + lifetime * 1000;
    const row: TokenRow = {
      id,
      locationId: options.locationId,
      kind,
      hash: null,
      scopes: [...options.scopes],
      clientId: kind === 'oauth' ? (options.clientId ?? newClientId()) : null,
      createdAt: new Date(now).toISOString(),
      expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString(),
      revokedAt: options.revoked ? new Date(now).toISOString() : null,
    };
    if (kind === 'pit') {
      const token = options.token ?? newPit();
      row.hash = hashToken(token);
      return { token, row };
    }
    const token = await new SignJWT({
      authClass: 'Location',
      authClassId: options.locationId,
      source: 'INTEGRATION',
      channel: 'OAUTH',
      sourceId: row.clientId,
      oauthMeta: { scopes: row.scopes, client: row.clientId },
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAtMs! / 1000))
      .setJti(id)
      .sign(this.key.privateKey);
    return { token, row };
  }

  /**
   * The cached verdict on a token, without I/O: its principal, null when it has expired, undefined
   * when there is none (the token must be verified).
   */
  cachedVerdict(token: string, now: number = Date.now()): Principal | null | undefined {
    const key = verdictKey(token);
    const cached = this.verdicts.get(key);
    if (cached === undefined || cached.token !== token) return undefined;
    if (cached.principal.expiresAtMs > now) return cached.principal;
    this.verdicts.delete(key);
    return null;
  }

  /** The principal of a bearer token, or null when it is malformed, unknown, forged, revoked or expired. */
  async authenticate(token: string): Promise<Principal | null> {
    const now = Date.now();
    const cached = this.cachedVerdict(token, now);
    if (cached !== undefined) return cached;
    const principal = isPit(token) ? await this.checkPit(token) : JWT_SHAPE.test(token) ? await this.checkJwt(token) : null;
    if (principal === null || principal.expiresAtMs <= now) return null;
    if (this.verdicts.size >= CACHE_MAX) this.verdicts.clear();
    // Another valid token with the same ending (never seen in practice) only takes the place.
    this.verdicts.set(verdictKey(token), { token, principal });
    return principal;
  }

  private async checkPit(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    const row = await this.store.findTokenByHash(hash);
    // The lookup is by hash already; the constant-time compare keeps it so if the index ever changes.
    if (!row || row.kind !== 'pit' || row.hash === null) return null;
    if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    return toPrincipal(row, Infinity);
  }

  private async checkJwt(token: string): Promise<Principal | null> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key.publicKey, { algorithms: ['RS256'], requiredClaims: ['jti', 'exp', 'iat'] }));
    } catch {
      return null;
    }
    if (payload.authClass !== 'Location' || typeof payload.authClassId !== 'string') return null;
    const row = await this.store.findTokenById(payload.jti!);
    if (!row || row.kind !== 'oauth' || row.locationId !== payload.authClassId) return null;
    return toPrincipal(row, payload.exp! * 1000);
  }
}

function toPrincipal(row: TokenRow, signedExpiryMs: number): Principal | null {
  if (row.revokedAt !== null) return null;
  const rowExpiry = row.expiresAt === null ? Infinity : Date.parse(row.expiresAt);
  return {
    tokenId: row.id,
    kind: row.kind,
    locationId: row.locationId,
    scopes: new Set(row.scopes),
    clientId: row.clientId,
    expiresAtMs: Math.min(rowExpiry, signedExpiryMs),
    rateKey: `${row.clientId ?? row.id}:${row.locationId}`,
  };
}
