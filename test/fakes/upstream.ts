/**
 * Fake LLM upstreams for tests: real node:http servers on 127.0.0.1 (ephemeral port) that
 * speak the OpenAI or Anthropic wire format and misbehave on demand. The fault for a
 * request comes from its `x-fault` header, else from the server's script (consumed in
 * order), else from the server's default fault.
 *
 * Faults:
 *   ok                      a normal answer (JSON or SSE as the request asks)
 *   status:<code>           an error answer in the server's format (429 sends no Retry-After)
 *   status:429:ra=<s>       429 with `retry-after: <s>`;  status:429:ra-ms=<ms> with `retry-after-ms`
 *   reset                   read the request, then destroy the socket before any header
 *   hang                    read the request and never answer
 *   delay:<ms>              answer normally after <ms>
 *   stall:<n>               stream: n content chunks, then silence with the socket open
 *   cut:<n>                 stream: n content chunks, then destroy the socket (no terminator)
 *   first-error             stream: an error event is the first thing sent
 *   stall-body              200 JSON headers and half a body, then silence
 *   malformed               200 with a body that is not JSON
 *   html                    200 text/html (a proxy's error page)
 *   oversize:<bytes>        200 JSON of about that many bytes
 *   broken-sse              stream: a `data:` line that is not JSON
 *   long-line:<chars>       stream: content chunks of that many characters each (one `data:`
 *                           line apiece), then silence with the socket open
 *   redirect                307 to the same path (a gateway must not follow it)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type WireFormat = 'openai' | 'anthropic';

export interface FakeUpstreamOptions {
  format?: WireFormat;
  /** Used when neither the header nor the script names a fault. Default `ok`. */
  defaultFault?: string;
  /** Content chunks per streamed answer. Default 3. */
  chunks?: number;
  /** Wait between streamed chunks. Default 0. */
  chunkDelayMs?: number;
  /** Text of the answer; chunks split it. Default `hello from <name>`. */
  text?: string;
  name?: string;
}

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  fault: string;
}

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  name: string;
  format: WireFormat;
  /** Requests received, in order. */
  requests: RecordedRequest[];
  /** How many requests arrived. */
  readonly calls: number;
  /** TCP connections accepted (keep-alive reuse keeps this low). */
  readonly connections: number;
  /** Responses the client abandoned before they finished (socket closed from the client side). */
  readonly aborts: number;
  /** Faults for the next requests, in order (then `defaultFault`). */
  script(faults: string[]): void;
  setDefault(fault: string): void;
  /** Resolves when the next client abort is seen, with the time it was seen (performance.now()). */
  nextAbort(): Promise<number>;
  reset(): void;
  close(): Promise<void>;
}

