import Database from 'better-sqlite3';

/**
 * Record reads by id, on a read-only connection of their own, with the reads of one turn of the
 * event loop in one read transaction.
 *
 * Why: outside a transaction every SELECT is a transaction of its own, and in WAL mode each one
 * takes and drops a read lock on the WAL index (two fcntl calls) and re-checks the WAL header.
 * That was 2 of the 7 µs of a point read at 1,000,000 records. Under load one turn serves dozens
 * of requests; now they share one snapshot, opened by the turn's first read and closed right
 * after the turn (setImmediate), so it never holds back a checkpoint for long.
 *
 * Why a connection of their own: the writer's transactions (group-commit.ts) must never find a
 * read transaction open on their connection, or they would become savepoints inside it and be
 * committed only when it ends. A snapshot taken before a write committed in the same turn would
 * not show that write, so the store calls `end` after each of its commits: a read that follows an
 * acknowledged write sees it.
 *
 * The reads themselves run at once, where they are asked for. Deferred to the end of the turn and
 * run back to back, they cost 1 to 2 µs less each at 1,000,000 records, but a read then waited for
 * every other request of its turn, a slow search included.
 *
 * An in-memory database cannot be opened twice: its reads go to the writer's connection, one by
 * one, as before.
 */
export class ReadBatch {
  /** The connection to prepare the batched reads on. */
  readonly db: Database.Database;
  private readonly batched: boolean;
  private readonly begin: Database.Statement | undefined;
  private readonly finish: Database.Statement | undefined;
  private open = false;

  constructor(path: string, writer: Database.Database, options: { timeoutMs: number; cacheKiB: number }) {
    this.batched = path !== ':memory:';
    if (!this.batched) {
      this.db = writer;
      return;
    }
    this.db = new Database(path, { readonly: true, fileMustExist: true, timeout: options.timeoutMs });
    this.db.pragma(`cache_size = -${options.cacheKiB}`);
    this.begin = this.db.prepare('BEGIN');
    // The transaction only ever read: ROLLBACK ends it as COMMIT would, and cannot be refused.
    this.finish = this.db.prepare('ROLLBACK');
  }

  /** Call before a read: opens the turn's read transaction if this is the turn's first read. */
  enter(): void {
    if (this.batched && !this.open) {
      this.begin!.run();
      this.open = true;
      setImmediate(this.end);
    }
  }

  /** Ends the current snapshot now: the next read opens a new one, which sees every commit so far. */
  readonly end = (): void => {
    if (!this.open) return;
    this.open = false;
    // A failed read may have rolled the transaction back already (SQLite does so on I/O errors).
    if (this.db.inTransaction) this.finish!.run();
  };

  close(): void {
    this.end();
    if (this.batched) this.db.close();
  }
}
