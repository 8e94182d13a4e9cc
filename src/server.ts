import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from './app.js';
import type { Config } from './config.js';
import { keepTickObjectMap } from './tick-object-map.js';

/** How long shutdown keeps accepting the connections clients opened before they heard of it. */
const DRAIN_MAX_MS = 2_000;
const DRAIN_QUIET_MS = 100;

/**
 * The only place that listens. On SIGTERM or SIGINT the server drains: it goes on accepting
 * (answering every request with `Connection: close`) until no new connection has come for a
 * moment, so that requests clients had already sent are not reset in the backlog; then it stops
 * listening, finishes the requests in flight, closes the store and exits. A client that stalls
 * mid-request cannot hold the exit past the request timeout.
 */
export async function startServer(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  keepTickObjectMap();
  const app = await buildApp(config, options);
  let closing = false;
  let lastConnectionAt = 0;
  app.server.on('connection', () => {
    lastConnectionAt = Date.now();
  });
  // Once shutdown starts, no connection is kept alive for another request. Ahead of the app's
  // own listener: while closing, Fastify answers 503 at once, and a header set after that throws.
  app.server.prependListener('request', (_request, response) => {
    if (closing) response.setHeader('connection', 'close');
  });

  const drained = async (): Promise<void> => {
    const started = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_QUIET_MS));
      // One more turn of the event loop lets connections already queued be accepted first.
      await new Promise((resolve) => setImmediate(resolve));
      if (Date.now() - lastConnectionAt >= DRAIN_QUIET_MS || Date.now() - started >= DRAIN_MAX_MS) return;
    }
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // server.close() stops Node's request-timeout checks: this bound replaces them.
    setTimeout(() => app.server.closeAllConnections(), config.requestTimeoutMs + DRAIN_MAX_MS).unref();
    drained()
      .then(() => {
        // Answers already under way when shutdown began said keep-alive: their connections are
        // closed as soon as they fall idle, not at the keep-alive timeout.
        setInterval(() => app.server.closeIdleConnections(), 50).unref();
        return app.close();
      })
      .then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}
