import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './built.js';
import { compileScripts } from './compile.js';
import type { BenchDatabase } from './generate.js';
import { startChild } from './processes.js';

/** The two servers under load, started as child processes, and the checks made before any load. */

export const VERSION = '2021-07-28';
/** Requests per rate-limit window and per day allowed to each token: more than any run sends. */
const RATE_LIMIT = 1_000_000_000_000;

export interface Server {
  pid: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
}

export interface Answer {
  status: number;
  /** Headers of the answer (content-type, rate-limit…), less those node:http writes by itself: the bare server repeats these. */
  headers: Record<string, string>;
  body: Buffer;
}

const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export async function get(url: string, token: string, post?: object): Promise<Answer> {
  const headers = { authorization: `Bearer ${token}`, version: VERSION };
  const res = await fetch(
    url,
    post === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(post) },
  );
  const kept: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!TRANSPORT_HEADERS.has(name)) kept[name] = value;
  });
  return { status: res.status, headers: kept, body: Buffer.from(await res.arrayBuffer()) };
}

/** Before any load: both tokens work and read the record asked for, so a 2xx under load means a real read. */
export async function checkRealServer(origin: string, prefix: string, db: BenchDatabase): Promise<Answer> {
  const probes = [db.ids[0]!, db.ids[db.ids.length - 1]!, db.ids[Math.floor(db.ids.length / 2)]!];
  let first: Answer | undefined;
  for (const id of probes) {
    for (const [kind, token] of [['PIT', db.pit], ['OAuth', db.oauth]] as const) {
      const answer = await get(origin + prefix + id, token);
      const text = answer.body.toString('utf8');
      if (answer.status !== 200) throw new Error(`GET ${prefix}${id} with the ${kind} answered ${answer.status}: ${text}`);
      const record = (JSON.parse(text) as { record?: { id?: string } }).record;
      if (record?.id !== id) throw new Error(`GET ${prefix}${id} with the ${kind} answered another record: ${text.slice(0, 200)}`);
      first ??= answer;
    }
  }
  return first!;
}

/** `db`: a SQLite file, or a postgres:// URL with its schema. */
export async function startRealServer(db: string | { url: string; schema: string }): Promise<Server> {
  const dbArgs = typeof db === 'string' ? ['--db', db] : ['--db', db.url, '--db-schema', db.schema];
  // The compiled CLI, exactly as a user starts it: run as a program (its first lines start Node
  // with the flags it needs, in the same process), with no TypeScript loader.
  const { child, match } = await startChild(
    'ghl-objects serve',
    join(ROOT, 'bin/ghl-objects'),
    ['serve', ...dbArgs, '--port', '0', '--log-level', 'warn'],
    /ghl-objects listening on (http:\/\/\S+?:\d+)/,
    // Rate limits far above what a run can reach, rather than off: every request still goes
    // through the limiter's accounting (and gets its headers), as in production, but none is refused.
    { cwd: ROOT, env: { ...process.env, RATE_LIMIT_BURST: String(RATE_LIMIT), RATE_LIMIT_DAILY: String(RATE_LIMIT) } },
  );
  return { pid: child.pid!, origin: match[1]! };
}

export async function startBareServer(tmp: string, sample: Answer): Promise<Server> {
  const script = compileScripts(tmp, [join(ROOT, 'bench/bare-server.ts')]);
  const bodyFile = join(tmp, 'body.json');
  const headersFile = join(tmp, 'headers.json');
  writeFileSync(bodyFile, sample.body);
  writeFileSync(headersFile, JSON.stringify(sample.headers));
  const { child, match } = await startChild('bare server', process.execPath, [script, bodyFile, headersFile], /bare listening on (http:\/\/\S+?:\d+)/);
  return { pid: child.pid!, origin: match[1]! };
}
