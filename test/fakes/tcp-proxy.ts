/**
 * A TCP proxy on 127.0.0.1 in front of a real service (Redis, PostgreSQL), to take it
 * away from the gateway without touching the service itself, which other runs share:
 * `cut` drops every connection and refuses new ones, `stall` keeps connections open but
 * holds what either side sends (a network partition without resets), `delayMs` delays
 * every chunk, and `pass` forwards again (releasing what a stall held).
 */
import net, { type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `host:port` to put in a URL. */
  address: string;
  cut(): void;
  stall(): void;
  pass(): void;
  /** Delay applied to every chunk from now on, both ways (0: none). */
  delayMs: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'pass' | 'cut' | 'stall' = 'pass';
  let accepted = 0;
  const pairs = new Set<{ a: Socket; b: Socket; held: [Socket, Buffer][] }>();
  const server = net.createServer((a) => {
    if (mode === 'cut') {
      a.destroy();
      return;
    }
    accepted++;
    const b = net.connect(targetPort, targetHost);
    const pair = { a, b, held: [] as [Socket, Buffer][] };
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) => from.on('data', (chunk: Buffer) => {
      if (mode === 'stall') pair.held.push([to, chunk]);
      else if (proxy.delayMs > 0) setTimeout(() => to.writable && to.write(chunk), proxy.delayMs);
      else to.write(chunk);
    });
    forward(a, b);
    forward(b, a);
    const end = () => {
      a.destroy();
      b.destroy();
      pairs.delete(pair);
    };
    for (const s of [a, b]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: TcpProxy = {
    port,
    address: `127.0.0.1:${port}`,
    delayMs: 0,
    get accepted() {
      return accepted;
    },
    cut() {
      mode = 'cut';
      for (const p of pairs) {
        p.a.destroy();
        p.b.destroy();
      }
      pairs.clear();
    },
    stall() {
      mode = 'stall';
    },
    pass() {
      mode = 'pass';
      for (const p of pairs) {
        for (const [to, chunk] of p.held) if (to.writable) to.write(chunk);
        p.held = [];
      }
    },
    close() {
      proxy.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
