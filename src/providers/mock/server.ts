/** Serves the mock responder over node:http: a fake OpenAI upstream for benchmarks and tests. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpRequestSpec } from '../types.js';
import { handleMockRequest, type MockContext } from './responder.js';

export interface MockServerOptions extends MockContext {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * Give every answer an `x-request-id` of 32 random hex digits, as OpenAI does: the gateway
   * then records a provider's id per call (an indexed audit column), as it would in
   * production. Off by default: replies stay deterministic.
   */
  requestIds?: boolean;
}

export interface MockServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `url` + `/v1`: the `base_url` for an openai-compatible provider pointed at this server. */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function serve(req: IncomingMessage, res: ServerResponse, ctx: MockServerOptions, origin: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const spec: HttpRequestSpec = {
    origin,
    path: req.url ?? '/',
    method: req.method === 'GET' ? 'GET' : 'POST',
    headers: headersOf(req),
    body: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined,
  };
  const reply = handleMockRequest(spec, ctx);
  if (reply.delayMs > 0) await sleep(reply.delayMs);
  res.writeHead(reply.status, ctx.requestIds ? { ...reply.headers, 'x-request-id': `req_${randomBytes(16).toString('hex')}` } : reply.headers);
  if (reply.stream) {
    for await (const frame of reply.stream) {
      if (res.destroyed) return;
      res.write(frame);
    }
    res.end();
  } else {
    res.end(reply.body);
  }
}

/**
 * @example
 * const mock = await startMockServer({ options: { chunks: 8 } });
 * // providers: { fake: { type: 'openai-compatible', base_url: mock.baseUrl, options: { auth: 'none' } } }
 * await mock.close();
 */
export function startMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  const host = opts.host ?? '127.0.0.1';
  let origin = '';
  const server = createServer((req, res) => {
    serve(req, res, opts, origin).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      resolve({
        url: origin,
        baseUrl: `${origin}/v1`,
        port,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
