import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/container.js';
import { prepareFixture, type IssuedToken } from '../../src/services/fixtures.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export const VERSION = '2021-07-28';
export const DEMO_FIXTURE = new URL('../../fixtures/demo.json', import.meta.url);

export function readJson(url: URL): unknown {
  return JSON.parse(readFileSync(url, 'utf8'));
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ghl-objects-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` of the real listening server. */
  url: string;
  dbPath: string;
  /** Tokens the fixture issued, in fixture order (revoked ones included). */
  tokens: IssuedToken[];
  close(): Promise<void>;
}

/**
 * Loads a fixture into a new SQLite file and starts the real app on a free loopback port.
 * Every test file gets its own database.
 */
export async function startTestServer(
  fixture: unknown = readJson(DEMO_FIXTURE),
  overrides: { versions?: string; rateLimitBurst?: number; rateLimitWindowMs?: number; rateLimitDaily?: number; redisUrl?: string } = {},
  options: { logger?: BuildOptions['logger']; beforeListen?: (app: FastifyInstance) => void } = {},
): Promise<TestServer> {
  const { dir, cleanup } = tempDir();
  const dbPath = join(dir, 'test.db');
  const store = openSqliteStore(dbPath);
  let tokens: IssuedToken[] = [];
  try {
    const result = await prepareFixture(fixture, (await createServices(store)).tokens);
    if (!result.ok) throw new Error(`test fixture invalid:\n${result.problems.join('\n')}`);
    await store.loadDataset(result.dataset, { reset: false });
    tokens = result.tokens;
  } finally {
    await store.close();
  }
  // Rate limits are off unless a test turns them on: most tests send far more than 100 requests in 10 s.
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, database: dbPath, logLevel: 'silent', rateLimitBurst: 0, rateLimitDaily: 0, ...overrides },
    {},
  );
  const app = await buildApp(config, options.logger === undefined ? {} : { logger: options.logger });
  options.beforeListen?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dbPath,
    tokens,
    async close() {
      await app.close();
      cleanup();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One real HTTP request; the body is parsed when it is JSON. */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text stands
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** The headers of an authenticated request with the contract's Version. */
export function auth(token: string, version: string = VERSION): Record<string, string> {
  return { Authorization: `Bearer ${token}`, Version: version };
}
