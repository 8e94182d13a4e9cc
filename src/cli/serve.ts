import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.js';
import { createServices } from '../services/container.js';
import { prepareFixture, type IssuedToken } from '../services/fixtures.js';
import { startServer } from '../server.js';
import { openStore } from '../store/open-store.js';
import { StoreError, type Store } from '../store/store.js';
import { parseFlags, UsageError } from './usage.js';

export const SERVE_HELP = `Usage: ghl-objects serve [options]

Starts the API server.

Options:
  --host HOST        address to listen on (env HOST; default 127.0.0.1)
  --port PORT        port to listen on (env PORT; default 8080; 0 picks a free one)
  --db PATH|URL      SQLite database file, created when absent, or a postgres:// URL
                     (env DATABASE; default ./data/ghl-objects.db)
  --db-schema NAME   PostgreSQL schema of the tables (env DATABASE_SCHEMA; default public)
  --db-statement-timeout MS
                     PostgreSQL: longest a statement may run, or wait for a lock, before the
                     request is answered 503 (env DATABASE_STATEMENT_TIMEOUT_MS; default 30000)
  --fixtures FILE    load this fixture file into the database before serving; refused when the
                     database already holds data, unless --reset or --keep
  --reset            with --fixtures: empty the database first
  --keep             with --fixtures: when the database already holds data, keep it and load nothing
  --versions LIST    accepted Version header values, comma-separated (env VERSIONS; default 2021-07-28)
  --log-level LEVEL  fatal, error, warn, info, debug, trace or silent (env LOG_LEVEL; default info)
  --rate-limit-burst N       requests per burst window, per OAuth client or integration and location
                             (env RATE_LIMIT_BURST; default 100; 0 = off)
  --rate-limit-window-ms MS  the burst window (env RATE_LIMIT_WINDOW_MS; default 10000)
  --rate-limit-daily N       requests per UTC day (env RATE_LIMIT_DAILY; default 200000; 0 = off)
  --redis URL                share rate-limit counters between processes through this Redis
                             (env REDIS_URL; default: counters in this process)
  --request-timeout-ms MS    a request must arrive whole within this (env REQUEST_TIMEOUT_MS; default 30000)
  --max-connections N        open connections accepted at once (env MAX_CONNECTIONS; default 10000)
  -h, --help         show this help
`;

export async function openStoreOrExplain(location: string, schema?: string, options: { statementTimeoutMs?: number } = {}): Promise<Store> {
  try {
    return await openStore(location, { schema, statementTimeoutMs: options.statementTimeoutMs });
  } catch (err) {
    // A URL may carry a password: only its scheme and host are named.
    const shown = /^postgres/.test(location) ? location.replace(/\/\/[^@/]*@/, '//***@') : location;
    throw new UsageError(`cannot open database ${shown}: ${(err as Error).message}`);
  }
}

function readFixture(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read fixtures ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`fixtures ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Validates and loads a fixture; returns the tokens it holds, for the banner. */
async function loadFixture(store: Store, doc: unknown, file: string, mode: { reset: boolean; keep: boolean }): Promise<{ loaded: boolean; tokens: IssuedToken[] }> {
  const services = await createServices(store);
  const result = await prepareFixture(doc, services.tokens);
  if (!result.ok) {
    throw new UsageError(`fixtures ${file} is invalid; nothing was loaded:\n  ${result.problems.join('\n  ')}`);
  }
  if (mode.keep && !(await store.isEmpty())) {
    // The database is kept as it is; of the fixture's tokens, only fixed PITs it already holds are still known.
    const kept: IssuedToken[] = [];
    for (const [i, t] of result.tokens.entries()) {
      const row = result.dataset.tokens[i]!;
      if (row.hash !== null && (await store.findTokenByHash(row.hash))?.revokedAt === null) kept.push(t);
    }
    return { loaded: false, tokens: kept };
  }
  try {
    await store.loadDataset(result.dataset, { reset: mode.reset });
  } catch (err) {
    if (err instanceof StoreError && err.kind === 'not_empty') {
      throw new UsageError(`the database already holds data; use --reset to replace it with ${file}, or --keep to keep it`);
    }
    throw err;
  }
  return { loaded: true, tokens: result.tokens.filter((_, i) => result.dataset.tokens[i]!.revokedAt === null) };
}

export async function serve(args: string[]): Promise<void> {
  const { values } = parseFlags(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    db: { type: 'string' },
    'db-schema': { type: 'string' },
    'db-statement-timeout': { type: 'string' },
    fixtures: { type: 'string' },
    reset: { type: 'boolean' },
    keep: { type: 'boolean' },
    versions: { type: 'string' },
    'log-level': { type: 'string' },
    'rate-limit-burst': { type: 'string' },
    'rate-limit-window-ms': { type: 'string' },
    'rate-limit-daily': { type: 'string' },
    redis: { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    'max-connections': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  if ((values.reset || values.keep) && !values.fixtures) throw new UsageError('--reset and --keep go with --fixtures FILE');
  if (values.reset && values.keep) throw new UsageError('--reset and --keep cannot be used together');
  let config;
  try {
    config = loadConfig({
      host: values.host,
      port: values.port,
      database: values.db,
      databaseSchema: values['db-schema'],
      databaseStatementTimeoutMs: values['db-statement-timeout'],
      versions: values.versions,
      logLevel: values['log-level'],
      rateLimitBurst: values['rate-limit-burst'],
      rateLimitWindowMs: values['rate-limit-window-ms'],
      rateLimitDaily: values['rate-limit-daily'],
      redisUrl: values.redis,
      requestTimeoutMs: values['request-timeout-ms'],
      maxConnections: values['max-connections'],
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }

  let fixture: { loaded: boolean; tokens: IssuedToken[] } | undefined;
  // The fixture is read first, so a mistyped path creates no database.
  const doc = values.fixtures === undefined ? undefined : readFixture(values.fixtures);
  // Opened here, not only in the server, so an unreadable database is a one-line error.
  const store = await openStoreOrExplain(config.database, config.databaseSchema, { statementTimeoutMs: config.databaseStatementTimeoutMs });
  try {
    if (values.fixtures !== undefined) fixture = await loadFixture(store, doc, values.fixtures, { reset: values.reset ?? false, keep: values.keep ?? false });
  } finally {
    await store.close();
  }

  let app;
  try {
    app = await startServer(config);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new UsageError(`cannot listen on ${config.host}:${config.port}: ${code === 'EADDRINUSE' ? 'the address is in use' : code}`);
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const lines = [`ghl-objects listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port} (database ${config.database})`];
  if (fixture) {
    lines.push(fixture.loaded ? `Loaded fixtures ${values.fixtures}.` : `The database already holds data: kept it, loaded nothing from ${values.fixtures}.`);
    for (const t of fixture.tokens) lines.push(`  location ${t.locationId}  ${t.type === 'oauth' ? 'OAuth access token' : 'Private Integration Token'}: ${t.token}`);
    if (!fixture.loaded) lines.push('  (new tokens: ghl-objects token create --db PATH --location ID --type pit|oauth --scopes ...)');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