/** A port on 127.0.0.1 with nothing listening (for "connection refused"). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const format = opts.format ?? 'openai';
  const name = opts.name ?? format;
  const text = opts.text ?? `hello from ${name}`;
  const chunks = opts.chunks ?? 3;
  const delay = opts.chunkDelayMs ?? 0;
  let defaultFault = opts.defaultFault ?? 'ok';
  let queue: string[] = [];
  let aborts = 0;
  let connections = 0;
  let abortWaiters: ((t: number) => void)[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const onAbort = (): void => {
    aborts++;
    const now = performance.now();
    const ws = abortWaiters;
    abortWaiters = [];
    for (const w of ws) w(now);
  };

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      const header = req.headers['x-fault'];
      const fault = (typeof header === 'string' ? header : undefined) ?? queue.shift() ?? defaultFault;
      requests.push({ path: req.url ?? '/', headers: req.headers, body, fault });
      res.on('close', () => {
        if (!res.writableFinished) onAbort();
      });
      handle(req, res, body, fault);
    });
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 30_000;

  function handle(req: IncomingMessage, res: ServerResponse, body: string, fault: string): void {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // an empty or odd body still gets an answer
    }
    const stream = parsed.stream === true;
    const model = typeof parsed.model === 'string' ? parsed.model : 'fake-model';
    const [kind, arg, extra] = fault.split(':');
    switch (kind) {
      case 'ok':
        return answer(res, req.url ?? '', stream, model);
      case 'delay':
        return later(Number(arg), () => answer(res, req.url ?? '', stream, model));
      case 'status':
        return error(res, Number(arg), extra);
      case 'reset':
        return void req.socket.destroy();
      case 'hang':
        return;
      case 'stall':
        return streamAnswer(res, model, { upTo: Number(arg), then: 'stall' });
      case 'cut':
        return streamAnswer(res, model, { upTo: Number(arg), then: 'cut' });
      case 'long-line':
        return streamAnswer(res, model, { upTo: chunks, then: 'stall', text: 'x'.repeat(Number(arg) * chunks) });
      case 'first-error':
        return firstError(res);
      case 'stall-body':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.write('{"id":"chatcmpl-fake","object":"chat.completion","choices":[');
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"id": "x", "choices": [');
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
      case 'oversize': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const filler = 'x'.repeat(Math.max(0, Number(arg) - 40));
        return void res.end(JSON.stringify({ id: 'big', padding: filler, choices: [] }));
      }
      case 'redirect':
        res.writeHead(307, { location: req.url ?? '/' });
        return void res.end();
      case 'broken-sse':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"id":"chunk-1","choices":[{"index":0,"delta":{"content":"Hi"}}\n\n');
        return void res.end('data: [DONE]\n\n');
      default:
        throw new Error(`unknown fault ${fault}`);
    }
  }

  function error(res: ServerResponse, status: number, extra: string | undefined): void {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (extra?.startsWith('ra=')) headers['retry-after'] = extra.slice(3);
    if (extra?.startsWith('ra-ms=')) headers['retry-after-ms'] = extra.slice(6);
    res.writeHead(status, headers);
    if (format === 'anthropic') {
      const type = status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status === 401 ? 'authentication_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
      res.end(JSON.stringify({ type: 'error', error: { type, message: `fake ${name}: HTTP ${status}` } }));
    } else {
      const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
      res.end(JSON.stringify({ error: { message: `fake ${name}: HTTP ${status}`, type, param: null, code: null } }));
    }
  }

  function pieces(text: string): string[] {
    const size = Math.ceil(text.length / chunks);
    const out: string[] = [];
    for (let i = 0; i < chunks; i++) out.push(text.slice(i * size, (i + 1) * size));
    return out;
  }

  function answer(res: ServerResponse, path: string, stream: boolean, model: string): void {
    if (path.endsWith('/embeddings')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], model, usage: { prompt_tokens: 2, total_tokens: 2 } }));
    }
    if (stream) return streamAnswer(res, model, { upTo: chunks, then: 'finish' });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (format === 'anthropic') {
      res.end(JSON.stringify({ id: 'msg_fake', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 7 } }));
    } else {
      res.end(JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } }));
    }
  }

  function frames(model: string, answer: string): { head: string[]; body: string[]; tail: string[] } {
    const ps = pieces(answer);
    if (format === 'anthropic') {
      const ev = (type: string, data: unknown): string => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
      return {
        head: [
          ev('message_start', { type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
          ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
        ],
        body: ps.map((p) => ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } })),
        tail: [
          ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
          ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } }),
          ev('message_stop', { type: 'message_stop' }),
        ],
      };
    }
    const chunk = (delta: unknown, finish: string | null, usage?: unknown): string =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
    return {
      head: [chunk({ role: 'assistant', content: '' }, null)],
      body: ps.map((p) => chunk({ content: p }, null)),
      tail: [
        chunk({}, 'stop'),
        `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } })}\n\n`,
        'data: [DONE]\n\n',
      ],
    };
  }

  function streamAnswer(res: ServerResponse, model: string, plan: { upTo: number; then: 'finish' | 'stall' | 'cut'; text?: string }): void {
    const f = frames(model, plan.text ?? text);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const out = [...f.head, ...f.body.slice(0, plan.upTo)];
    let i = 0;
    const step = (): void => {
      if (res.destroyed) return;
      if (i < out.length) {
        res.write(out[i++]);
        if (delay > 0) later(delay, step);
        else step();
        return;
      }
      if (plan.then === 'finish') {
        for (const t of f.tail) res.write(t);
        res.end();
      } else if (plan.then === 'cut') {
        // Let the written frames leave before the socket goes.
        later(10, () => res.socket?.destroy());
      }
    };
    step();
  }

  function firstError(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (format === 'anthropic') {
      res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`);
    } else {
      res.end(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } })}\n\n`);
    }
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    name,
    format,
    requests,
    get calls() {
      return requests.length;
    },
    get aborts() {
      return aborts;
    },
    get connections() {
      return connections;
    },
    script(faults) {
      queue = [...faults];
    },
    setDefault(fault) {
      defaultFault = fault;
    },
    nextAbort() {
      return new Promise((r) => abortWaiters.push(r));
    },
    reset() {
      requests.length = 0;
      queue = [];
      aborts = 0;
      connections = 0;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
