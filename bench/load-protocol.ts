/**
 * What run.ts hands the load worker (as a JSON file) and what the worker prints back: the line
 * MEASURING when the warmup is over, then one JSON line (LoadResult).
 */

export const MEASURING = 'measuring';

/**
 * What each request is. get: `GET pathPrefix + <next id>`. create: `POST pathPrefix` (the
 * records URL) with a new generated pet each time. search: `POST pathPrefix + "search"`, a
 * filtered and sorted page of 20 with filter values varied per request.
 */
export type LoadKind = 'get' | 'create' | 'search';

export interface LoadJob {
  kind: LoadKind;
  /** Origin of the server under load, `http://127.0.0.1:PORT`. */
  origin: string;
  /** Every get asks for `pathPrefix + <next id>`; create and search post to `pathPrefix` (`…/records/`). */
  pathPrefix: string;
  /** The location of the pet object: create and search bodies name it. */
  locationId: string;
  /**
   * create only: the warmup is made of rounds of a fixed number of requests, and the measured run
   * sends exactly (the last round's req/s × durationS) requests; each waits for every answer,
   * instead of stopping on time and dropping the requests in flight (which the
   * server may still have written): so the 201s counted are every record the run created.
   */
  exactCount?: boolean;
  /** When set, the measured latencies (ms, sorted, Float64 little-endian) are written here. */
  samplesFile?: string;
  /** Record ids, one a line, in the order requests take them. */
  idsFile: string;
  /** Index of the first id to use: cases continue where the previous one stopped. */
  startIndex: number;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  warmupS: number;
  /** A file of the project, for createRequire: the worker runs from a temp dir, outside node_modules' reach. */
  resolveFrom: string;
}

export interface Counts {
  /** Responses received. */
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Status code → count. */
  statusCodes: Record<string, number>;
}

export interface LoadResult extends Counts {
  durationS: number;
  /** Responses per second over the measured run (warmup excluded). */
  rps: number;
  /** Latencies in ms from the worker's own sub-millisecond timings (autocannon's histogram is whole ms). */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** The load generator's own CPU time per response: near 1 core's worth, it (not the server) is the limit. */
  clientCpuUsPerRequest: number;
  /** Ids handed out by setupRequest during the measured run: every request asks for the next one. */
  idsUsed: number;
  /** Where the next case should start. */
  nextIndex: number;
  warmup: Counts;
}

/** Created pets are numbered from here (the generated ones from 0): their names and emails differ. */
export const CREATED_BASE = 10_000_000;

/** The search case's body: one species, weights up to `maxWeightKg`, the heaviest 20 first. */
export function searchBody(locationId: string, species: string, maxWeightKg: number): object {
  return {
    locationId,
    pageLimit: 20,
    filters: [
      { field: 'properties.species', operator: 'eq', value: species },
      { field: 'properties.weight_kg', operator: 'range', value: { lte: maxWeightKg } },
    ],
    sort: [{ field: 'properties.weight_kg', direction: 'desc' }],
  };
}

/** Requests in the first warmup round of an exactCount case; later rounds are sized by its rate (load-worker.ts). */
export const EXACT_WARMUP_PER_S = 200;

/** Counts of runs added together. */
export function addCounts(parts: readonly Counts[]): Counts {
  const statusCodes: Record<string, number> = {};
  for (const p of parts) for (const [code, n] of Object.entries(p.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const sum = (k: 'responses' | 'non2xx' | 'errors' | 'timeouts') => parts.reduce((n, p) => n + p[k], 0);
  return { responses: sum('responses'), non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts'), statusCodes };
}

/** The value at quantile q of sorted samples (nearest rank). */
export const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
