import Database from 'better-sqlite3';

interface Pending {
  read: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Reads of records by id, batched: the reads asked for during one turn of the event loop run
 * together right after it (setImmediate), in one read transaction, on a read-only connection of
 * their own.
 *
 * Why: outside a transaction every SELECT is a transaction of its own, and in WAL mode each one
 * takes and drops a read lock on the WAL index (two fcntl calls) and re-checks the WAL header:
 * 2 of the 7 µs of a point read at 1,000,000 records. Under load one turn brings dozens of
 * requests, and their reads now share one transaction. Run back to back, they also find SQLite's
 * code and the B-tree's upper pages still in the CPU's caches: 1 to 2 µs less per request at
 * 1,000,000 records than the same transaction held open across the turn (bench/README.md).
 *
 * The transaction begins and ends inside one callback: no snapshot outlives it, so a read always
 * sees every write acknowledged before it was asked for, and no checkpoint waits on it. The
 * connection is the reads' own so that this never depends on what the writer's connection is
 * doing.
 *
 * An in-memory database cannot be opened twice: its reads use the writer's connection, between
 * the writer's transactions (each of which also runs within one callback).
 */
export class ReadBatch {
  /** The connection to prepare the batched reads on. */
  readonly db: Database.Database;
  private readonly own: boolean;
  private readonly begin: Database.Statement;
  private readonly finish: Database.Statement;
  private queue: Pending[] = [];

  constructor(path: string, writer: Database.Database, options: { timeoutMs: number; cacheKiB: number }) {
    this.own = path !== ':memory:';
    this.db = this.own ? new Database(path, { readonly: true, fileMustExist: true, timeout: options.timeoutMs }) : writer;
    if (this.own) this.db.pragma(`cache_size = -${options.cacheKiB}`);
    this.begin = this.db.prepare('BEGIN');
    // The transaction only ever reads: ROLLBACK ends it as COMMIT would, and cannot be refused.
    this.finish = this.db.prepare('ROLLBACK');
  }

  /** Runs `read` after this turn, in one transaction with the other reads asked for in it. */
  run<T>(read: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(this.flush);
      this.queue.push({ read, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private readonly flush = (): void => {
    const items = this.queue;
    if (items.length === 0) return;
    this.queue = [];
    // A lone read is a transaction by itself already.
    let shared = items.length > 1 && !this.db.inTransaction;
    if (shared) {
      try {
        this.begin.run();
      } catch {
        // Nothing begun: each read runs as its own transaction and reports its own error.
        shared = false;
      }
    }
    try {
      for (const p of items) {
        try {
          p.resolve(p.read());
        } catch (err) {
          p.reject(err);
        }
      }
    } finally {
      // A failed read may have rolled the transaction back already (SQLite does so on I/O errors).
      if (shared && this.db.inTransaction) this.finish.run();
    }
  };

  /** Runs the reads still queued, then closes the connection if it is the reads' own. */
  close(): void {
    this.flush();
    if (this.own) this.db.close();
  }
}
