/**
 * The floor of own processing time: a proxy with node:http in front and undici behind,
 * as Switchyard has, that reads the request body whole and forwards it, reads the
 * answer whole and returns it, and does nothing else (no parsing, routing or
 * accounting). It reports its own time in Server-Timing measured as Switchyard measures
 * its own: from the request's arrival until the upstream request is written, plus from
 * the answer's last byte until the response is handed to node:http. Streams are piped.
 * Usage: tsx bench/undici-proxy.ts <listen-port> <upstream-url>
 */
import http from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = [Number(process.argv[2]), new URL(process.argv[3])];
const pool = new Pool(upstream.origin, { connections: 256, keepAliveTimeout: 30_000 });
const base = upstream.pathname.replace(/\/$/, '');

http.createServer((req, res) => {
  const arrived = performance.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const answer = pool.request({ method: 'POST', path: base + req.url, body: Buffer.concat(chunks), headers: { 'content-type': 'application/json' } });
    const sent = performance.now();
    answer.then(async (up) => {
      const type = String(up.headers['content-type'] ?? 'application/json');
      if (type.startsWith('text/event-stream')) {
        res.writeHead(up.statusCode, { 'content-type': type, 'server-timing': `sy;dur=${(sent - arrived).toFixed(3)}` });
        for await (const chunk of up.body) res.write(chunk);
        res.end();
        return;
      }
      const text = await up.body.text();
      const received = performance.now();
      const own = sent - arrived + (performance.now() - received);
      res.writeHead(up.statusCode, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'server-timing': `sy;dur=${own.toFixed(3)}` });
      res.end(text);
    }).catch(() => {
      res.statusCode = 502;
      res.end();
    });
  });
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
