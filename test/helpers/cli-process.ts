/**
 * The BUILT command line (`bin/ghl-objects` → `dist/`) as real child processes: runs to the end,
 * and servers started with `serve --port 0` whose port is read from the banner. Every wait is
 * bounded; `killAll()` (call it in `after`) kills whatever is still running.
 * `npm test` builds first; alone, run `npm run build` before the test file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'ghl-objects');
/** No run of the CLI may take longer than this; a server must be listening within it. */
export const RUN_TIMEOUT_MS = 20_000;

/**
 * The environment of the children: nothing the CLI reads leaks in from the shell running the
 * tests, and rate limits are off (these tests send many requests with one token; rate limits
 * have tests of their own).
 */
export const CHILD_ENV: NodeJS.ProcessEnv = (() => {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(HOST|PORT|DATABASE|DATABASE_SCHEMA|DATABASE_STATEMENT_TIMEOUT_MS|VERSIONS|LOG_LEVEL|REDIS_URL|RATE_LIMIT_\w+)$/.test(name)) delete env[name];
  }
  return { ...env, RATE_LIMIT_BURST: '0', RATE_LIMIT_DAILY: '0' };
})();

export function assertBuilt(): void {
  assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  /** Set once the process has exited. */
  exit: () => Exit | undefined;
}

const children = new Set<ChildProcess>();

/** Kills (SIGKILL) every child still running and waits, bounded, for them to go. */
export async function killAll(): Promise<void> {
  const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of running) child.kill('SIGKILL');
  const deadline = Date.now() + 5_000;
  while (running.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await sleep(20);
}

export function launch(args: string[], options: { stdin?: string } = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: CHILD_ENV, stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  let exit: Exit | undefined;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  if (options.stdin !== undefined) {
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.stdin);
  }
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      exit = { code, signal };
      children.delete(child);
      resolve(exit);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited, exit: () => exit };
}

export interface Run extends Exit {
  stdout: string;
  stderr: string;
  /** Milliseconds from start to exit. */
  ms: number;
}

/** Runs the CLI to its end (killed, and failed, past RUN_TIMEOUT_MS). */
export async function run(args: string[], options: { stdin?: string } = {}): Promise<Run> {
  const started = Date.now();
  const p = launch(args, options);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const exit = await p.exited;
  clearTimeout(timer);
  assert.notEqual(exit.signal, 'SIGKILL', `ghl-objects ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms`);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr(), ms: Date.now() - started };
}

/** Runs the CLI and fails unless it exits 0; returns its stdout. */
export async function runOk(args: string[], options: { stdin?: string } = {}): Promise<string> {
  const r = await run(args, options);
  assert.equal(r.code, 0, `ghl-objects ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout.slice(0, 2_000)}`);
  return r.stdout;
}

/** One line on stderr, `ghl-objects: ...`, exit code 2, nothing on stdout. */
export function assertUsageError(r: Run, message: string | RegExp): void {
  assert.equal(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ghl-objects: [^\n]+\n$/, `not one line: ${JSON.stringify(r.stderr)}`);
  if (typeof message === 'string') assert.equal(r.stderr, `ghl-objects: ${message}\n`);
  else assert.match(r.stderr, message);
}

export interface Server extends Proc {
  url: string;
  port: number;
  banner: string;
  /** Tokens the banner printed (fixtures), in order. */
  pits: string[];
  oauths: string[];
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<Exit>;
}

export const BANNER = /^ghl-objects listening on http:\/\/127\.0\.0\.1:(\d+) \(database [^\n]+\)\n/m;

/**
 * Starts `serve --port 0 ARGS` and waits (bounded) for its banner: the listening line and, when
 * fixtures are loaded, the token lines after it.
 */
export async function startServe(args: string[]): Promise<Server> {
  const p = launch(['serve', '--port', '0', '--log-level', 'silent', ...args]);
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const complete = (text: string): boolean => {
    const at = text.search(BANNER);
    if (at < 0) return false;
    if (!args.includes('--fixtures')) return true;
    // The fixture lines follow the listening line in the same write; wait for the last newline.
    return /Loaded fixtures|kept it, loaded nothing/.test(text.slice(at)) && text.endsWith('\n');
  };
  while (!complete(p.stdout())) {
    const exit = p.exit();
    if (exit) assert.fail(`serve ${args.join(' ')} exited (${exit.code ?? exit.signal}) before listening:\n${p.stderr()}${p.stdout()}`);
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      assert.fail(`serve ${args.join(' ')} printed no banner within ${RUN_TIMEOUT_MS} ms:\n${p.stdout()}\n${p.stderr()}`);
    }
    await sleep(20);
  }
  const text = p.stdout();
  const banner = text.slice(text.search(BANNER));
  const port = Number(BANNER.exec(text)![1]);
  return {
    ...p,
    url: `http://127.0.0.1:${port}`,
    port,
    banner,
    pits: [...banner.matchAll(/Private Integration Token: (\S+)\n/g)].map((m) => m[1]!),
    oauths: [...banner.matchAll(/OAuth access token: (\S+)\n/g)].map((m) => m[1]!),
    async stop() {
      if (p.exit()) return p.exit()!;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
      const e = await p.exited;
      clearTimeout(timer);
      return e;
    },
  };
}
