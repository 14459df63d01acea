/**
 * The floor: a pass-through HTTP proxy in plain node:http — no parsing, no routing,
 * keep-alive upstream. bench/gateway.bench.ts measures Switchyard against it.
 * Usage: tsx bench/bare-proxy.ts <listen-port> <upstream-url>
 */
import http from 'node:http';

const [port, upstream] = [Number(process.argv[2]), new URL(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

http.createServer((req, res) => {
  const up = http.request({
    host: upstream.hostname, port: upstream.port, method: req.method,
    path: upstream.pathname.replace(/\/$/, '') + req.url, headers: req.headers, agent,
  }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
