/**
 * The load generator: one child process per case, so it never shares an event loop (or a CPU
 * profile) with the orchestrator or the server. run.ts compiles it to plain JS before starting it.
 *
 *   node load-worker.js JOB.json   → on stdout: "measuring" when the warmup is over, then one
 *                                    JSON line (LoadResult)
 */
import { fstatSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type autocannon from 'autocannon';
import { CREATED_BASE, EXACT_WARMUP_PER_S, MEASURING, addCounts, quantile, searchBody, type Counts, type LoadJob, type LoadResult } from './load-protocol.js';
import { SPECIES, petProperties, prng } from './pets.js';

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
/** Pets created so far (warmup included): each gets its own number. */
let created = 0;
const rand = prng(job.startIndex + 1);
const json = { 'content-type': 'application/json' };

/** The request of each kind; `setupRequest` makes every one different. */
function requestOf(kind: LoadJob['kind']): autocannon.Request {
  switch (kind) {
    case 'get':
      // Every request takes the next id: a real token check and a real database read each time.
      return {
        method: 'GET',
        setupRequest(req) {
          req.path = job.pathPrefix + ids[next++ % ids.length]!;
          used++;
          return req;
        },
      };
    case 'create':
      // A new pet each time, numbered past the generated ones: names and emails stay distinct.
      return {
        method: 'POST',
        path: job.pathPrefix,
        headers: { ...job.headers, ...json },
        setupRequest(req) {
          used++;
          const i = CREATED_BASE + job.startIndex + created++;
          req.body = JSON.stringify({ locationId: job.locationId, properties: petProperties(rand, i) });
          return req;
        },
      };
    case 'search':
      // One species (an indexed SINGLE_OPTIONS field) and a weight ceiling, the heaviest first.
      return {
        method: 'POST',
        path: `${job.pathPrefix}search`,
        headers: { ...job.headers, ...json },
        setupRequest(req) {
          used++;
          req.body = JSON.stringify(searchBody(job.locationId, SPECIES[Math.floor(rand() * SPECIES.length)]!, 5 + Math.round(rand() * 550) / 10));
          return req;
        },
      };
  }
}

const request = requestOf(job.kind);

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

/**
 * Runs for `durationS`, or (amount given) until exactly `amount` requests are answered. Returns
 * autocannon's result and the run's length in seconds: autocannon notices that an amount is done
 * only at its next 1-second tick and counts that wait in its `duration`, so an amount run is timed
 * here instead, from its start to its last answer.
 */
async function load(durationS: number, latencies?: { push(ms: number): void }, amount?: number): Promise<{ result: autocannon.Result; seconds: number }> {
  const started = performance.now();
  let lastAnswer = started;
  const instance = run({
    url: job.origin,
    connections: job.connections,
    ...(amount === undefined ? { duration: durationS } : { amount }),
    headers: job.headers,
    requests: [request],
  });
  instance.on('response', (_client, _status, _bytes, ms) => {
    lastAnswer = performance.now();
    latencies?.push(ms);
  });
  const result = await instance;
  return { result, seconds: amount === undefined ? result.duration : (lastAnswer - started) / 1000 };
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

/**
 * The warmup of an exactCount case: rounds of a fixed number of requests, each round answered in
 * full, until `warmupS` is spent. The first round is EXACT_WARMUP_PER_S requests; each next one
 * is sized to last about a second at the previous round's rate. Returns what every round got, and
 * the last round's rate: the warm rate the measured run is sized by.
 */
async function exactWarmup(): Promise<{ counts: Counts; rate: number }> {
  const rounds: Counts[] = [];
  let amount = Math.max(job.connections, EXACT_WARMUP_PER_S);
  let rate = EXACT_WARMUP_PER_S;
  const started = performance.now();
  while ((performance.now() - started) / 1000 < job.warmupS) {
    const { result, seconds } = await load(0, undefined, amount);
    const round = counts(result);
    rounds.push(round);
    if (seconds > 0) rate = round.responses / seconds;
    amount = Math.max(job.connections, Math.round(rate));
  }
  return { counts: addCounts(rounds), rate };
}

async function main(): Promise<void> {
  // Warmup: the server's JIT, caches (token verdict, schemas) and the OS page cache settle first.
  // exactCount: the warmup too is made of requests that are all answered (see LoadJob).
  const empty = addCounts([]);
  let warmup = empty;
  let amount: number | undefined;
  if (job.exactCount) {
    const warmed = job.warmupS > 0 ? await exactWarmup() : { counts: empty, rate: EXACT_WARMUP_PER_S };
    warmup = warmed.counts;
    amount = Math.max(job.connections, Math.round(warmed.rate * job.durationS));
  } else if (job.warmupS > 0) {
    warmup = counts((await load(job.warmupS)).result);
  }
  used = 0;
  // Tells run.ts to read the server's CPU time now: the warmup's costlier requests stay out of it.
  process.stdout.write(`${MEASURING}\n`);
  const samples = new Samples();
  const cpu = process.cpuUsage();
  const { result, seconds } = await load(job.durationS, samples, amount);
  const { user, system } = process.cpuUsage(cpu);
  const sorted = samples.data.slice(0, samples.length).sort();
  if (job.samplesFile) writeFileSync(job.samplesFile, new Uint8Array(sorted.buffer, 0, sorted.byteLength));
  let sum = 0;
  for (const v of sorted) sum += v;
  const out: LoadResult = {
    ...counts(result),
    durationS: seconds,
    rps: result.requests.total / seconds,
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
