import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type JWTPayload } from 'jose';

/**
 * Forged and damaged copies of a real OAuth access token, for the "must be refused" tests.
 * Each keeps the original's claims (and `kid`) unless it says otherwise.
 */

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function parts(token: string): [string, string, string] {
  const [h, p, s] = token.split('.');
  if (h === undefined || p === undefined || s === undefined) throw new Error('not a compact JWS');
  return [h, p, s];
}

/** The same claims and header, signed RS256 by a freshly generated RSA key the server never saw. */
export async function signedByForeignKey(token: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  return new SignJWT(decodeJwt(token)).setProtectedHeader({ ...decodeProtectedHeader(token), alg: 'RS256' }).sign(privateKey);
}

/** The same claims under `alg: none`; `signature` is what follows the last dot ('' for a true unsecured JWT). */
export function unsecured(token: string, signature = ''): string {
  const [, payload] = parts(token);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
}

/** The same claims signed HS256 with `secret` (the classic key-confusion forgery uses the public key's PEM). */
export function signedHs256(token: string, secret: string): Promise<string> {
  const { kid } = decodeProtectedHeader(token);
  return new SignJWT(decodeJwt(token))
    .setProtectedHeader(kid === undefined ? { alg: 'HS256', typ: 'JWT' } : { alg: 'HS256', typ: 'JWT', kid })
    .sign(new TextEncoder().encode(secret));
}

/** The original header and signature around a changed payload. */
export function withTamperedPayload(token: string, change: (claims: JWTPayload) => JWTPayload): string {
  const [header, , signature] = parts(token);
  return `${header}.${b64(change(decodeJwt(token)))}.${signature}`;
}
