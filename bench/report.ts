import type { LoadResult } from './load-protocol.js';

/** One turn of a case measured in turns. */
export interface TurnSummary {
  reqPerS: number;
  p99Ms: number;
  cpuUsPerRequest: number;
}

/** One measured case, as the table and the JSON summary show it. */
export interface CaseSummary {
  id: string;
  label: string;
  rps: number;
  /** 2xx answers per second: for Create record, records created per second. */
  okPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Throughput as a fraction of the bare server's (1 = as fast as the platform allows). */
  rpsVsBare: number;
  /** p99 latency as a multiple of the bare server's. */
  p99VsBare: number;
  /** errors + timeouts + non-2xx answers, warmup included: must be 0. */
  failures: number;
  /** Peak RSS of the server process during the case (warmup included), bytes. */
  peakRssBytes: number;
  /** Server CPU time (user + system) per request: steadier than req/s when the machine is busy. */
  cpuUsPerRequest: number;
  /** A case measured in turns: each turn's figures; the rest are over all of them. */
  turns?: TurnSummary[];
  load: LoadResult;
}

export interface MeasuredCase {
  id: string;
  label: string;
  load: LoadResult;
  peakRssBytes: number;
  cpuUsPerRequest: number;
  turns?: TurnSummary[];
}

export function summarize(c: MeasuredCase, bare: MeasuredCase): CaseSummary {
  const { load } = c;
  const w = load.warmup;
  return {
    id: c.id,
    label: c.label,
    rps: load.rps,
    okPerS: load.responses ? (load.rps * (load.responses - load.non2xx)) / load.responses : 0,
    p50Ms: load.latencyMs.p50,
    p99Ms: load.latencyMs.p99,
    rpsVsBare: load.rps / bare.load.rps,
    p99VsBare: load.latencyMs.p99 / bare.load.latencyMs.p99,
    failures: load.errors + load.timeouts + load.non2xx + w.errors + w.timeouts + w.non2xx,
    peakRssBytes: c.peakRssBytes,
    cpuUsPerRequest: c.cpuUsPerRequest,
    ...(c.turns ? { turns: c.turns } : {}),
    load,
  };
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MiB`;

/** A Markdown table (readable in a terminal, pasteable into bench/README.md). */
export function table(cases: readonly CaseSummary[]): string {
  const head = ['case', 'req/s', '2xx/s', 'p50 ms', 'p99 ms', 'req/s vs bare', 'p99 vs bare', 'errors/non-2xx', 'server CPU/req', 'client CPU/req', 'peak RSS'];
  const rows = cases.map((c) => [
    c.label,
    Math.round(c.rps).toLocaleString('en-US'),
    Math.round(c.okPerS).toLocaleString('en-US'),
    c.p50Ms.toFixed(2),
    c.p99Ms.toFixed(2),
    c.rpsVsBare.toFixed(2),
    c.p99VsBare.toFixed(2),
    `${c.load.errors + c.load.timeouts}/${c.load.non2xx}`,
    `${c.cpuUsPerRequest.toFixed(0)} µs`,
    `${c.load.clientCpuUsPerRequest.toFixed(0)} µs`,
    mib(c.peakRssBytes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}
