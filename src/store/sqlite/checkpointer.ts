import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own, while records are being written.
 *
 * A checkpoint copies the pages the WAL holds into the database file and syncs both. Run by the
 * writer itself (`wal_autocheckpoint`), it ran inside a COMMIT, on the event loop: 15% of the
 * server's CPU under a stream of creates, and every ~10,000 pages (as it then was) one request
 * waited some 100 ms for it. Here a worker thread with a connection of its own runs a PASSIVE
 * checkpoint whenever records were written since its last one (at most every `intervalMs`).
 * PASSIVE never waits for the writer or the readers and never makes them wait, so the event loop
 * keeps serving.
 *
 * The writer keeps its `wal_autocheckpoint` (WRITER_CHECKPOINT_PAGES): a checkpoint by another
 * connection cannot rewind the WAL to its start, only the writer's next transaction can, once
 * every frame is copied. With the worker ahead, the writer's checkpoint finds only the last few
 * frames left to copy, and the WAL still starts over every ~40,000 pages instead of growing
 * without end.
 *
 * Past `flushFromFrames` frames of WAL, the worker also writes the database file out (fdatasync)
 * after each checkpoint. SQLite syncs the file only when a checkpoint has copied the WAL up to its
 * end, and under a stream of writes the worker's never do: the writer appends while they copy. So
 * the pages they copied waited for the writer's checkpoint, whose sync then wrote them all out
 * inside a COMMIT, on the event loop: mostly 108 to 126 ms under a stream of creates, paid by
 * every request waiting meanwhile. Flushed by the worker once the WAL is three quarters full, most
 * are on disk by then, and that sync took 44 to 66 ms (bench/README.md). Not after every
 * checkpoint: a page that the writes keep changing (an index's right edge) would then be written
 * out on every pass, and creates went some 4% slower.
 *
 * The worker starts after `startAfterWrites` record writes, so that a store that is only read, or
 * written now and then, never pays for a thread. If it fails, the writer's own checkpoints go on.
 */
export interface CheckpointerOptions {
  startAfterWrites: number;
  intervalMs: number;
  /** From this many frames of WAL on, the worker syncs the database file after its checkpoints. */
  flushFromFrames: number;
}

/** The writer's own `wal_autocheckpoint`, in pages (sqlite-store.ts says why this many). */
export const WRITER_CHECKPOINT_PAGES = 40_000;

export const CHECKPOINTER_DEFAULTS: CheckpointerOptions = { startAfterWrites: 2_000, intervalMs: 25, flushFromFrames: (WRITER_CHECKPOINT_PAGES * 3) / 4 };

/** Slots of the memory shared with the worker. */
const WRITES = 0;
const STOP = 1;
/** How many times the worker has written the database file out. */
const FLUSHES = 2;

// The worker's code is JavaScript in a string (`eval`), not a module of its own: the tests run
// src/ through a TypeScript loader that a worker thread does not inherit. It sleeps in
// Atomics.wait, not on a timer: a process that stopped writing wakes it no more.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { closeSync, fdatasyncSync, openSync } = require('node:fs');
const Database = require(workerData.driver);
const shared = new Int32Array(workerData.shared);
const db = new Database(workerData.path, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
// Read-only: only to sync the file. SQLite's own writes to it go through the connection.
const file = openSync(workerData.path, 'r');
let seen = 0;
for (;;) {
  const now = Atomics.load(shared, ${WRITES});
  if (Atomics.load(shared, ${STOP}) !== 0) break;
  if (now === seen) {
    // Nothing written since the last checkpoint: sleep until a commit (or close) moves the count.
    Atomics.wait(shared, ${WRITES}, now);
    continue;
  }
  seen = now;
  try {
    const { log } = checkpoint.get();
    if (log >= workerData.flushFromFrames) {
      fdatasyncSync(file);
      Atomics.add(shared, ${FLUSHES}, 1);
    }
  } catch {
    // A full disk or an I/O error: the writer's own checkpoint will meet it and report it.
  }
  // At most one checkpoint an interval; close() cuts the pause short.
  Atomics.wait(shared, ${STOP}, 0, workerData.intervalMs);
}
closeSync(file);
db.close();
`;

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

export class Checkpointer {
  /** Record writes so far, the stop flag and the worker's flushes, shared with the worker. */
  private readonly shared = new Int32Array(new SharedArrayBuffer(12));
  private total = 0;
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly options: CheckpointerOptions = CHECKPOINTER_DEFAULTS,
  ) {
    // An in-memory database has no WAL, and no other connection could open it.
    if (path === ':memory:') this.stopped = true;
  }

  /** Called after each commit of `count` record writes. */
  readonly written = (count: number): void => {
    if (this.stopped) return;
    Atomics.add(this.shared, WRITES, count);
    this.total += count;
    if (this.worker) Atomics.notify(this.shared, WRITES);
    else if (this.total >= this.options.startAfterWrites) this.start();
  };

  private start(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: DRIVER, path: this.path, shared: this.shared.buffer, intervalMs: this.options.intervalMs, flushFromFrames: this.options.flushFromFrames },
    });
    // A failed worker changes nothing for the writer, which checkpoints on its own as before.
    worker.on('error', () => (this.stopped = true));
    // Never what keeps the process alive: close() stops it, and so does the process's exit.
    worker.unref();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.worker = worker;
  }

  /** How many times the worker has written the database file out after a checkpoint. */
  get flushes(): number {
    return Atomics.load(this.shared, FLUSHES);
  }

  /** Stops the worker and waits until its connection is closed. */
  async close(): Promise<void> {
    this.stopped = true;
    if (!this.worker) return;
    Atomics.store(this.shared, STOP, 1);
    // Moving the count too wakes a worker that read it just before the flag was set.
    Atomics.add(this.shared, WRITES, 1);
    Atomics.notify(this.shared, WRITES);
    Atomics.notify(this.shared, STOP);
    // Held by nothing else, an unref'd worker would let the process exit before it closed.
    this.worker.ref();
    await this.exited;
  }
}
