/**
 * HTTP/1.1 over raw TCP sockets, for tests that need to see what a connection does (accepted,
 * closed, reset, answered), to hold connections open, or to send a request a piece at a time.
 * Every wait is bounded. `destroyAllSockets()` (call it in `after`) closes whatever is still open.
 */
import { connect as netConnect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

const sockets = new Set<Socket>();

/** Destroys every socket this helper opened that is still open. */
export function destroyAllSockets(): void {
  for (const s of sockets) s.destroy();
  sockets.clear();
}

/** How a connection ended, as the client saw it. */
export interface Ended {
  /** An error code (ECONNRESET, EPIPE, ...) or null when the peer closed it cleanly. */
  error: string | null;
  /** Milliseconds from the connection's start to its close. */
  atMs: number;
}

/**
 * One client connection. Bytes received are parsed as a sequence of HTTP responses with a
 * Content-Length (what this server sends); `next()` gives them in order.
 */
export class RawConnection {
  readonly socket: Socket;
  readonly startedAt = Date.now();
  /** Resolves when the socket has closed (never rejects). */
  readonly ended: Promise<Ended>;
  private buffer = Buffer.alloc(0);
  private readonly answers: RawAnswer[] = [];
  private waiter: (() => void) | undefined;
  private endedWith: Ended | undefined;
  private error: string | null = null;
  /** Set when the bytes received are not a well-formed response. */
  private malformed: string | undefined;

  private readonly port: number;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.port = socket.localPort!;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
      this.wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= err.code ?? err.message;
    });
    this.ended = new Promise<Ended>((resolve) =>
      socket.on('close', () => {
        sockets.delete(socket);
        this.endedWith = { error: this.error, atMs: Date.now() - this.startedAt };
        this.wake();
        resolve(this.endedWith);
      }),
    );
  }

  /** Opens a connection; rejects with the error code (ECONNREFUSED, ...) or after `timeoutMs`. */
  static open(port: number, timeoutMs = 5_000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(err.code ?? err.message), { code: err.code }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawConnection(socket));
      });
    });
  }

  /** The client's port (the server's log names it as remotePort). */
  get localPort(): number {
    return this.port;
  }

  get closed(): Ended | undefined {
    return this.endedWith;
  }

  /** Whether a response has arrived that `next()` has not taken yet. */
  get answered(): boolean {
    return this.answers.length > 0;
  }

  /** Writes bytes; a write to a closed socket is not an error here (the close is what tests look at). */
  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The next response, or an error (closed before it came, or not within `timeoutMs`). */
  async next(timeoutMs = 10_000): Promise<RawAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.malformed) throw new Error(this.malformed);
      const a = this.answers.shift();
      if (a) return a;
      if (this.endedWith) {
        const partial = this.buffer.length ? ` (${this.buffer.length} bytes of a response: ${JSON.stringify(this.buffer.toString('latin1').slice(0, 200))})` : '';
        throw Object.assign(new Error(`connection closed (${this.endedWith.error ?? 'by the peer'}) before a response${partial}`), { code: this.endedWith.error ?? 'CLOSED' });
      }
      const left = deadline - Date.now();
      if (left <= 0) throw Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'TIMEOUT' });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends a whole request and waits for its response. */
  async request(text: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
    this.write(text);
    return this.next(timeoutMs);
  }

  /** Waits (bounded) for the socket to close; undefined when it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<Ended | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.ended, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
    clearTimeout(timer);
    return r;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]!);
      if (!m) {
        this.malformed = `not an HTTP response: ${JSON.stringify(head[0])}`;
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      if (headers['transfer-encoding']) {
        this.malformed = `a chunked response, which this helper does not read: ${head[0]}`;
        return;
      }
      const length = Number(headers['content-length'] ?? '0');
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.answers.push({ status: Number(m[1]), headers, body });
    }
  }
}

/** The text of an HTTP/1.1 request; a body object is sent as JSON with its Content-Length. */
export function requestText(method: string, path: string, headers: Record<string, string>, body?: unknown): string {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (payload !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`);
  return `${lines.join('\r\n')}\r\n\r\n${payload ?? ''}`;
}

/** Tries to connect; the error code when refused, null when a connection was made (and closed again). */
export async function refusedCode(port: number, timeoutMs = 3_000): Promise<string | null> {
  try {
    const c = await RawConnection.open(port, timeoutMs);
    c.destroy();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}
