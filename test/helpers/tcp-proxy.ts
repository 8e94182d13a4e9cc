/**
 * A TCP proxy on loopback between a server process and PostgreSQL, so a test can take the
 * database away from that one process (and no other test's) the ways a network does:
 *
 * - `pass`: bytes flow both ways.
 * - `refuse`: every connection is cut, and each new one is closed as soon as it is accepted.
 * - `blackhole`: connections stay open but nothing gets through (a partition, or a database that
 *   stopped answering); new ones are accepted and never connected onward.
 *
 * Going back to `pass` from `blackhole` cuts the connections that lost bytes, as a real peer
 * would eventually reset them; new connections flow again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** Bytes were dropped on it: unusable once the proxy passes again. */
  damaged: boolean;
}

export class TcpProxy {
  private mode: ProxyMode = 'pass';
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy = new TcpProxy(server, (server.address() as { port: number }).port, target);
    return proxy;
  }

  /** Local ports of the connections to the database now open: `pg_stat_activity.client_port` of their backends. */
  upstreamPorts(): number[] {
    return [...this.pairs].flatMap((p) => (p.upstream?.localPort === undefined ? [] : [p.upstream.localPort]));
  }

  connections(): number {
    return this.pairs.size;
  }

  setMode(mode: ProxyMode): void {
    const from = this.mode;
    this.mode = mode;
    if (mode === 'refuse') this.cutAll();
    if (mode === 'blackhole') for (const p of this.pairs) p.damaged = true;
    if (mode === 'pass' && from === 'blackhole') for (const p of [...this.pairs]) if (p.damaged) this.cut(p);
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private cutAll(): void {
    for (const p of [...this.pairs]) this.cut(p);
  }

  private cut(p: Pair): void {
    p.client.destroy();
    p.upstream?.destroy();
    this.pairs.delete(p);
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null, damaged: this.mode === 'blackhole' };
    this.pairs.add(pair);
    client.on('close', () => this.cut(pair));
    if (this.mode === 'blackhole') {
      // Accepted, never connected onward: the client waits for an answer that does not come.
      client.on('data', () => undefined);
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.cut(pair));
    // Bytes are forwarded only while passing; in a blackhole they are dropped.
    client.on('data', (chunk) => {
      if (this.mode === 'pass' && !pair.damaged) upstream.write(chunk);
      else pair.damaged = true;
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'pass' && !pair.damaged) client.write(chunk);
      else pair.damaged = true;
    });
  }
}
