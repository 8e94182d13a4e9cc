/**
 * `npm run bench`: generates (or reuses) a database, starts the built server and a bare node:http
 * server as child processes, drives each with autocannon from another child process, and prints
 * one table. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HELP, UsageError, parseBenchArgs, type BenchOptions } from './args.js';
import { ROOT } from './built.js';
import { compileScripts } from './compile.js';
import { generateDatabase, reuseDatabase, shuffled, type BenchDatabase, type GenerateTimings } from './generate.js';
import { MEASURING, addCounts, quantile, searchBody, type LoadJob, type LoadKind, type LoadResult } from './load-protocol.js';
import { kernelCostsNote, measureKernelCosts } from './machine.js';
import { SPECIES } from './pets.js';
import { cleanup, cpuTimeMs, installCleanupHandlers, interrupted, rssBytes, runChild, sampleRss, stopAll, trackDir, trackHook, untrackHook } from './processes.js';
import { summarize, table, type CaseSummary, type TurnSummary } from './report.js';
import { VERSION, checkRealServer, get, startBareServer, startRealServer, type Server } from './servers.js';

/** The first case on each server warms it up this many times --warmup. */
const FIRST_WARMUP_FACTOR = 3;
/** Rounds of Get Record By Id turns: each case gets this many turns, each round the last reversed. */
const GET_ROUNDS = 4;
/**
 * At most this warmup (s) before a Get case's later turns: its server is warm, only the worker
 * process is new. Keeps the run as long as it was with two turns of --warmup each.
 */
const LATER_TURN_WARMUP_S = 2;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The commit measured, marked dirty when src/ or bin/ differs from it: results name the code they came from. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src', 'bin') ? ' (src/ or bin/ modified)' : ''}`;
  } catch {
    return 'unknown';
  }
}


interface CaseRun {
  id: string;
  label: string;
  /** The server(s) under load. */
  pids: number[];
  load: LoadResult;
  peakRssBytes: number;
  cpuUsPerRequest: number;
  /** The measured latencies (see LoadJob.samplesFile), one file per worker and turn. */
  sampleFiles: string[];
  /** A case measured in turns: each turn's figures (the rest are over all of them). */
  turns?: TurnSummary[];
}

interface CaseSpec {
  id: string;
  label: string;
  kind: LoadKind;
  /** One worker per server, the connections split between them. */
  servers: Server[];
  token: string;
  /** Connections of this case, when not --connections. */
  connections?: number;
}

/** Sample files named so far: a case's turns share its id, so each run's files are numbered. */
let samplesFiles = 0;

type Common = Omit<LoadJob, 'origin' | 'headers' | 'startIndex' | 'kind' | 'samplesFile'>;

/** The data a case reads: its ids and location, how many ids there are, and whose place on their list it keeps. */
interface Target {
  common: Common;
  idCount: number;
  cursor: string;
}

/**
 * Several results as one, latencies from all their samples: of workers that ran side by side
 * (req/s added), or of turns run one after another (req/s over their seconds together).
 */
function mergeLoads(loads: readonly LoadResult[], sampleFiles: readonly string[], how: 'side by side' | 'in turns'): LoadResult {
  if (loads.length === 1) return loads[0]!;
  const chunks = sampleFiles.map((f) => {
    const b = readFileSync(f);
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  });
  const all = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  all.sort();
  const counts = addCounts(loads);
  const durationS = how === 'side by side' ? Math.max(...loads.map((l) => l.durationS)) : loads.reduce((n, l) => n + l.durationS, 0);
  return {
    ...counts,
    durationS,
    rps: how === 'side by side' ? loads.reduce((n, l) => n + l.rps, 0) : counts.responses / durationS,
    latencyMs: {
      mean: all.reduce((n, v) => n + v, 0) / all.length,
      p50: quantile(all, 0.5),
      p90: quantile(all, 0.9),
      p99: quantile(all, 0.99),
      p999: quantile(all, 0.999),
      max: all[all.length - 1] ?? NaN,
    },
    clientCpuUsPerRequest: loads.reduce((n, l) => n + l.clientCpuUsPerRequest * l.responses, 0) / counts.responses,
    idsUsed: loads.reduce((n, l) => n + l.idsUsed, 0),
    nextIndex: loads[loads.length - 1]!.nextIndex,
    warmup: addCounts(loads.map((l) => l.warmup)),
  };
}

