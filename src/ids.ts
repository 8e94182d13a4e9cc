import { randomBytes, randomUUID } from 'node:crypto';

/** Formats of the identifiers the contract fixes, compiled once. */
export const OBJECT_ID_PATTERN = '^[0-9a-f]{24}$';
export const SHORT_ID_PATTERN = '^[A-Za-z0-9]{20}$';
export const PIT_PATTERN = '^pit-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

const OBJECT_ID_RE = new RegExp(OBJECT_ID_PATTERN);
const SHORT_ID_RE = new RegExp(SHORT_ID_PATTERN);
const PIT_RE = new RegExp(PIT_PATTERN);

export const isObjectId = (s: unknown): s is string => typeof s === 'string' && OBJECT_ID_RE.test(s);
export const isShortId = (s: unknown): s is string => typeof s === 'string' && SHORT_ID_RE.test(s);
export const isPit = (s: unknown): s is string => typeof s === 'string' && PIT_RE.test(s);

const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** A Mongo ObjectId as the real service makes them: 4-byte seconds, 5 random bytes, 3-byte counter. */
export function newObjectId(at: number = Date.now()): string {
  counter = (counter + 1) % 0xffffff;
  const seconds = Math.floor(at / 1000).toString(16).padStart(8, '0');
  return seconds + processRandom + counter.toString(16).padStart(6, '0');
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 20-character id (locations, users, custom fields), uniformly drawn from [A-Za-z0-9]. */
export function newShortId(): string {
  let out = '';
  while (out.length < 20) {
    for (const byte of randomBytes(32)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < 20) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

export function newPit(): string {
  return `pit-${randomUUID()}`;
}
