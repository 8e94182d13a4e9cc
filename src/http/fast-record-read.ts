import type { FastifyBaseLogger } from 'fastify';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { NO_LIMITS, type RateLimiter, type RateVerdict } from '../services/rate-limit.js';
import type { RecordService } from '../services/records.js';
import type { Principal, TokenService } from '../services/tokens.js';
import { AnswerBatch } from './answer-batch.js';
import { cachedBearerVerdict, rateLimitHeaders, type RateLimitHeaders } from './auth.js';
import { handOver, type HandedOver } from './handed-over.js';
import { GET_RECORD_SCOPE, JSON_TYPE } from './routes/records.js';

/**
 * The URLs taken: no query string, no escape, no trailing slash, a key the route's parameter check
 * accepts and an id that is one. Any other URL, even one Fastify routes to the same record, is
 * Fastify's.
 */
const RECORD_URL = /^\/objects\/([A-Za-z0-9_.-]{1,200})\/records\/([0-9a-f]{24})$/;

export interface FastRecordReadDeps {
  tokens: TokenService;
  records: RecordService;
  versions: ReadonlySet<string>;
  limiter: RateLimiter | null;
  log: FastifyBaseLogger;
  /** Fastify's request handler: every request not answered here goes to it. */
  next: RequestListener;
}

/**
 * Get Record By Id with a 200 answer, served straight from the HTTP server's request event; every
 * other request, and every one of these that does not end in a 200, goes to Fastify.
 *
 * Why: Fastify's request and reply objects, child logger, hooks, parameter validation and send
 * cost about 4 of the 23 µs of CPU such a request took at 1,000,000 records (bench/README.md).
 *
 * What keeps the answers the same:
 * - Only a request that passes each of the auth hook's checks without I/O, made with the hook's
 *   own functions (auth.ts), is taken: an accepted version, a token whose verdict is cached in a
 *   header of the usual form (`Bearer ` and the token), the route's scope, no query string (so no
 *   `locationId` to check) and no body.
 * - The rate limiter counts it, as the hook would. The read is the route's own call.
 * - When the limiter refuses, or the read fails (a 404 included), the request goes to Fastify with
 *   what was done (handed-over.ts): the hook takes the verdict instead of counting again, and the
 *   route answers the failure instead of reading again. So Fastify answers it as it answers any
 *   other request, error body, headers and log included.
 * - The 200 has the headers the route would send, in the same order. It is written with the other
 *   200s of its turn of the event loop (answer-batch.ts).
 *
 * app.ts turns it on only when the log level leaves requests unlogged (Fastify logs each one at
 * `info`), and off when the app starts closing (Fastify then answers 503).
 */
export function fastRecordRead(deps: FastRecordReadDeps): RequestListener {
  const { tokens, versions, limiter, next } = deps;
  const limitHeaders = rateLimitHeaders(limiter?.limits ?? NO_LIMITS);
  // Only the write of an answer can fail in the batch, when the request can no longer go to Fastify.
  const answers = new AnswerBatch((err) => deps.log.error({ err }, 'unexpected error'));
  return (req, res) => {
    if (req.method !== 'GET' || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return next(req, res);
    const url = RECORD_URL.exec(req.url ?? '');
    const version = req.headers.version;
    const principal = url !== null && typeof version === 'string' && versions.has(version) ? cachedBearerVerdict(tokens, req.headers.authorization) : undefined;
    if (!principal || !principal.scopes.has(GET_RECORD_SCOPE)) return next(req, res);
    const read: Read = { deps, limitHeaders, answers, req, res, principal, schemaKey: url![1]!, id: url![2]! };
    if (!limiter) return readAndAnswer(read, undefined);
    let hit: RateVerdict | Promise<RateVerdict>;
    try {
      hit = limiter.hit(principal.rateKey, Date.now());
    } catch {
      // Nothing was counted: the hook tries the limiter again, and goes on without it if it fails.
      return handOverTo(read, {});
    }
    if (hit instanceof Promise) hit.then((verdict) => limited(read, verdict), () => handOverTo(read, {}));
    else limited(read, hit);
  };
}

/** A request the fast path took. */
interface Read {
  deps: FastRecordReadDeps;
  limitHeaders: RateLimitHeaders;
  answers: AnswerBatch;
  req: IncomingMessage;
  res: ServerResponse;
  principal: Principal;
  schemaKey: string;
  id: string;
}

function limited(read: Read, verdict: RateVerdict): void {
  if (verdict.allowed) readAndAnswer(read, verdict);
  else handOverTo(read, { verdict });
}

/**
 * Optimization: a read the store answers at once (SQLite) is answered in the same call, without a
 * promise; one that comes in a promise (PostgreSQL) is answered when it settles.
 */
function readAndAnswer(read: Read, verdict: RateVerdict | undefined): void {
  let body: string | Promise<string>;
  try {
    body = read.deps.records.getRecordJson(read.principal, read.schemaKey, read.id);
  } catch (error) {
    // The 404, or any failure: the route answers it without reading again.
    return handOverTo(read, { verdict, failure: { error } });
  }
  if (body instanceof Promise) body.then((json) => send(read, verdict, json), (error: unknown) => handOverTo(read, { verdict, failure: { error } }));
  else send(read, verdict, body);
}

/** The 200, with the headers the route would send, in the same order. */
function send({ limitHeaders, answers, res }: Read, verdict: RateVerdict | undefined, body: string): void {
  // A flat list of names and values: Node takes it as it is, with no object's keys to walk.
  const headers = verdict ? limitHeaders(verdict) : [];
  headers.push('content-type', JSON_TYPE, 'content-length', Buffer.byteLength(body));
  answers.add(res, headers, body);
}

function handOverTo({ deps, req, res }: Read, what: HandedOver): void {
  handOver(req, what);
  deps.next(req, res);
}