async function runCase(
  worker: string,
  tmp: string,
  spec: CaseSpec,
  common: Common,
  startIndex: number,
  options: { exactCount?: boolean; onMeasuring?: () => void; idCount?: number } = {},
): Promise<CaseRun> {
  common = { ...common, connections: spec.connections ?? common.connections };
  const n = spec.servers.length;
  const headers = { Authorization: `Bearer ${spec.token}`, Version: VERSION };
  log(`${spec.label}: ${common.warmupS} s warmup + ${common.durationS} s at ${common.connections} connections${n > 1 ? ` (${n} servers, ${n} workers)` : ''}…`);
  const pids = spec.servers.map((s) => s.pid);
  // Sampled from here, a third process: the server's own memory is what is measured.
  const rss = pids.map((pid) => sampleRss(pid));
  const cpuBefore = new Map<number, number>();
  const sampleFiles = spec.servers.map((_, i) => join(tmp, `samples-${spec.id}-${++samplesFiles}-${i}.bin`));
  let outputs: string[];
  let peak = 0;
  try {
    outputs = await Promise.all(
      spec.servers.map((server, i) => {
        const job: LoadJob = {
          ...common,
          kind: spec.kind,
          origin: server.origin,
          headers,
          // Side by side, the workers start apart on the id list and so ask for different records.
          startIndex: startIndex + Math.floor((i * (options.idCount ?? 0)) / n),
          connections: Math.max(1, Math.round(common.connections / n)),
          samplesFile: sampleFiles[i]!,
          ...(options.exactCount ? { exactCount: true } : {}),
        };
        const jobFile = join(tmp, `job-${spec.id}-${i}.json`);
        writeFileSync(jobFile, JSON.stringify(job));
        return runChild('load worker', process.execPath, [worker, jobFile], {
          onLine: (line) => {
            if (line !== MEASURING) return;
            cpuBefore.set(server.pid, cpuTimeMs(server.pid) ?? NaN);
            if (cpuBefore.size === n) options.onMeasuring?.();
          },
        });
      }),
    );
  } finally {
    for (const r of rss) peak += r.stop().peak;
  }
  const load = mergeLoads(
    outputs.map((stdout) => JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult),
    sampleFiles,
    'side by side',
  );
  // Over the measured run only: a server still warming up costs more per request.
  const cpuMs = pids.reduce((sum, pid) => sum + ((cpuTimeMs(pid) ?? NaN) - (cpuBefore.get(pid) ?? NaN)), 0);
  const cpuUsPerRequest = (cpuMs * 1000) / load.responses;
  log(`  ${Math.round(load.rps)} req/s, p50 ${load.latencyMs.p50.toFixed(2)} ms, p99 ${load.latencyMs.p99.toFixed(2)} ms, ${cpuUsPerRequest.toFixed(0)} µs CPU/req, ${load.non2xx} non-2xx, ${load.errors + load.timeouts} errors`);
  return { id: spec.id, label: spec.label, pids, load, peakRssBytes: peak, cpuUsPerRequest, sampleFiles };
}

/** Turns of one case as one: its figures over all of them, and each turn's. */
function inTurns(turns: readonly CaseRun[]): CaseRun {
  const first = turns[0]!;
  const load = mergeLoads(
    turns.map((t) => t.load),
    turns.flatMap((t) => t.sampleFiles),
    'in turns',
  );
  return {
    id: first.id,
    label: first.label,
    pids: [...new Set(turns.flatMap((t) => t.pids))],
    load,
    peakRssBytes: Math.max(...turns.map((t) => t.peakRssBytes)),
    cpuUsPerRequest: turns.reduce((n, t) => n + t.cpuUsPerRequest * t.load.responses, 0) / load.responses,
    sampleFiles: turns.flatMap((t) => t.sampleFiles),
    turns: turns.map((t) => ({ reqPerS: t.load.rps, p99Ms: t.load.latencyMs.p99, cpuUsPerRequest: t.cpuUsPerRequest })),
  };
}

