/**
 * A forward proxy on 127.0.0.1, as a corporate egress proxy behaves: plain-http requests
 * in absolute form are forwarded, CONNECT opens a tunnel, and with `credentials` a
 * request without the matching Basic Proxy-Authorization gets 407. Host names are
 * resolved through `hosts` (name → port on 127.0.0.1), so a provider named
 * `upstream.test` is reachable only through the proxy: a direct attempt fails to resolve.
 * With `tls`, the proxy itself is reached over TLS (an https:// proxy URL).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net, { type Socket } from 'node:net';

export interface ProxySeen {
  /** `CONNECT` or the request's method. */
  method: string;
  /** The absolute URL, or `host:port` for CONNECT. */
  target: string;
  proxyAuthorization: string | undefined;
}

export interface FakeProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  seen: ProxySeen[];
  close(): Promise<void>;
}

export async function startFakeProxy(opts: { hosts: Record<string, number>; credentials?: string; tls?: { key: string; cert: string } }): Promise<FakeProxy> {
  const seen: ProxySeen[] = [];
  const sockets = new Set<Socket>();
  const expected = opts.credentials === undefined ? undefined : `Basic ${Buffer.from(opts.credentials).toString('base64')}`;
  const resolvePort = (host: string, port: string): number | undefined => opts.hosts[host] ?? (host === '127.0.0.1' ? Number(port) : undefined);
  const allowed = (req: IncomingMessage): boolean => expected === undefined || req.headers['proxy-authorization'] === expected;

  const server: Server = (opts.tls ? createHttpsServer.bind(null, opts.tls) : createServer)((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] as string | undefined });
    if (!allowed(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="fake"', 'content-length': '0' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    const port = resolvePort(target.hostname, target.port || '80');
    if (port === undefined) {
      res.writeHead(502).end(`unknown host ${target.hostname}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = request({ host: '127.0.0.1', port, method: req.method, path: target.pathname + target.search, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push({ method: 'CONNECT', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] as string | undefined });
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    if (!allowed(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="fake"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const to = resolvePort(host, port);
    if (to === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const up = net.connect(to, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.once('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
