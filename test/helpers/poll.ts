import { setTimeout as sleep } from 'node:timers/promises';

export interface Polled<T> {
  /** The last value `probe` returned: the one that satisfied `done`, or the last before the deadline. */
  value: T;
  done: boolean;
  /** Milliseconds from the start of the poll to the last probe's answer. */
  elapsedMs: number;
}

/**
 * Calls `probe` every `intervalMs` until `done(value)` holds or `timeoutMs` has passed; never waits
 * longer than that. The caller asserts on the result, so a timeout reports the last value seen.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 25 }: { timeoutMs: number; intervalMs?: number },
): Promise<Polled<T>> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    const elapsedMs = Date.now() - start;
    if (done(value)) return { value, done: true, elapsedMs };
    if (elapsedMs >= timeoutMs) return { value, done: false, elapsedMs };
    await sleep(Math.min(intervalMs, timeoutMs - elapsedMs));
  }
}

/** Waits until the wall clock is past `epochMs` (at once when it already is). */
export async function waitUntilPast(epochMs: number): Promise<void> {
  const left = epochMs - Date.now();
  if (left >= 0) await sleep(left + 1);
}
