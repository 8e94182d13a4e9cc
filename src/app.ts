import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createServer, type RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, type Config } from './config.js';
import { errors } from './errors.js';
import { installAuth } from './http/auth.js';
import { fastRecordRead } from './http/fast-record-read.js';
import { clientErrorHandler, frameworkErrors, installErrorHandler, installRawAnswers, pathOf, refuseTransferCoding } from './http/error-handler.js';
import { customFieldRoutes } from './http/routes/custom-fields.js';
import { objectRoutes } from './http/routes/objects.js';
import { recordRoutes } from './http/routes/records.js';
import { createServices, watchRevisions, type Services } from './services/container.js';
import { openStore } from './store/open-store.js';
import { MemoryRateLimiter, type RateLimiter } from './services/rate-limit.js';
import { RedisRateLimiter } from './services/redis-rate-limit.js';
import type { Store } from './store/store.js';

export interface BuildOptions {
  /** A store opened by the caller (who then closes it); otherwise the app opens `config.database`. */
  store?: Store;
  /** Overrides the logger (tests pass false, or a stream to read the log from). */
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The services behind the routes: the CLI and tests reach the same caches through them. */
    services: Services;
  }
}

/** Headers that carry secrets: never in the log. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie'];

/** Whether a parsed JSON value holds a NUL character in any string or key (iterative: bodies may nest deeply). */
function holdsNul(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\u0000')) return true;
        stack.push(v);
      }
    }
  }
  return false;
}

/**
 * JSON bodies. An empty one (curl and some clients send it on DELETE) is no body, as for the real
 * service; anything else goes through Fastify's own parser, prototype poisoning refused. A NUL
 * character in any string is refused here, once for every route and store: PostgreSQL cannot
 * store it, and no field type means it.
 */
function jsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text === '') return done(null, undefined);
    parse(request, text, (err, value) => {
      // JSON can only spell NUL as an escape, so the scan runs only when one is there.
      if (!err && text.includes('\\u0000') && holdsNul(value)) return done(errors.nulCharacter() as never, undefined);
      done(err as never, value);
    });
  });
}

/**
 * Logger options: the caller's (tests pass a stream) or the config's, always with the request
 * logged by its path only (a query string may carry a token) and secret headers redacted.
 */
function loggerOptions(config: Config, given: BuildOptions['logger']): FastifyServerOptions['logger'] {
  if (given === false) return false;
  const base = typeof given === 'object' && given !== null ? given : { level: config.logLevel };
  return {
    ...base,
    redact: REDACT,
    serializers: {
      req: (req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: req.method,
        url: pathOf(req.url),
        host: req.hostname,
        remoteAddress: req.ip,
        // Which connection: a request's log lines can be matched with the client's side.
        remotePort: req.socket?.remotePort,
      }),
    },
  } as FastifyServerOptions['logger'];
}

/** The rate limiter the config asks for: none when both limits are off, Redis when given, else memory. */
function rateLimiter(config: Config): RateLimiter | null {
  const limits = { burstMax: config.rateLimitBurst, burstWindowMs: config.rateLimitWindowMs, dailyMax: config.rateLimitDaily };
  if (limits.burstMax === 0 && limits.dailyMax === 0) return null;
  return config.redisUrl ? new RedisRateLimiter(limits, config.redisUrl) : new MemoryRateLimiter(limits);
}

/** Builds the application over a store. It never listens: `server.ts` does that; tests use it as it is. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const ownStore = options.store === undefined;
  const store = options.store ?? (await openStore(config.database, { schema: config.databaseSchema, statementTimeoutMs: config.databaseStatementTimeoutMs }));
  let services: Services;
  try {
    services = await createServices(store);
  } catch (err) {
    if (ownStore) await store.close();
    throw err;
  }

  const versions = new Set(config.versions);
  const limiter = rateLimiter(config);
  // Get Record By Id is answered before Fastify when it can be (fast-record-read.ts): set below.
  let fastRead: RequestListener | null = null;
  let fastify: RequestListener;
  const app = Fastify({
    serverFactory: (handler) => {
      fastify = handler;
      // Node would answer a request without Host with a bare 400; the routes do not need it.
      // Node checks request timeouts only this often (30 s by default): often enough for the timeout to hold.
      const connectionsCheckingInterval = Math.max(100, Math.min(1000, Math.floor(config.requestTimeoutMs / 4)));
      const server = createServer({ requireHostHeader: false, connectionsCheckingInterval }, (req, res) => {
        if (!refuseTransferCoding(req, res)) (fastRead ?? fastify)(req, res);
      });
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = config.requestTimeoutMs;
      return server;
    },
    logger: loggerOptions(config, options.logger),
    bodyLimit: config.bodyLimit,
    frameworkErrors,
    clientErrorHandler,
    // The real service answers /objects/ and /objects alike.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    ajv: {
      // NestJS-like DTO validation: every problem reported, unknown properties refused (not
      // silently removed), and no type coercion of what the client sent.
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: true, verbose: true, allowUnionTypes: true },
    },
  });

  // A slow client gets neither its headers nor its body more time than this.
  app.server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs);
  app.server.maxConnections = config.maxConnections;
  installRawAnswers(app.server);
  app.decorate('services', services);
  installErrorHandler(app);
  jsonBodies(app);
  await app.register(async (api) => {
    installAuth(api, services.tokens, versions, limiter);
    recordRoutes(api, services);
    objectRoutes(api, services);
    customFieldRoutes(api, services);
  });

  // Fastify logs every request at info: a request answered before it would go unlogged.
  if (!((app.log as Partial<Pick<Logger, 'isLevelEnabled'>>).isLevelEnabled?.('info') ?? false)) {
    fastRead = fastRecordRead({ tokens: services.tokens, records: services.records, versions, limiter, log: app.log, next: fastify! });
    // From the start of closing, Fastify answers 503 to requests that still come.
    app.addHook('preClose', async () => {
      fastRead = null;
    });
  }

  const stopWatching = await watchRevisions(services, config.cacheRefreshMs, (err) => app.log.warn({ err }, 'cache revision check failed'));
  app.addHook('onClose', async () => {
    stopWatching();
    await limiter?.close();
    if (ownStore) await store.close();
  });
  return app;
}
