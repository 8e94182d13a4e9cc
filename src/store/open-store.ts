import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//;

export const isPostgresUrl = (location: string): boolean => POSTGRES_URL.test(location);

export interface OpenOptions {
  /** PostgreSQL schema holding the tables (default `public`). */
  schema?: string;
  /** PostgreSQL: longest a statement may run before the database cancels it (default 30 s). */
  statementTimeoutMs?: number;
}

/** Opens the store a `--db` value names: a `postgres://` URL, or else an SQLite file path. */
export async function openStore(location: string, options: OpenOptions = {}): Promise<Store> {
  return isPostgresUrl(location) ? openPostgresStore(location, { schema: options.schema, statementTimeoutMs: options.statementTimeoutMs }) : openSqliteStore(location);
}
