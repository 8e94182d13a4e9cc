/**
 * The load generator: one child process per case, so it never shares an event loop (or a CPU
 * profile) with the orchestrator or the server. run.ts compiles it to plain JS before starting it.
 *
 *   node load-worker.js JOB.json   → one JSON line (LoadResult) on stdout
 */
import { fstatSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type autocannon from 'autocannon';
import { MEASURING, type Counts, type LoadJob, type LoadResult } from './load-protocol.js';

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
const run = createRequire(job.resolveFrom)('autocannon') as typeof autocannon;
const ids = readFileSync(job.idsFile, 'utf8').split('\n').filter((line) => line !== '');
if (ids.length === 0) throw new Error(`no ids in ${job.idsFile}`);

// The orchestrator holds our stdin (a pipe: a socket pair) open; if it dies without stopping us,
// stop by ourselves. Run by hand with stdin a terminal or /dev/null, there is nothing to watch.
const stdin = fstatSync(0);
if (stdin.isSocket() || stdin.isFIFO()) process.stdin.on('end', () => process.exit(1)).resume();

let next = job.startIndex;
let used = 0;
/** Every request takes the next id: a real token check and a real database read each time. */
const request: autocannon.Request = {
  method: 'GET',
  setupRequest(req) {
    req.path = job.pathPrefix + ids[next++ % ids.length]!;
    used++;
    return req;
  },
};

function counts(result: autocannon.Result): Counts {
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    responses: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

/** The value at quantile q of sorted samples (nearest rank). */
const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

async function load(durationS: number, latencies?: { push(ms: number): void }): Promise<autocannon.Result> {
  const instance = run({
    url: job.origin,
    connections: job.connections,
    duration: durationS,
    headers: job.headers,
    requests: [request],
  });
  if (latencies) instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  return await instance;
}

/** A growable Float64Array: a few hundred thousand samples without a boxed number each. */
class Samples {
  data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

async function main(): Promise<void> {
  // Warmup: the server's JIT, caches (token verdict, schemas) and the OS page cache settle first.
  const warmup = job.warmupS > 0 ? counts(await load(job.warmupS)) : { responses: 0, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {} };
  used = 0;
  // Tells run.ts to read the server's CPU time now: the warmup's costlier requests stay out of it.
  process.stdout.write(`${MEASURING}\n`);
  const samples = new Samples();
  const cpu = process.cpuUsage();
  const result = await load(job.durationS, samples);
  const { user, system } = process.cpuUsage(cpu);
  const sorted = samples.data.slice(0, samples.length).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const out: LoadResult = {
    ...counts(result),
    durationS: result.duration,
    rps: result.requests.total / result.duration,
    latencyMs: {
      mean: sum / sorted.length,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      p999: quantile(sorted, 0.999),
      max: sorted[sorted.length - 1] ?? NaN,
    },
    clientCpuUsPerRequest: (user + system) / result.requests.total,
    idsUsed: used,
    nextIndex: next % ids.length,
    warmup,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`load worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
