import { resolve } from 'node:path';

/** The API version the contract accepts by default. */
export const DEFAULT_VERSION = '2021-07-28';
export const DEFAULT_DATABASE = './data/ghl-objects.db';
/** A request body larger than this is refused with 413. */
export const BODY_LIMIT_BYTES = 1_048_576;
/** How often a process looks for changes made by other processes (token revocations, schema edits). */
export const CACHE_REFRESH_MS = 250;

/** A request must arrive whole within this by default (a slow client cannot hold a connection forever). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Its headers must arrive within this (at most the request timeout). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Open connections a process accepts at once by default; more are refused at the socket. */
export const MAX_CONNECTIONS = 10_000;
/** Idle keep-alive connections are closed after this; longer than common load balancers' 60 s. */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Path of the SQLite file, or a `postgres://` URL. */
  readonly database: string;
  /** PostgreSQL schema of the tables (`public` unless set). */
  readonly databaseSchema: string;
  /**
   * PostgreSQL: longest a statement may run (or a transaction sit idle) before the database
   * cancels it and the request is answered 503; undefined leaves the store's default (30 s).
   */
  readonly databaseStatementTimeoutMs?: number;
  /** Values of the `Version` header that are accepted. */
  readonly versions: readonly string[];
  readonly logLevel: LogLevel;
  readonly bodyLimit: number;
  readonly cacheRefreshMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  /** Rate limits (CONTRACT.md): requests per burst window and per day, 0 = off. */
  readonly rateLimitBurst: number;
  readonly rateLimitWindowMs: number;
  readonly rateLimitDaily: number;
  /** Redis shared by several processes for their rate-limit counters; null keeps them in memory. */
  readonly redisUrl: string | null;
}

export class ConfigError extends Error {}

export interface ConfigInput {
  host?: string;
  port?: string | number;
  database?: string;
  databaseSchema?: string;
  databaseStatementTimeoutMs?: string | number;
  versions?: string;
  logLevel?: string;
  rateLimitBurst?: string | number;
  rateLimitWindowMs?: string | number;
  rateLimitDaily?: string | number;
  redisUrl?: string;
  requestTimeoutMs?: string | number;
  maxConnections?: string | number;
}

function count(name: string, value: string | number, min: number): number {
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || !Number.isSafeInteger(n)) throw new ConfigError(`${name} must be a whole number, at least ${min}, not "${text}"`);
  return n;
}

/** `--db-statement-timeout` / DATABASE_STATEMENT_TIMEOUT_MS: whole milliseconds, at least 1; undefined when not given. */
function statementTimeout(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 2_147_483_647) {
    throw new ConfigError(`--db-statement-timeout must be a whole number of milliseconds (1-2147483647), not "${text}"`);
  }
  return n;
}

/**
 * One place where flags, environment and defaults become a frozen Config; flags win over the
 * environment (`HOST`, `PORT`, `DATABASE`, `DATABASE_SCHEMA`, `VERSIONS`, `LOG_LEVEL`,
 * `DATABASE_STATEMENT_TIMEOUT_MS`, `RATE_LIMIT_BURST`, `RATE_LIMIT_WINDOW_MS`, `RATE_LIMIT_DAILY`, `REDIS_URL`,
 * `REQUEST_TIMEOUT_MS`, `MAX_CONNECTIONS`).
 */
export function loadConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const host = flags.host ?? env.HOST ?? '127.0.0.1';
  const portText = String(flags.port ?? env.PORT ?? '8080');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ConfigError(`--port must be a port number (0-65535), not "${portText}"`);
  const database = flags.database ?? env.DATABASE ?? DEFAULT_DATABASE;
  if (database.trim() === '') throw new ConfigError('--db must name a database file');
  const versions = (flags.versions ?? env.VERSIONS ?? DEFAULT_VERSION).split(',').map((v) => v.trim()).filter(Boolean);
  if (versions.length === 0) throw new ConfigError('--versions must list at least one API version');
  const logLevel = flags.logLevel ?? env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return Object.freeze({
    host,
    port,
    database: database === ':memory:' || /^postgres(ql)?:\/\//.test(database) ? database : resolve(database),
    databaseSchema: flags.databaseSchema ?? env.DATABASE_SCHEMA ?? 'public',
    databaseStatementTimeoutMs: statementTimeout(flags.databaseStatementTimeoutMs ?? env.DATABASE_STATEMENT_TIMEOUT_MS),
    versions: Object.freeze(versions),
    logLevel: logLevel as LogLevel,
    bodyLimit: BODY_LIMIT_BYTES,
    cacheRefreshMs: CACHE_REFRESH_MS,
    rateLimitBurst: count('--rate-limit-burst', flags.rateLimitBurst ?? env.RATE_LIMIT_BURST ?? 100, 0),
    rateLimitWindowMs: count('--rate-limit-window-ms', flags.rateLimitWindowMs ?? env.RATE_LIMIT_WINDOW_MS ?? 10_000, 1),
    rateLimitDaily: count('--rate-limit-daily', flags.rateLimitDaily ?? env.RATE_LIMIT_DAILY ?? 200_000, 0),
    redisUrl: flags.redisUrl ?? env.REDIS_URL ?? null,
    requestTimeoutMs: count('--request-timeout-ms', flags.requestTimeoutMs ?? env.REQUEST_TIMEOUT_MS ?? REQUEST_TIMEOUT_MS, 100),
    maxConnections: count('--max-connections', flags.maxConnections ?? env.MAX_CONNECTIONS ?? MAX_CONNECTIONS, 1),
  });
}
