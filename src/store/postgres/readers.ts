/**
 * Long-lived pipelined connections for single-statement reads (a record by id: the hot path).
 *
 * A pooled connection carries one query per round trip, and each round trip costs a write and a
 * wake-up on both sides, more CPU than the query itself. A reader is one connection in node-pg's
 * pipeline mode: queries are written without waiting for the previous answers (each ends with
 * its own Sync, so a failed one fails alone), the backend works through them back to back, and
 * the queries issued in one turn of the event loop leave in one write.
 *
 * A reader carrying `maxInFlight` queries is full and the caller uses the pool: when the database
 * slows down, the reads spread over the pool's connections again. A broken connection fails every
 * query it carries (node-pg rejects them with its connection error) and leaves its slot; the next
 * query connects anew, so the readers recover by themselves when the database is back.
 */
import type { Socket } from 'node:net';
import pg from 'pg';

export class Reader {
  readonly client: pg.Client;
  /** Settles when the connection is up; rejected with the connection error otherwise. */
  private readonly connected: Promise<void>;
  /** Whether `connected` has resolved: queries then go straight on. */
  private up = false;
  /** Queries sent or waiting, not answered yet. */
  inFlight = 0;
  /** Whether its connection was closed for a failure (Readers.discard). */
  discarded = false;
  /** Whether a query came since the last idle check. */
  used = true;
  /** Whether this turn's queries are held back to leave in one write. */
  private corked = false;

  constructor(config: pg.ClientConfig, onBroken: (r: Reader) => void) {
    this.client = new pg.Client({ ...config, pipeline: true });
    // Without a listener an 'error' would crash the process; the queries fail by themselves.
    this.client.on('error', () => onBroken(this));
    this.client.on('end', () => onBroken(this));
    this.connected = this.client.connect().then(
      // The connection never keeps the process alive by itself (the pool's allowExitOnIdle); a
      // query in flight does, by its query_timeout timer.
      () => {
        this.up = true;
        (this.client.connection.stream as Socket).unref();
      },
      (err: unknown) => {
        onBroken(this);
        throw err;
      },
    );
    // The queries waiting on it get the rejection; this is not a loose end.
    this.connected.catch(() => undefined);
  }

  /** Runs `query` (one statement) on this connection, once it is up. */
  async run<T>(query: (client: pg.Client) => Promise<T>): Promise<T> {
    this.inFlight++;
    this.used = true;
    try {
      if (!this.up) await this.connected;
      this.batch();
      return await query(this.client);
    } finally {
      this.inFlight--;
    }
  }

  /** Holds the socket's writes until the event loop's check phase: this turn's queries leave together. */
  private batch(): void {
    if (this.corked) return;
    const stream = this.client.connection.stream;
    stream.cork();
    this.corked = true;
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }
}

export class Readers {
  private readonly slots: Array<Reader | undefined>;
  private readonly idleCheck: NodeJS.Timeout;
  private readonly onBroken = (r: Reader): void => this.discard(r);

  /** `count` readers; one without a query for `idleMs` to `2 * idleMs` is closed. */
  constructor(
    private readonly config: pg.ClientConfig,
    count: number,
    private readonly maxInFlight: number,
    idleMs: number,
  ) {
    this.slots = new Array<Reader | undefined>(count).fill(undefined);
    this.idleCheck = setInterval(() => {
      for (const r of this.slots) {
        if (r && !r.used && r.inFlight === 0 && this.forget(r)) r.client.end().catch(() => undefined);
        else if (r) r.used = false;
      }
    }, idleMs).unref();
  }

  /** The least busy reader with room for a query (connecting one in an empty slot), or undefined when all are full. */
  pick(): Reader | undefined {
    let best: Reader | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      const r = this.slots[i];
      if (!r) return (this.slots[i] = new Reader(this.config, this.onBroken));
      if (r.inFlight < this.maxInFlight && (!best || r.inFlight < best.inFlight)) best = r;
    }
    return best;
  }

  /** Closes the connection of `r` at once, failing the queries it carries; the next query connects anew. */
  discard(r: Reader): void {
    r.discarded = true;
    this.forget(r);
    r.client.connection.stream.destroy();
  }

  async close(): Promise<void> {
    clearInterval(this.idleCheck);
    const open = this.slots.filter((r): r is Reader => r !== undefined);
    this.slots.fill(undefined);
    await Promise.all(open.map((r) => r.client.end().catch(() => undefined)));
  }

  /** Takes `r` out of its slot (when it is still there); whether it was. */
  private forget(r: Reader): boolean {
    const i = this.slots.indexOf(r);
    if (i >= 0) this.slots[i] = undefined;
    return i >= 0;
  }
}
