import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { handedOver } from './handed-over.js';
import type { Scope } from '../services/scopes.js';
import { NO_LIMITS, type RateLimiter, type RateLimits, type RateVerdict } from '../services/rate-limit.js';
import type { Principal, TokenService } from '../services/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the auth hook on every API route. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The scope a route needs. */
    scope?: Scope;
  }
}

const BEARER = /^\s*Bearer\s+(\S+)\s*$/i;
/** The usual form of the header: this, then the token. */
const BEARER_PREFIX = 'Bearer ';

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/**
 * The cached verdict (`TokenService.cachedVerdict`) on the token of a header of the usual form, or
 * undefined when there is none: the header must then be parsed (`bearerToken`) and the token
 * authenticated. Optimization: BEARER's scan of an OAuth token, some 880 characters, was about
 * half of what a read with one cost over a read with a PIT (bench/README.md). What follows the
 * prefix can only equal a cached token if it is one BEARER took out of a header before, so the
 * verdict is the same.
 */
export function cachedBearerVerdict(tokens: TokenService, header: string | undefined): Principal | null | undefined {
  return header?.startsWith(BEARER_PREFIX) ? tokens.cachedVerdict(header.slice(BEARER_PREFIX.length)) : undefined;
}

/** The `X-RateLimit-*` headers of a verdict as one flat list of names and values, in the order they are sent. */
export type RateLimitHeaders = (v: RateVerdict) => Array<string | number>;

/**
 * The headers of these limits' verdicts; none for a limit that is off. Optimization: the limits'
 * own values are turned into text once, here (a limit of 10^12 is a double, whose text V8 works out
 * anew on each conversion).
 */
export function rateLimitHeaders({ burstMax, burstWindowMs, dailyMax }: RateLimits): RateLimitHeaders {
  const daily = String(dailyMax);
  const interval = String(burstWindowMs);
  const burst = String(burstMax);
  if (dailyMax > 0 && burstMax > 0) {
    return (v) => [
      'x-ratelimit-limit-daily', daily, 'x-ratelimit-daily-remaining', v.dailyRemaining,
      'x-ratelimit-interval-milliseconds', interval, 'x-ratelimit-max', burst, 'x-ratelimit-remaining', v.burstRemaining,
    ];
  }
  if (dailyMax > 0) return (v) => ['x-ratelimit-limit-daily', daily, 'x-ratelimit-daily-remaining', v.dailyRemaining];
  if (burstMax > 0) return (v) => ['x-ratelimit-interval-milliseconds', interval, 'x-ratelimit-max', burst, 'x-ratelimit-remaining', v.burstRemaining];
  return () => [];
}

/**
 * Version, token, rate limit, scope and location, checked in the contract's order before any route
 * runs; the first failure answers. Every request a token makes spends its budget, refused ones too.
 */
export function installAuth(app: FastifyInstance, tokens: TokenService, versions: ReadonlySet<string>, limiter: RateLimiter | null): void {
  const limits = limiter?.limits ?? NO_LIMITS;
  const limitHeaders = rateLimitHeaders(limits);
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const version = request.headers.version;
    if (version === undefined) throw errors.versionMissing();
    if (typeof version !== 'string' || !versions.has(version)) throw errors.versionInvalid();

    const header = request.headers.authorization;
    let principal = cachedBearerVerdict(tokens, header);
    if (principal === undefined) {
      const token = bearerToken(header);
      principal = token === undefined ? null : await tokens.authenticate(token);
    }
    if (!principal) throw errors.invalidToken();

    if (limiter) {
      let v: RateVerdict;
      try {
        const hit = handedOver(request.raw)?.verdict ?? limiter.hit(principal.rateKey, Date.now());
        // Optimization: the in-memory limiter answers without a promise.
        v = hit instanceof Promise ? await hit : hit;
      } catch (err) {
        // Counters out of reach (Redis down): the request goes on; limits return with Redis.
        request.log.warn({ err }, 'rate limit check failed; request allowed');
        v = { allowed: true, burstRemaining: limits.burstMax, dailyRemaining: limits.dailyMax, retryAfterS: 0 };
      }
      const headers = limitHeaders(v);
      for (let i = 0; i < headers.length; i += 2) reply.header(headers[i] as string, headers[i + 1]);
      if (!v.allowed) {
        reply.header('retry-after', v.retryAfterS);
        throw errors.tooManyRequests();
      }
    }

    const scope = request.routeOptions.config.scope;
    if (scope === undefined || !principal.scopes.has(scope)) throw errors.scopeMissing();

    const query = request.query as Record<string, unknown>;
    if (query.locationId !== undefined && query.locationId !== principal.locationId) throw errors.locationForbidden();
    request.principal = principal;
  });
}

/**
 * Rule 4 for a `locationId` in the body: checked before the body's validation, as the real
 * service's guard runs before its DTO pipes (a foreign location is a 403 even in a bad body).
 */
export async function checkBodyLocation(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (body && typeof body === 'object' && typeof body.locationId === 'string' && body.locationId !== request.principal.locationId) {
    throw errors.locationForbidden();
  }
}