/** Pet records in a SQLite benchmark database, read with a read-only connection of its own. */
function countPets(path: string, db: BenchDatabase): number {
  const sql = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return sql
      .prepare<[string, string], number>('SELECT count(*) FROM records r JOIN objects o ON o.id = r.object_id WHERE o.key = ? AND o.location_id = ?')
      .pluck()
      .get(db.objectKey, db.locationId)!;
  } finally {
    sql.close();
  }
}

/** Waits until a process has used (almost) no CPU for 0.5 s, at most 2 minutes. */
async function waitIdle(pid: number): Promise<void> {
  const started = performance.now();
  let last = cpuTimeMs(pid);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = cpuTimeMs(pid);
    if (now === undefined || last === undefined || now - last <= 20) break;
    last = now;
    if (performance.now() - started > 120_000) {
      log(`  note: pid ${pid} is still busy after 2 minutes`);
      return;
    }
  }
  const waited = performance.now() - started;
  if (waited > 1_000) log(`  waited ${(waited / 1000).toFixed(1)} s for pid ${pid} to finish earlier requests`);
}

/** Runs a CLI command of the built server to completion; its output goes to our stderr. */
function cli(args: string[]): Promise<string> {
  return runChild(`ghl-objects ${args[0]}`, process.execPath, [join(ROOT, 'bin/ghl-objects'), ...args]);
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

/** The large database's Get Record By Id against the small one's, over all their turns (`measured`: every run, in order). */
function sizeRatio(records: number, turns: { records: number; large: CaseRun[]; small: CaseRun[] }, measured: readonly CaseRun[]) {
  const total = (runs: CaseRun[], of: (r: CaseRun) => number) => runs.reduce((sum, r) => sum + of(r), 0);
  const responses = (r: CaseRun) => r.load.responses;
  const cpuUs = (r: CaseRun) => r.cpuUsPerRequest * r.load.responses;
  const order = measured.filter((r) => turns.large.includes(r) || turns.small.includes(r));
  return {
    records,
    smallRecords: turns.records,
    reqPerS: Number((total(turns.large, (r) => r.load.rps) / total(turns.small, (r) => r.load.rps)).toFixed(3)),
    cpuPerRequest: Number((total(turns.large, cpuUs) / total(turns.large, responses) / (total(turns.small, cpuUs) / total(turns.small, responses))).toFixed(3)),
    turns: order.map((r) => ({ records: turns.large.includes(r) ? records : turns.records, reqPerS: r.load.rps, cpuUsPerRequest: r.cpuUsPerRequest })),
  };
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
  const kernelBefore = measureKernelCosts(db.path);
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

  // A search body of the search case, once by hand: it must find records, or the case measures nothing.
  const probe = await get(`${real.origin}${prefix}search`, db.pit, searchBody(db.locationId, SPECIES[0]!, 30));
  const probeBody = JSON.parse(probe.body.toString('utf8')) as { records?: unknown[]; total?: number };
  if (probe.status !== 201 || !probeBody.records?.length) {
    throw new Error(`the search case's body answered ${probe.status} with ${probeBody.records?.length ?? 0} records: ${probe.body.toString('utf8').slice(0, 300)}`);
  }
  log(`search probe: 201, ${probeBody.records.length} records of ${probeBody.total ?? '?'}`);

  // For the PostgreSQL cases: the same data, exported before any case writes to it.
  const exportFile = join(tmp, 'export.json');
  if (options.pg) {
    const t = performance.now();
    await cli(['export', '--db', db.path, '--out', exportFile]);
    log(`exported for PostgreSQL in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  const worker = compileScripts(tmp, [join(ROOT, 'bench/load-worker.ts'), join(ROOT, 'bench/load-protocol.ts'), join(ROOT, 'bench/pets.ts')]);
  const common: Common = { pathPrefix: prefix, idsFile, locationId: db.locationId, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, resolveFrom: join(ROOT, 'package.json') };
  /** Every run, turns included. */
  const measured: CaseRun[] = [];
  // Cases continue along the shuffled id list, so no case re-reads the records another just read.
  const next = new Map<string, number>();
  const warmed = new Set<number>();
  const mainTarget: Target = { common, idCount: db.ids.length, cursor: 'main' };
  // The bare server reads nothing: its requests do not use up ids of the real server's cases.
  const bareTarget: Target = { ...mainTarget, cursor: 'bare' };
  let smallServer: Server | undefined;
  /** Cases that have had a turn. */
  const begun = new Set<string>();
  /** Runs a case, or (`turns` > 1) one of its turns: its measured seconds are then shared between them. */
  const run = async (spec: CaseSpec, target: Target = mainTarget, extra: { exactCount?: boolean; turns?: number } = {}) => {
    // A fresh server keeps getting cheaper per request for well over 5 s (JIT tiers, heap
    // sizing): measured after a short warmup, whichever case came first looked ~15% costlier.
    // A server may still be working off requests a previous case gave up on (timeouts): it
    // would take CPU from this case, whichever server this case loads.
    // All at once: each wait takes half a second at least.
    await Promise.all([...new Set([real, bare, ...(smallServer ? [smallServer] : []), ...spec.servers].map((s) => s.pid))].map(waitIdle));
    const fresh = spec.servers.some((s) => !warmed.has(s.pid));
    const warmupS = fresh ? options.warmupS * FIRST_WARMUP_FACTOR : begun.has(spec.id) ? Math.min(options.warmupS, LATER_TURN_WARMUP_S) : options.warmupS;
    for (const s of spec.servers) warmed.add(s.pid);
    begun.add(spec.id);
    const startIndex = next.get(target.cursor) ?? 0;
    const durationS = target.common.durationS / (extra.turns ?? 1);
    const result = await runCase(worker, tmp, spec, { ...target.common, warmupS, durationS }, startIndex, { idCount: target.idCount, exactCount: extra.exactCount });
    if (spec.kind === 'get') next.set(target.cursor, result.load.nextIndex);
    measured.push(result);
    return result;
  };

  // Get Record By Id is measured in GET_ROUNDS turns per case, each a GET_ROUNDS-th of the
  // seconds, in rounds whose order is reversed every other round: bare, OAuth, PIT, (the small
  // database,) then the small database, PIT, OAuth, bare, and so on. Each case's turns are then
  // centred on the same moment of the run, so that a machine whose speed drifts moves every ratio's
  // sides alike (measured once each, bare last, the same server needed 61 and then 48 µs a request
  // two minutes apart), and several short turns share the machine's slow seconds out more evenly
  // than two long ones did (bench/README.md).
  const bareSpec: CaseSpec = { id: 'bare', label: 'bare node:http, same bytes', kind: 'get', servers: [bare], token: db.pit };
  const pitSpec: CaseSpec = { id: 'get-record-pit', label: 'Get Record By Id, PIT', kind: 'get', servers: [real], token: db.pit };
  const oauthSpec: CaseSpec = { id: 'get-record-oauth', label: 'Get Record By Id, OAuth JWT', kind: 'get', servers: [real], token: db.oauth };
  // The small database is made before the turns begin, its server started just before its first
  // turn: one started earlier and left idle while the other was under load cost 10 to 30% more
  // CPU a request, turn after turn.
  let smallDb: { db: BenchDatabase; target: Target } | undefined;
  if (options.smallRecords > 0 && options.smallRecords < db.ids.length) {
    log(`generating ${options.smallRecords.toLocaleString('en-US')} records for the small database…`);
    const made = (await generateDatabase(join(tmp, 'small.db'), options.smallRecords)).db;
    const smallIds = join(tmp, 'small-ids.txt');
    writeFileSync(smallIds, shuffled(made.ids).join('\n'));
    smallDb = { db: made, target: { common: { ...common, idsFile: smallIds, locationId: made.locationId }, idCount: made.ids.length, cursor: 'small' } };
  }
  const smallSpec = async (small: { db: BenchDatabase }): Promise<CaseSpec> => {
    if (!smallServer) {
      smallServer = await startRealServer(small.db.path);
      log(`ghl-objects on the small database (pid ${smallServer.pid}) on ${smallServer.origin}`);
      await checkRealServer(smallServer.origin, prefix, small.db);
    }
    return { id: 'get-record-pit-small', label: `Get Record By Id, PIT, ${options.smallRecords.toLocaleString('en-US')} records`, kind: 'get', servers: [smallServer], token: small.db.pit };
  };

  const getCases = [
    { spec: async () => bareSpec, target: bareTarget, turns: [] as CaseRun[] },
    { spec: async () => oauthSpec, target: mainTarget, turns: [] as CaseRun[] },
    { spec: async () => pitSpec, target: mainTarget, turns: [] as CaseRun[] },
    ...(smallDb ? [{ spec: () => smallSpec(smallDb), target: smallDb.target, turns: [] as CaseRun[] }] : []),
  ];
  for (let round = 0; round < GET_ROUNDS; round++) {
    for (const c of round % 2 === 0 ? getCases : [...getCases].reverse()) c.turns.push(await run(await c.spec(), c.target, { turns: GET_ROUNDS }));
  }
  const [bareTurns, oauthTurns, pitTurns, smallTurns] = getCases.map((c) => c.turns) as [CaseRun[], CaseRun[], CaseRun[], CaseRun[] | undefined];
  const pit = inTurns(pitTurns);
  const small = smallTurns && { records: options.smallRecords, large: pitTurns, small: smallTurns };
  const runs: CaseRun[] = [pit, ...(smallTurns ? [inTurns(smallTurns)] : []), inTurns(oauthTurns)];

  // Every 201 (warmup included) must be a record that is there afterwards, no more and no fewer.
  await waitIdle(real.pid);
  const countBefore = countPets(db.path, db);
  const create = await run({ id: 'create-record', label: 'Create record, PIT', kind: 'create', servers: [real], token: db.pit }, mainTarget, { exactCount: true });
  const countAfter = countPets(db.path, db);
  const created = (create.load.statusCodes['201'] ?? 0) + (create.load.warmup.statusCodes['201'] ?? 0);
  const createCheck = { recordsBefore: countBefore, recordsAfter: countAfter, grew: countAfter - countBefore, acknowledged: created, ok: countAfter - countBefore === created };
  log(`  records: ${countBefore} before, ${countAfter} after: grew by ${createCheck.grew}, ${created} acknowledged (201): ${createCheck.ok ? 'every one is there' : 'MISMATCH'}`);
  runs.push(create);
  runs.push(await run({ id: 'search', label: `Search, filtered + sorted, 20, ${options.searchConnections} conn.`, kind: 'search', servers: [real], token: db.pit, connections: options.searchConnections }));
  const bareRun = inTurns(bareTurns);
  runs.push(bareRun);

  let pgRun: { schema: string; importS: number } | undefined;
  if (options.pg) {
    const url = options.pg;
    const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
    const dropSchema = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
      log(`dropped PostgreSQL schema ${schema}`);
    };
    trackHook(`drop PostgreSQL schema ${schema}`, dropSchema);
    const t = performance.now();
    await cli(['import', '--db', url, '--db-schema', schema, '--in', exportFile]);
    pgRun = { schema, importS: (performance.now() - t) / 1000 };
    log(`imported into PostgreSQL schema ${schema} in ${pgRun.importS.toFixed(1)} s`);
    const first = await startRealServer({ url, schema });
    log(`ghl-objects on PostgreSQL (pid ${first.pid}) on ${first.origin}`);
    await checkRealServer(first.origin, prefix, db);
    runs.push(await run({ id: 'pg-get-record-pit', label: 'PostgreSQL: Get By Id, PIT, 1 process', kind: 'get', servers: [first], token: db.pit }));
    const second = await startRealServer({ url, schema });
    log(`second ghl-objects on PostgreSQL (pid ${second.pid}) on ${second.origin}`);
    await checkRealServer(second.origin, prefix, db);
    runs.push(await run({ id: 'pg-get-record-pit-2', label: 'PostgreSQL: Get By Id, PIT, 2 processes', kind: 'get', servers: [first, second], token: db.pit }));
    // The servers hold pooled connections in the schema: stop them before dropping it.
    await stopAll();
    untrackHook(`drop PostgreSQL schema ${schema}`);
    await dropSchema();
  }

  const kernelAfter = measureKernelCosts(db.path);
  const cases: CaseSummary[] = runs.map((r) => summarize(r, bareRun));
  const realIds = measured.filter((r) => r.id.startsWith('get-record') && r.pids.includes(real.pid)).reduce((n, r) => n + r.load.idsUsed + r.load.warmup.responses, 0);
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
      kernelBefore,
      kernelAfter,
    },
    options: { records: db.ids.length, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS },
    data: { generated: data.generated, records: db.ids.length, timings: data.timings, bodyBytes: sample.body.length },
    server: { idleRssBytes: idleRss, peakRssBytesPit: pit.peakRssBytes },
    idsRequested: realIds,
    createCheck,
    sizeRatio: small ? sizeRatio(db.ids.length, small, measured) : undefined,
    postgres: pgRun ? { schema: pgRun.schema, importS: Number(pgRun.importS.toFixed(1)) } : undefined,
    cases,
  };

  const text = table(cases);
  const notes = [
    `server RSS: ${(idleRss / 1_048_576).toFixed(0)} MiB idle, peak ${(pit.peakRssBytes / 1_048_576).toFixed(0)} MiB during the PIT case`,
    `in ${GET_ROUNDS} rounds of turns (bare, OAuth, PIT${small ? ', the small database' : ''}; then the same reversed; and so on), req/s: ${[pit, runs.find((r) => r.id === oauthSpec.id)!, bareRun]
      .map((r) => `${r.label} ${r.turns!.map((t) => Math.round(t.reqPerS).toLocaleString('en-US')).join(' / ')}`)
      .join('; ')}`,
    `create: ${createCheck.acknowledged.toLocaleString('en-US')} records acknowledged (201), the object grew by ${createCheck.grew.toLocaleString('en-US')}: ${createCheck.ok ? 'every acknowledged record is there' : 'MISMATCH'}`,
    ...(small
      ? [
          `Get Record By Id, PIT, at ${db.ids.length.toLocaleString('en-US')} records vs ${small.records.toLocaleString('en-US')}, in turns (${summary.sizeRatio!.turns.map((t) => `${t.records.toLocaleString('en-US')}: ${Math.round(t.reqPerS).toLocaleString('en-US')} req/s, ${t.cpuUsPerRequest.toFixed(0)} µs`).join('; ')}): ${summary.sizeRatio!.reqPerS.toFixed(2)} of the req/s, ${summary.sizeRatio!.cpuPerRequest.toFixed(2)} times the server CPU per request`,
        ]
      : []),
    ...(pgRun ? [`PostgreSQL: import ${pgRun.importS.toFixed(1)} s into schema ${pgRun.schema} (dropped)`] : []),
    `ids: ${realIds.toLocaleString('en-US')} requests to ghl-objects over ${db.ids.length.toLocaleString('en-US')} records${realIds > db.ids.length ? ` (the list wrapped: each id asked for at most ${Math.ceil(realIds / db.ids.length)} times)` : ' (every request a different record)'}`,
    `${summary.machine.nproc} cores (${summary.machine.cpu}), node ${process.version}, load average ${summary.machine.loadAverageBefore[0]} before / ${summary.machine.loadAverageAfter[0]} after`,
    kernelCostsNote(kernelBefore, kernelAfter),
    `command: ${command} (revision ${summary.revision})`,
  ];
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    log(`\n${text}\n${notes.join('\n')}`);
  } else {
    process.stdout.write(`\n${text}\n\n${notes.join('\n')}\n`);
  }

  if (!createCheck.ok) {
    log(`\nFAILED: the create case acknowledged ${createCheck.acknowledged} records, but the object grew by ${createCheck.grew}`);
    return 1;
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
