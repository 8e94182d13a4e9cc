/**
 * `npm run bench`: generates (or reuses) a database, starts the built server and a bare node:http
 * server as child processes, drives each with autocannon from another child process, and prints
 * one table. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { HELP, UsageError, parseBenchArgs, type BenchOptions } from './args.js';
import { ROOT } from './built.js';
import { compileScripts } from './compile.js';
import { generateDatabase, reuseDatabase, shuffled, type BenchDatabase, type GenerateTimings } from './generate.js';
import { MEASURING, type LoadJob, type LoadResult } from './load-protocol.js';
import { cleanup, cpuTimeMs, installCleanupHandlers, interrupted, rssBytes, runChild, sampleRss, trackDir } from './processes.js';
import { summarize, table, type CaseSummary } from './report.js';
import { VERSION, checkRealServer, get, startBareServer, startRealServer } from './servers.js';

/** The first case on each server warms it up this many times --warmup. */
const FIRST_WARMUP_FACTOR = 3;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The commit measured, marked dirty when src/ differs from it: results name the code they came from. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' (src/ modified)' : ''}`;
  } catch {
    return 'unknown';
  }
}


interface CaseRun {
  id: string;
  label: string;
  pid: number;
  load: LoadResult;
  peakRssBytes: number;
  cpuUsPerRequest: number;
}

async function runCase(
  worker: string,
  tmp: string,
  spec: { id: string; label: string; pid: number; origin: string; token: string },
  common: Omit<LoadJob, 'origin' | 'headers' | 'startIndex'>,
  startIndex: number,
): Promise<CaseRun> {
  const job: LoadJob = { ...common, origin: spec.origin, startIndex, headers: { Authorization: `Bearer ${spec.token}`, Version: VERSION } };
  const jobFile = join(tmp, `job-${spec.id}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  log(`${spec.label}: ${common.warmupS} s warmup + ${common.durationS} s at ${common.connections} connections…`);
  // Sampled from here, a third process: the server's own memory is what is measured.
  const rss = sampleRss(spec.pid);
  let cpuBefore = NaN;
  let stdout: string;
  let peak: number;
  try {
    stdout = await runChild('load worker', process.execPath, [worker, jobFile], {
      onLine: (line) => {
        if (line === MEASURING) cpuBefore = cpuTimeMs(spec.pid) ?? NaN;
      },
    });
  } finally {
    peak = rss.stop().peak;
  }
  const load = JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
  // Over the measured run only: a server still warming up costs more per request.
  const cpuUsPerRequest = (((cpuTimeMs(spec.pid) ?? NaN) - cpuBefore) * 1000) / load.responses;
  log(`  ${Math.round(load.rps)} req/s, p50 ${load.latencyMs.p50.toFixed(2)} ms, p99 ${load.latencyMs.p99.toFixed(2)} ms, ${cpuUsPerRequest.toFixed(0)} µs CPU/req, ${load.non2xx} non-2xx, ${load.errors + load.timeouts} errors`);
  return { id: spec.id, label: spec.label, pid: spec.pid, load, peakRssBytes: peak, cpuUsPerRequest };
}

async function prepareData(options: BenchOptions, tmp: string): Promise<{ db: BenchDatabase; generated: boolean; timings?: GenerateTimings }> {
  if (options.db !== undefined && existsSync(options.db)) {
    if (options.argv.some((a) => a.startsWith('--records'))) log(`--records is ignored: reusing ${options.db} as it is`);
    log(`reusing ${options.db}`);
    return { db: await reuseDatabase(options.db), generated: false };
  }
  const path = options.db ?? join(tmp, 'bench.db');
  log(`generating ${options.records.toLocaleString('en-US')} records into ${path}…`);
  const { db, timings } = await generateDatabase(path, options.records);
  log(`  built in ${(timings.buildMs / 1000).toFixed(1)} s, written in ${(timings.writeMs / 1000).toFixed(1)} s${options.db ? ' (kept: pass the same --db to reuse it)' : ''}`);
  return { db, generated: true, timings };
}

