import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** Thrown out of the savepoint-free attempt when a write failed: its transaction is rolled back. */
class WriteFailed extends Error {}

export interface GroupCommitOptions {
  /** A batch of this many writes runs without waiting for more. */
  maxWrites: number;
  /** So does one whose first write has waited this long. */
  maxWaitMs: number;
}

export const GROUP_COMMIT_DEFAULTS: GroupCommitOptions = { maxWrites: 256, maxWaitMs: 10 };

export interface GroupCommitHooks {
  /** Runs first in each batch's transaction, once the write lock is held. */
  begin?: () => void;
  /** Runs after each COMMIT, before any promise settles, with the number of writes in the batch. */
  committed: (writes: number) => void;
}

/**
 * Group commit for record writes. A commit appends every page the transaction changed to the
 * WAL: for one record that is a dozen pages (the table, the id, timestamp and field indexes), and
 * it cost more than the insert itself. Writes queued while requests keep coming in run in one
 * IMMEDIATE transaction instead. Every promise settles after the COMMIT: a write is acknowledged
 * only once it is in the WAL, so it survives a crash of the process.
 *
 * When a batch is cut: a turn of the event loop that queued a write is followed by one more turn
 * (its poll does not wait) before the batch runs, and so on while each turn adds writes. Clients
 * whose answers went out with one commit send their next writes while the event loop reads the
 * others' requests; cut at the first turn, the batches settled into two alternating halves of the
 * clients. Waiting for the turn that brings nothing new took them from 26 to 39 writes on average
 * at 50 connections, so each commit's fixed costs (a walk of the page cache, the pages every
 * record shares) are paid a third less often (bench/README.md). A lone write waits one empty
 * turn. The wait is bounded: a batch runs once it holds `maxWrites` writes or its first one has
 * waited `maxWaitMs`.
 *
 * One write's failure (a taken unique value, a refused update) must undo only that write. Each
 * write in a savepoint of its own would do that, but a savepoint copies every page the write then
 * changes to a statement journal first: 8 to 10% of a create's CPU. So a batch first runs without
 * savepoints; only when one of its writes fails is it rolled back whole and run again, each write
 * in its own savepoint. A write's work may therefore run twice; only its last run's effects stay.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  /** Writes queued when the batch last waited a turn, and when its first one came. */
  private seen = 0;
  private openedAt = 0;
  /** Every write of the batch in one transaction; the first failure rolls it all back. */
  private readonly plain: Database.Transaction<(items: Pending[]) => unknown[]>;
  /** Every write of the batch in a savepoint of its own. */
  private readonly guarded: Database.Transaction<(items: Pending[]) => Outcome[]>;

  constructor(
    db: Database.Database,
    private readonly hooks: GroupCommitHooks,
    private readonly options: GroupCommitOptions = GROUP_COMMIT_DEFAULTS,
  ) {
    const begin = hooks.begin ?? (() => {});
    this.plain = db.transaction((items: Pending[]) => {
      begin();
      return items.map((p) => {
        try {
          return p.work();
        } catch {
          throw new WriteFailed();
        }
      });
    });
    // better-sqlite3 runs a transaction function called inside another one as a savepoint.
    const one = db.transaction((work: () => unknown) => work());
    this.guarded = db.transaction((items: Pending[]) => {
      begin();
      return items.map((p): Outcome => {
        try {
          return { ok: true, value: one(p.work) };
        } catch (err) {
          return { ok: false, err };
        }
      });
    });
  }

  /**
   * Runs `work` inside the next batch's transaction; settles with its result once that is
   * committed. `work` may run twice (see above), so it must only write and compute.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queue.length === 0) {
        this.seen = 0;
        this.openedAt = performance.now();
        setImmediate(this.cut);
      }
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /**
   * Runs the waiting batch now, if there is one: before the connection closes, so that no write
   * is left unsettled.
   */
  drain(): void {
    if (this.queue.length > 0) this.flush();
  }

  /** Runs the batch, unless the last turn added to it and it may still wait (see above). */
  private readonly cut = (): void => {
    const queued = this.queue.length;
    // Drained already; a later write has a cut of its own coming.
    if (queued === 0) return;
    if (queued > this.seen && queued < this.options.maxWrites && performance.now() - this.openedAt < this.options.maxWaitMs) {
      this.seen = queued;
      setImmediate(this.cut);
      return;
    }
    this.flush();
  };

  private flush(): void {
    const items = this.queue;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      try {
        outcomes = this.plain.immediate(items).map((value): Outcome => ({ ok: true, value }));
      } catch (err) {
        if (!(err instanceof WriteFailed)) throw err;
        outcomes = this.guarded.immediate(items);
      }
    } catch (err) {
      // BEGIN or COMMIT failed (a lock held past the busy timeout, a full disk): nothing was written.
      for (const p of items) p.reject(err);
      return;
    }
    this.hooks.committed(items.length);
    outcomes.forEach((o, i) => (o.ok ? items[i]!.resolve(o.value) : items[i]!.reject(o.err)));
  }
}
