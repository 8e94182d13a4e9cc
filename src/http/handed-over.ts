import type { IncomingMessage } from 'node:http';
import type { RateVerdict } from '../services/rate-limit.js';

/**
 * What the fast path (fast-record-read.ts) had already done for a request it then gave to Fastify:
 * the rate limiter's verdict, so that the auth hook does not count the request again, and the
 * read's failure, so that the route answers it without reading again (a store that timed out
 * would make the client wait twice).
 */
export interface HandedOver {
  verdict?: RateVerdict;
  failure?: { error: unknown };
}

const handed = new WeakMap<IncomingMessage, HandedOver>();

export function handOver(raw: IncomingMessage, what: HandedOver): void {
  handed.set(raw, what);
}

export function handedOver(raw: IncomingMessage): HandedOver | undefined {
  return handed.get(raw);
}
