import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own, while records are being written.
 *
 * A checkpoint copies the pages the WAL holds into the database file and syncs both. Run by the
 * writer itself (`wal_autocheckpoint`), it ran inside a COMMIT, on the event loop: 15% of the
 * server's CPU under a stream of creates, and every ~10,000 pages one request waited some 100 ms
 * for it. Here a worker thread with a connection of its own runs a PASSIVE checkpoint whenever
 * records were written since its last one (at most every `intervalMs`). PASSIVE never waits for
 * the writer or the readers and never makes them wait, so the event loop keeps serving.
 *
 * The writer keeps its `wal_autocheckpoint`: a checkpoint by another connection cannot rewind the
 * WAL to its start, only the writer's next transaction can, once every frame is copied. With the
 * worker ahead, the writer's checkpoint finds only the last few frames left to copy, and the WAL
 * still starts over every ~10,000 pages instead of growing without end.
 *
 * The worker starts after `startAfterWrites` record writes, so that a store that is only read, or
 * written now and then, never pays for a thread. If it fails, the writer's own checkpoints go on.
 */
export interface CheckpointerOptions {
  startAfterWrites: number;
  intervalMs: number;
}

export const CHECKPOINTER_DEFAULTS: CheckpointerOptions = { startAfterWrites: 2_000, intervalMs: 25 };

// The worker's code is JavaScript in a string (`eval`), not a module of its own: the tests run
// src/ through a TypeScript loader that a worker thread does not inherit.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const writes = new Int32Array(workerData.writes);
let seen = 0;
const timer = setInterval(() => {
  const now = Atomics.load(writes, 0);
  if (now === seen) return;
  seen = now;
  try {
    checkpoint.run();
  } catch {
    // A full disk or an I/O error: the writer's own checkpoint will meet it and report it.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

export class Checkpointer {
  /** Record writes so far, shared with the worker: it checkpoints when the count has moved. */
  private readonly writes = new Int32Array(new SharedArrayBuffer(4));
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
    Atomics.add(this.writes, 0, count);
    this.total += count;
    if (!this.worker && this.total >= this.options.startAfterWrites) this.start();
  };

  private start(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: DRIVER, path: this.path, writes: this.writes.buffer, intervalMs: this.options.intervalMs },
    });
    // A failed worker changes nothing for the writer, which checkpoints on its own as before.
    worker.on('error', () => (this.stopped = true));
    // Never what keeps the process alive: close() stops it, and so does the process's exit.
    worker.unref();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.worker = worker;
  }

  /** Stops the worker and waits until its connection is closed. */
  async close(): Promise<void> {
    this.stopped = true;
    if (!this.worker) return;
    // Held by nothing else, an unref'd worker would let the process exit before it closed.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}
