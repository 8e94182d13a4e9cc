/**
 * What run.ts hands the load worker (as a JSON file) and what the worker prints back: the line
 * MEASURING when the warmup is over, then one JSON line (LoadResult).
 */

export const MEASURING = 'measuring';

export interface LoadJob {
  /** Origin of the server under load, `http://127.0.0.1:PORT`. */
  origin: string;
  /** Every request asks for `pathPrefix + <next id>`. */
  pathPrefix: string;
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
