/**
 * What the kernel charges on this machine, measured at the start and at the end of a run.
 *
 * Why: every Get Record By Id makes two system calls for HTTP (the socket's read and the answer's
 * write), and at a million records one more, the `pread` of the record's page, which the reads'
 * page cache cannot hold. What a system call costs sets how far the large database falls behind
 * the small one, and it differs from machine to machine (on the paravirtualized guest of
 * bench/README.md's latest results, 1 µs and more). Measured again at the end, it also shows a
 * machine that got slower during the run, which turns alternated a few seconds apart cannot always
 * cancel out.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { prng } from './pets.js';

const PAGE = 4096;
const CALLS = 20_000;
const BATCHES = 5;
/** A change by more than this fraction between the start and the end of a run is reported. */
const DRIFT_NOTED = 0.25;

export interface KernelCosts {
  /** A system call that does nothing (`getppid`), ns. */
  systemCallNs: number;
  /** A 4 KiB `readSync` (one `pread`) at a random page of the database file, ns. */
  pageReadNs: number;
}

/** The median of BATCHES batches' ns per call: one batch disturbed by the machine does not count. */
function medianNsPerCall(call: () => unknown): number {
  const perCall: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let n = 0; n < CALLS; n++) call();
    perCall.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
  perCall.sort((a, b) => a - b);
  return Math.round(perCall[BATCHES >> 1]!);
}

export function measureKernelCosts(dbPath: string): KernelCosts {
  // process.ppid is not cached: each read of it is a getppid system call.
  const systemCallNs = medianNsPerCall(() => process.ppid);
  const fd = openSync(dbPath, 'r');
  try {
    const pages = Math.max(1, Math.floor(fstatSync(fd).size / PAGE));
    const rand = prng(1);
    const offsets = Array.from({ length: CALLS * BATCHES }, () => Math.floor(rand() * pages) * PAGE);
    const buffer = Buffer.allocUnsafe(PAGE);
    // The pages are read once untimed, so that the timed reads find them in the kernel's page
    // cache, as the server's reads do once the file has been read (bench/README.md), and not
    // mostly in the CPU's caches: they span up to 400 MB.
    for (const offset of offsets) readSync(fd, buffer, 0, PAGE, offset);
    let next = 0;
    const pageReadNs = medianNsPerCall(() => readSync(fd, buffer, 0, PAGE, offsets[next++]!));
    return { systemCallNs, pageReadNs };
  } finally {
    closeSync(fd);
  }
}

/** "1.02 µs" */
const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;

/** One line for the run's notes: both measures at the start and the end, and a warning when they moved. */
export function kernelCostsNote(before: KernelCosts, after: KernelCosts): string {
  const moved = (a: number, b: number) => Math.abs(b - a) / a > DRIFT_NOTED;
  const drift = moved(before.systemCallNs, after.systemCallNs) || moved(before.pageReadNs, after.pageReadNs);
  return (
    `kernel: a system call ${us(before.systemCallNs)} at the start / ${us(after.systemCallNs)} at the end, ` +
    `a 4 KiB read of the database file ${us(before.pageReadNs)} / ${us(after.pageReadNs)}` +
    (drift ? `: the machine's speed changed during the run by more than ${DRIFT_NOTED * 100}%, compare the turns before the totals` : '')
  );
}
