import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/**
 * Group commit for record writes. A commit appends every page the transaction changed to the
 * WAL: for one record that is a dozen pages (the table, the id, timestamp and field indexes), and
 * it cost more than the insert itself. Writes queued in the same turn of the event loop run in
 * one IMMEDIATE transaction instead, each in its own savepoint, so one write's failure (a taken
 * unique value) undoes only that write. Every promise settles after the COMMIT: a write is
 * acknowledged only once it is in the WAL, so it survives a crash of the process.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private readonly batch: Database.Transaction<(items: Pending[]) => Outcome[]>;

  /** `afterCommit` runs after each COMMIT, before any promise settles, with the number of writes in the batch. */
  constructor(
    db: Database.Database,
    private readonly afterCommit: (writes: number) => void,
  ) {
    // better-sqlite3 runs a transaction function called inside another one as a savepoint.
    const one = db.transaction((work: () => unknown) => work());
    this.batch = db.transaction((items: Pending[]) =>
      items.map((p): Outcome => {
        try {
          return { ok: true, value: one(p.work) };
        } catch (err) {
          return { ok: false, err };
        }
      }),
    );
  }

  /** Runs `work` inside the next batch's transaction; settles with its result once that is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private flush(): void {
    const items = this.queue;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.batch.immediate(items);
    } catch (err) {
      // BEGIN or COMMIT failed (a lock held past the busy timeout, a full disk): nothing was written.
      for (const p of items) p.reject(err);
      return;
    }
    this.afterCommit(items.length);
    outcomes.forEach((o, i) => (o.ok ? items[i]!.resolve(o.value) : items[i]!.reject(o.err)));
  }
}
