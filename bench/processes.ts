import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/**
 * Everything the benchmark starts (child processes, temp dirs) is registered here, so that one
 * cleanup stops it all: on success, on an error, on Ctrl-C or SIGTERM, and (synchronously, as a
 * last resort) when the process exits.
 */

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function trackDir(dir: string): void {
  dirs.add(dir);
}

/** Async cleanups run after the children are stopped (e.g. dropping a PostgreSQL schema). */
const hooks = new Map<string, () => Promise<void>>();

/** Registers `hook` under `name` (untrackHook removes it once it has been run by hand). */
export function trackHook(name: string, hook: () => Promise<void>): void {
  hooks.set(name, hook);
}
export function untrackHook(name: string): void {
  hooks.delete(name);
}

export interface Started {
  child: ChildProcess;
  /** The first match of the banner pattern in the child's stdout. */
  match: RegExpExecArray;
}

/**
 * Spawns a child and waits until its stdout shows `banner`. stderr is kept (the last 4 KB) for the
 * error message when the child exits early; stdin is a pipe the child may watch, so that it
 * exits by itself should this process die without cleaning up.
 */
export function startChild(
  name: string,
  command: string,
  args: string[],
  banner: RegExp,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Started> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  return new Promise<Started>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} ${why}${stderr ? `:\n${stderr.trimEnd()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${options.timeoutMs ?? 30_000} ms`), options.timeoutMs ?? 30_000);
    const onData = (chunk: string) => {
      stdout += chunk;
      const match = banner.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      // Later output is not needed, but the pipe must keep draining or a chatty child would block.
      child.stdout!.resume();
      resolve({ child, match });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited before it was ready (${signal ?? `code ${code}`})`);
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
    child.once('error', (err) => fail(`could not be started: ${err.message}`));
  });
}

/**
 * Runs a child to completion and returns its stdout (its stderr goes to ours, as progress).
 * `onLine` sees each stdout line as it arrives. Rejects when the child exits with a non-zero
 * code or a signal.
 */
export function runChild(name: string, command: string, args: string[], options: { cwd?: string; onLine?: (line: string) => void } = {}): Promise<string> {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  let stdout = '';
  let seen = 0;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (let end = stdout.indexOf('\n', seen); end !== -1; end = stdout.indexOf('\n', seen)) {
      options.onLine?.(stdout.slice(seen, end));
      seen = end + 1;
    }
  });
  return new Promise<string>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${name} could not be started: ${err.message}`)));
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${name} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** Stops one child: SIGTERM (the server drains and closes its database), SIGKILL after a grace period. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

/** Stops every child still running and removes every temp dir. Safe to call more than once. */
export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
  for (const [name, hook] of [...hooks]) {
    hooks.delete(name);
    await hook().catch((err: unknown) => process.stderr.write(`cleanup: ${name} failed: ${(err as Error).message}\n`));
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** The last resort when the process exits some other way: nothing async can run here. */
function cleanupSync(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const name of hooks.keys()) process.stderr.write(`cleanup: not done: ${name}\n`);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

let stopping = false;

/** True once a signal asked us to stop: failures of children killed by it are expected, not errors. */
export const interrupted = (): boolean => stopping;

/** Installs the signal and exit handlers: on SIGINT or SIGTERM, clean up and exit (130 or 143). */
export function installCleanupHandlers(log: (line: string) => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping the servers and removing temp files…`);
    cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanupSync);
}

/** Resident set size of a process in bytes (VmRSS of /proc/PID/status); undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ: /proc reports CPU times in these ticks; it is 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, all threads) a process has used so far, in ms; undefined once it is gone.
 * Per request, this is the server's cost regardless of what else the machine runs, which makes
 * it the steadier number on a shared or busy machine.
 */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak and the last sample. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): { peak: number; last: number; samples: number } } {
  let peak = 0;
  let last = 0;
  let samples = 0;
  const take = () => {
    const v = rssBytes(pid);
    if (v === undefined) return;
    samples++;
    last = v;
    if (v > peak) peak = v;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak, last, samples };
    },
  };
}
