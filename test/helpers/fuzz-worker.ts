/**
 * The fuzzing client, in a worker thread: it generates the requests (fast-check, from a seed),
 * sends them over keep-alive connections, checks every answer and posts back a summary. The
 * server under test keeps the test's own thread, so on two cores each side gets one.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { anyRequest, refusedRequest, type FuzzContext, type FuzzRequest } from './fuzz-requests.js';
import { bodyOf, envelopeProblem, KeepAliveClient, runPool, type RawAnswer, type Sent } from './robustness.js';

export interface FuzzJob {
  url: string;
  ctx: FuzzContext;
  family: 'refused' | 'any';
  runs: number;
  seed: number;
  concurrency: number;
  /** Per-tag latency totals in the summary (to see where time goes). */
  profile?: boolean;
}

export interface FuzzSummary {
  sent: number;
  /** Sending only (generation excluded). */
  sendMs: number;
  generateMs: number;
  statuses: Record<string, number>;
  routes: Record<string, number>;
  successes: number;
  /** Requests whose exact answer was known (one defect alone decided it), and checked. */
  expected: number;
  /** Each described for the report (first ones only); `failureCount` has them all. */
  failures: string[];
  failureCount: number;
  slowest?: string;
}

function describe(request: FuzzRequest, problem: string, answer?: RawAnswer): string {
  const body = bodyOf(request);
  const bodyText = body === undefined ? '' : Buffer.isBuffer(body) ? body.toString('latin1') : body;
  return [
    `- ${problem} [${request.label}]`,
    `  ${request.method} ${request.path.slice(0, 300)}`,
    `  headers ${JSON.stringify(request.headers).slice(0, 300)}`,
    bodyText ? `  body (${bodyText.length} chars) ${JSON.stringify(bodyText.slice(0, 300))}` : '',
    answer ? `  -> ${answer.status} ${answer.text.slice(0, 300)}` : '',
  ].filter(Boolean).join('\n');
}

const count = (m: Record<string, number>, k: string | number) => void (m[k] = (m[k] ?? 0) + 1);

/** Generates, sends and checks one job; the same code runs in the worker and, if asked, inline. */
export async function runJob(job: FuzzJob): Promise<FuzzSummary> {
  let generateMs = 0;
  const arb = job.family === 'refused' ? refusedRequest(job.ctx) : anyRequest(job.ctx);
  // Generated in small chunks as the sending goes (chunk k from seed + k * CHUNK), so the server
  // is never left idle while a big batch is made.
  const CHUNK = 32;
  const requests: FuzzRequest[] = [];
  const results: Sent[] = [];
  const take = (): number | undefined => {
    const i = results.length;
    if (i >= job.runs) return undefined;
    if (i >= requests.length) {
      const g = performance.now();
      requests.push(...fc.sample(arb, { numRuns: Math.min(CHUNK, job.runs - requests.length), seed: job.seed + requests.length }));
      generateMs += performance.now() - g;
    }
    results.length = i + 1;
    return i;
  };
  const client = KeepAliveClient.forUrl(job.url);
  const elu = performance.eventLoopUtilization();
  const t1 = performance.now();
  await runPool(Array.from({ length: job.concurrency }), job.concurrency, async () => {
    for (let i = take(); i !== undefined; i = take()) results[i] = await client.send(requests[i]!);
  });
  const sendMs = performance.now() - t1 - generateMs;
  const busy = performance.eventLoopUtilization(elu).utilization;
  client.close();

  const summary: FuzzSummary = { sent: requests.length, sendMs, generateMs, statuses: {}, routes: {}, successes: 0, expected: 0, failures: [], failureCount: 0 };
  const fail = (s: string) => {
    summary.failureCount++;
    if (summary.failures.length < 12) summary.failures.push(s);
  };
  const byTag = new Map<string, number>();
  const messages: Record<string, number> = {};
  results.forEach((r, i) => {
    const request = requests[i]!;
    count(summary.routes, request.route);
    if (job.profile) for (const t of request.label.split(': ')[1]!.split(', ')) byTag.set(t.replace(/\d+/g, 'N'), (byTag.get(t.replace(/\d+/g, 'N')) ?? 0) + r.ms);
    if (!r.ok) {
      count(summary.statuses, 'no answer');
      return fail(describe(request, `no answer: ${r.error}`));
    }
    count(summary.statuses, r.answer.status);
    if (job.profile && r.answer.status >= 400) {
      const m = /"message":(\[?"[^"]{0,60})/.exec(r.answer.text)?.[1] ?? r.answer.text.slice(0, 40);
      count(messages, `${r.answer.status} ${m.replace(/[0-9a-f]{24}|[A-Za-z0-9]{20}/g, '<id>')}`);
    }
    if (r.answer.status < 300) summary.successes++;
    const problem = envelopeProblem(request.method, r.answer);
    if (problem) return fail(describe(request, problem, r.answer));
    if (job.family === 'refused' && r.answer.status < 400) return fail(describe(request, `a request the contract refuses was answered ${r.answer.status}`, r.answer));
    if (request.expect) {
      summary.expected++;
      if (r.answer.status !== request.expect.status) return fail(describe(request, `answered ${r.answer.status}, not ${request.expect.status}`, r.answer));
      if (request.expect.body !== undefined && r.answer.text !== JSON.stringify(request.expect.body)) return fail(describe(request, `answered other than ${JSON.stringify(request.expect.body)}`, r.answer));
    }
    return undefined;
  });
  if (job.profile) {
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const slowOnes = results.map((r, i) => [r.ms, requests[i]!.label] as const).sort((a, b) => b[0] - a[0]).slice(0, 8);
    summary.slowest = [
      `client thread busy ${Math.round(busy * 100)}% of the run`,
      `latency p50 ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(1)} ms, max ${ms[ms.length - 1]!.toFixed(1)} ms`,
      `by tag: ${[...byTag].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${Math.round(v)} ms`).join('; ')}`,
      `errors: ${Object.entries(messages).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, n]) => `${n} × ${k}`).join(' | ')}`,
      `slowest: ${slowOnes.map(([m, l]) => `${Math.round(m)} ms ${l}`).join(' | ')}`,
    ].join(' || ');
  }
  return summary;
}

/** A worker thread that runs jobs one at a time (the test's thread keeps serving). */
export interface FuzzWorker {
  run(job: FuzzJob): Promise<FuzzSummary>;
  close(): Promise<void>;
}

/**
 * Starts the worker at once (it loads this file through tsx, which takes a moment: start it early,
 * while the server is being set up).
 */
export function startFuzzWorker(): FuzzWorker {
  // The worker runs this file too: through tsx, registered in the worker before it is imported.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { fuzzWorker: true } });
  let pending: { resolve: (s: FuzzSummary) => void; reject: (e: Error) => void } | null = null;
  let failed: Error | null = null;
  const fail = (e: Error) => {
    failed = e;
    pending?.reject(e);
    pending = null;
  };
  worker.on('message', (s: FuzzSummary) => {
    pending?.resolve(s);
    pending = null;
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the fuzz worker exited (code ${code})`)));
  return {
    run(job) {
      if (failed) return Promise.reject(failed);
      if (pending) return Promise.reject(new Error('one job at a time'));
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage(job);
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

if (parentPort && (workerData as { fuzzWorker?: boolean } | undefined)?.fuzzWorker) {
  const port = parentPort;
  port.on('message', (job: FuzzJob) => {
    void runJob(job).then((s) => port.postMessage(s));
  });
}