async function main(): Promise<number> {
  const options = parseBenchArgs(process.argv.slice(2));
  if (!options) return 0;
  installCleanupHandlers(log);
  const tmp = mkdtempSync(join(tmpdir(), 'ghl-objects-bench-'));
  trackDir(tmp);
  const command = `npm run bench${options.argv.length ? ` -- ${options.argv.join(' ')}` : ''}`;
  const loadBefore = loadavg();
  if (loadBefore[0]! > availableParallelism() * 0.5) log(`note: load average is ${loadBefore[0]!.toFixed(1)} on ${availableParallelism()} cores; other work will skew the numbers`);

  const data = await prepareData(options, tmp);
  const { db } = data;
  const idsFile = join(tmp, 'ids.txt');
  writeFileSync(idsFile, shuffled(db.ids).join('\n'));
  const prefix = `/objects/${db.objectKey}/records/`;

  const real = await startRealServer(db.path);
  log(`ghl-objects (pid ${real.pid}) on ${real.origin}`);
  const sample = await checkRealServer(real.origin, prefix, db);
  const idleRss = rssBytes(real.pid) ?? 0;

  const bare = await startBareServer(tmp, sample);
  const bareAnswer = await get(bare.origin + prefix + db.ids[0]!, db.pit);
  if (bareAnswer.status !== 200 || !bareAnswer.body.equals(sample.body) || JSON.stringify(bareAnswer.headers) !== JSON.stringify(sample.headers)) {
    throw new Error('the bare server does not answer the same bytes as ghl-objects');
  }
  log(`bare node:http (pid ${bare.pid}) on ${bare.origin}, serving a ${sample.body.length}-byte body`);

  const worker = compileScripts(tmp, [join(ROOT, 'bench/load-worker.ts'), join(ROOT, 'bench/load-protocol.ts')]);
  const common = { pathPrefix: prefix, idsFile, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, resolveFrom: join(ROOT, 'package.json') };
  const specs = [
    { id: 'get-record-pit', label: 'Get Record By Id, PIT', ...real, token: db.pit },
    { id: 'get-record-oauth', label: 'Get Record By Id, OAuth JWT', ...real, token: db.oauth },
    { id: 'bare', label: 'bare node:http, same bytes', ...bare, token: db.pit },
  ];
  const runs: CaseRun[] = [];
  // Cases continue along the shuffled id list, so no case re-reads the records another just read.
  let index = 0;
  const warmed = new Set<number>();
  for (const spec of specs) {
    // A fresh server keeps getting cheaper per request for well over 5 s (JIT tiers, heap
    // sizing): measured after a short warmup, whichever case came first looked ~15% costlier.
    const warmupS = warmed.has(spec.pid) ? options.warmupS : options.warmupS * FIRST_WARMUP_FACTOR;
    warmed.add(spec.pid);
    const run = await runCase(worker, tmp, spec, { ...common, warmupS }, index);
    index = run.load.nextIndex;
    runs.push(run);
  }

  const bareRun = runs.find((r) => r.id === 'bare')!;
  const cases: CaseSummary[] = runs.map((r) => summarize(r, bareRun));
  const realIds = runs.filter((r) => r.pid === real.pid).reduce((n, r) => n + r.load.idsUsed + r.load.warmup.responses, 0);
  const summary = {
    command,
    revision: revision(),
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
      loadAverageBefore: loadBefore.map((l) => Number(l.toFixed(2))),
      loadAverageAfter: loadavg().map((l) => Number(l.toFixed(2))),
    },
    options: { records: db.ids.length, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS },
    data: { generated: data.generated, records: db.ids.length, timings: data.timings, bodyBytes: sample.body.length },
    server: { idleRssBytes: idleRss, peakRssBytesPit: runs[0]!.peakRssBytes },
    idsRequested: realIds,
    cases,
  };

  const text = table(cases);
  const notes = [
    `server RSS: ${(idleRss / 1_048_576).toFixed(0)} MiB idle, peak ${(runs[0]!.peakRssBytes / 1_048_576).toFixed(0)} MiB during the PIT case`,
    `ids: ${realIds.toLocaleString('en-US')} requests to ghl-objects over ${db.ids.length.toLocaleString('en-US')} records${realIds > db.ids.length ? ` (the list wrapped: each id asked for at most ${Math.ceil(realIds / db.ids.length)} times)` : ' (every request a different record)'}`,
    `${summary.machine.nproc} cores (${summary.machine.cpu}), node ${process.version}, load average ${summary.machine.loadAverageBefore[0]} before / ${summary.machine.loadAverageAfter[0]} after`,
    `command: ${command} (revision ${summary.revision})`,
  ];
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    log(`\n${text}\n${notes.join('\n')}`);
  } else {
    process.stdout.write(`\n${text}\n\n${notes.join('\n')}\n`);
  }

  const failed = cases.filter((c) => c.failures > 0);
  if (failed.length) {
    log(`\nFAILED: not every response was 2xx:`);
    for (const c of failed) log(`  ${c.label}: ${JSON.stringify({ measured: c.load.statusCodes, warmup: c.load.warmup.statusCodes, errors: c.load.errors + c.load.warmup.errors, timeouts: c.load.timeouts + c.load.warmup.timeouts })}`);
    return 1;
  }
  return 0;
}

main()
  .then(
    (code) => code,
    (err: unknown) => {
      if (err instanceof UsageError) log(`${err.message}\n\n${HELP}`);
      // After Ctrl-C the children die first: their failures are the interruption, already reported.
      else if (!interrupted()) log(`bench failed: ${(err as Error).stack ?? String(err)}`);
      return err instanceof UsageError ? 2 : 1;
    },
  )
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
