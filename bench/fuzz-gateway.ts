/**
 * A seeded fuzz walk of the compiled gateway's HTTP entry points, out of process: the
 * gateway (bin/switchyard.js) runs with virtual keys, budgets, rate limits and a SQLite
 * audit log, in front of the wire fakes (test/fakes/wire.ts) and a chaos upstream that
 * answers each of OpenAI's, Anthropic's and Gemini's wire formats with garbage, truncated
 * JSON, partial or mutated SSE, the wrong content type, a 200 carrying an error, slow or
 * no bodies (the mode is the model's name: `xo-trunc`, `xa-sse-cut`, `xg-slowbody`, ...).
 *
 * Requests are valid ones mutated (test/e2e/mutate.ts, plus unicode edge cases, huge
 * numbers, duplicated keys, deep nesting) and sent through every transport misuse the
 * fuzzer knows: wrong content types, chunked and partial bodies, a Content-Length that
 * lies, clients that leave mid-request and mid-stream. After each batch: the process is
 * alive, /healthz answers fast. Each answer: no 500 that is not an upstream failure, an
 * error in the path's dialect, no hang. At the end (after the gateway flushed its audit
 * log on SIGTERM): one audit event per routed request, no budget reservation held, and
 * a key with a concurrency limit still gets its slots. It prints the volume, the statuses
 * by route, and each kind of finding with up to four examples; it exits 1 on any.
 *
 * Usage: npm run fuzz:gateway -- [--seed 1] [--requests 5000] [--concurrency 8] [--port 18481]
 *        [--redis redis://127.0.0.1:6379]
 * (--redis: counters and kept answers in that Redis, under a prefix of the run's own;
 * FUZZ_DEBUG=1 prints every 5xx, FUZZ_DEBUG=400 every 400; FUZZ_MODES=1 counts statuses
 * by chaos model rather than by route.) `npm run build` first: it runs bin/switchyard.js.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { startWireFake, type WireFake } from '../test/fakes/wire.js';
import { deletePrefix } from '../test/governance/helpers.js';
import { jsonOp, mutateJson, type Json } from '../test/e2e/mutate.js';
import { startBenchGateway } from './harness.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SEED = arg('seed', 1);
const REQUESTS = arg('requests', 5000);
const CONCURRENCY = arg('concurrency', 8);
const PORT = arg('port', 18480 + (SEED % 100));
const BATCH = 250;
/** --redis <url>: counters and kept answers in Redis, under a prefix of this run's own. */
const REDIS = (() => { const i = process.argv.indexOf('--redis'); return i > 0 ? process.argv[i + 1] : undefined; })();
const PREFIX = `sy-fuzz-${process.pid}:`;
const ADMIN = 'fuzz-admin-token-0123456789';
const KEYS = { a: 'sk-sy-fuzz-a-000001', b: 'sk-sy-fuzz-b-000002', c: 'sk-sy-fuzz-c-000003' };
const sha = (k: string) => `sha256:${createHash('sha256').update(k).digest('hex')}`;

// ---------- seeded randomness ----------
function mulberry32(a: number): () => number {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const chance = (p: number) => rnd() < p;
const opsPool = fc.sample(fc.array(jsonOp, { minLength: 1, maxLength: 3 }), { seed: SEED, numRuns: 4000 });
const ops = () => pick(opsPool);

// ---------- chaos upstream ----------
const MODES = ['ok', 'mut', 'trunc', 'garbage', 'html', 'err200', 'empty', 's500', 's429', 's400', 'cut', 'slowhdr', 'slowbody', 'hang',
  'sse-cut', 'sse-garbage', 'sse-mut', 'sse-noend', 'sse-wrongct', 'json4sse', 'bigusage', 'negusage'] as const;
type Mode = typeof MODES[number];

function okBody(kind: string, model: string, mode: Mode): any {
  const u = mode === 'bigusage' ? 1e18 : mode === 'negusage' ? -5 : 5;
  if (kind === 'oa-chat') return { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'hi', tool_calls: chance(0.3) ? [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] : undefined }, finish_reason: 'stop' }], usage: { prompt_tokens: u, completion_tokens: u, total_tokens: 2 * u } };
  if (kind === 'oa-embed') return { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }, { object: 'embedding', index: 1, embedding: [0.3, 0.4] }], model, usage: { prompt_tokens: u, total_tokens: u } };
  if (kind === 'oa-count') return { object: 'response.input_tokens', input_tokens: u };
  if (kind === 'oa-resp') return { id: 'resp_1', object: 'response', status: 'completed', model, output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi', annotations: [] }] }], usage: { input_tokens: u, output_tokens: u, total_tokens: 2 * u } };
  if (kind === 'an-msg') return { id: 'msg_1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'hi' }, ...(chance(0.3) ? [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'P' } }] : [])], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: u, output_tokens: u } };
  if (kind === 'an-count') return { input_tokens: u };
  if (kind === 'gm-gen') return { candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: u, candidatesTokenCount: u, totalTokenCount: 2 * u } };
  if (kind === 'gm-embed') return { embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] };
  if (kind === 'gm-count') return { totalTokens: u };
  return { error: { message: `chaos: no ${kind}` } };
}

/** The SSE frames of a good stream, as [event, data] pairs. */
function okFrames(kind: string, model: string, mode: Mode): [string | null, any][] {
  const u = mode === 'bigusage' ? 1e18 : mode === 'negusage' ? -5 : 5;
  if (kind === 'oa-chat') {
    const c = (delta: any, finish: string | null = null, usage?: any) => [null, { id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) }] as [null, any];
    return [c({ role: 'assistant', content: '' }), c({ content: 'hel' }), c({ content: 'lo' }), c({}, 'stop'), c({}, null, { prompt_tokens: u, completion_tokens: u, total_tokens: 2 * u }), [null, '[DONE]']];
  }
  if (kind === 'an-msg') {
    return [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: u, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: u } }],
      ['message_stop', { type: 'message_stop' }],
    ];
  }
  if (kind === 'gm-gen') {
    return [
      [null, { candidates: [{ content: { role: 'model', parts: [{ text: 'hel' }] }, index: 0 }] }],
      [null, { candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: u, candidatesTokenCount: u, totalTokenCount: 2 * u } }],
    ];
  }
  if (kind === 'oa-resp') {
    const r = okBody('oa-resp', model, mode);
    return [
      ['response.created', { type: 'response.created', response: { ...r, status: 'in_progress', output: [] } }],
      ['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] } }],
      ['response.output_text.delta', { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hi' }],
      ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item: r.output[0] }],
      ['response.completed', { type: 'response.completed', response: r }],
    ];
  }
  return [[null, okBody(kind, model, mode)]];
}

const frame = ([ev, data]: [string | null, any]) => `${ev ? `event: ${ev}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const garbage = () => Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)));

function kindOf(path: string, body: any): string {
  if (path.includes('/chat/completions')) return 'oa-chat';
  if (path.includes('/embeddings')) return 'oa-embed';
  if (path.includes('/responses/input_tokens')) return 'oa-count';
  if (path.includes('/responses')) return 'oa-resp';
  if (path.includes('/messages/count_tokens')) return 'an-count';
  if (path.includes('/messages')) return 'an-msg';
  if (path.includes(':countTokens')) return 'gm-count';
  if (path.includes('Embed')) return 'gm-embed';
  if (path.includes('enerateContent')) return 'gm-gen';
  return `unknown ${path} ${typeof body}`;
}

function chaos(req: IncomingMessage, res: ServerResponse, raw: string): void {
  let body: any;
  try { body = JSON.parse(raw); } catch { body = undefined; }
  const path = req.url ?? '';
  const model = String(body?.model ?? /models\/([^:/?]+)/.exec(path)?.[1] ?? 'x-ok');
  const mode = (MODES as readonly string[]).includes(model.slice(3)) ? model.slice(3) as Mode : 'ok';
  const kind = kindOf(path, body);
  const stream = body?.stream === true || path.includes('streamGenerateContent');
  const sse = { 'content-type': 'text/event-stream' };
  const json = { 'content-type': 'application/json' };
  const whole = () => JSON.stringify(okBody(kind, model, mode));
  switch (mode) {
    case 'cut': res.socket?.destroy(); return;
    case 'hang': res.writeHead(200, stream ? sse : json); res.write(stream ? ': hi\n\n' : '{'); return; // never ends
    case 'slowhdr': setTimeout(() => { if (!res.destroyed) { res.writeHead(200, json); res.end(whole()); } }, 6000); return;
    case 'garbage': res.writeHead(200, stream ? sse : json); res.end(garbage()); return;
    case 'html': res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html><body>Bad gateway</body></html>'); return;
    case 'err200': res.writeHead(200, stream ? sse : json); res.end(stream ? frame([kind === 'an-msg' ? 'error' : null, { type: 'error', error: { type: 'overloaded_error', message: 'overloaded' } }]) : JSON.stringify({ error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota' } })); return;
    case 'empty': res.writeHead(200, stream ? sse : json); res.end(); return;
    case 's500': res.writeHead(500, { 'content-type': 'text/html' }); res.end('<h1>oops</h1>'); return;
    case 's429': res.writeHead(429, { ...json, 'retry-after': pick(['-1', 'soon', '1e400', '99999999999', '0.5', '']) }); res.end('{"error":'); return;
    case 's400': res.writeHead(400, json); res.end(pick(['', 'null', '[]', '{"error":null}', '{"error":{"message":{"a":1}}}', '"str"', '{"detail":[{"loc":null}]}'])); return;
  }
  if (!stream || mode === 'json4sse') {
    let text = whole();
    if (mode === 'mut') text = JSON.stringify(mutateJson(JSON.parse(text), ops()));
    if (mode === 'trunc') text = text.slice(0, int(text.length));
    if (mode === 'slowbody') {
      res.writeHead(200, json);
      let i = 0;
      const t = setInterval(() => { if (res.destroyed || i >= text.length) { clearInterval(t); res.end(); return; } res.write(text.slice(i, i + 4)); i += 4; }, 150);
      return;
    }
    if (mode.startsWith('sse-')) { res.writeHead(200, sse); res.end(text); return; }
    res.writeHead(200, json);
    res.end(text);
    return;
  }
  let frames = okFrames(kind, model, mode).map(frame);
  if (mode === 'sse-cut') { res.writeHead(200, sse); for (const f of frames.slice(0, int(frames.length))) res.write(f); res.write(frames[frames.length - 1].slice(0, 7)); setTimeout(() => res.socket?.destroy(), 10); return; }
  if (mode === 'sse-garbage') frames = frames.map((f) => (chance(0.3) ? `data: ${garbage().toString('latin1')}\n\n` : f));
  if (mode === 'sse-mut') frames = okFrames(kind, model, mode).map(([e, d]) => frame([e, typeof d === 'string' || !chance(0.5) ? d : mutateJson(JSON.parse(JSON.stringify(d)), ops())])).filter(() => !chance(0.1));
  if (mode === 'sse-noend') frames = frames.slice(0, -1);
  res.writeHead(200, mode === 'sse-wrongct' ? json : sse);
  if (mode === 'slowbody') {
    let i = 0;
    const t = setInterval(() => { if (res.destroyed || i >= frames.length) { clearInterval(t); res.end(); return; } res.write(frames[i++]); }, 700);
    return;
  }
  res.end(frames.join(''));
}

async function startChaos(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => chaos(req, res, Buffer.concat(parts).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => { server.closeAllConnections(); server.close(); } };
}

// ---------- valid request seeds ----------
const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const ODD_SCHEMAS: unknown[] = [{}, { type: 'object', properties: { a: { $ref: '#/$defs/x' } }, $defs: { x: { $ref: '#/$defs/x' } } }, { type: ['object', 'null'] }, { type: 'object', properties: { 'bad key ünï': { type: 'strange' } } }, { anyOf: [] }, true, null, 'object', { type: 'object', properties: { n: { type: 'number', minimum: 1e308, maximum: -1e308 } }, required: ['missing', 'missing'] }];
const CHAT = () => ({
  model: 'gpt-4o', max_tokens: 32, temperature: 0.2,
  messages: [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: chance(0.2) ? pick(ODD_SCHEMAS) : schema } }],
  stream_options: { include_usage: true },
});
const MESSAGES = () => ({
  model: 'claude-sonnet-4', max_tokens: 32, system: 'Be terse.',
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather', input_schema: chance(0.2) ? pick(ODD_SCHEMAS) : schema }],
});
const RESPONSES = () => ({
  model: 'gpt-4o', instructions: 'Be terse.', max_output_tokens: 32,
  input: [{ role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] }, { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: 'sunny' }],
  tools: [{ type: 'function', name: 'get_weather', parameters: chance(0.2) ? pick(ODD_SCHEMAS) : schema }],
});
const EMBED = () => ({ model: 'text-embedding-3-small', input: ['one', 'two'] });
const COUNT = () => ({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'count me' }], tools: MESSAGES().tools });

const GOOD_MODELS = ['gpt-4o', 'claude-sonnet-4', 'gemini-2.5-flash', 'mock-model', 'gpt-5.1-codex', 'nope-model', 'oa/gpt-4o'];
const chaosModel = () => `${pick(['xo', 'xa', 'xg', 'xr'])}-${pick(MODES)}`;
const EMBED_MODELS = ['text-embedding-3-small', 'text-embedding-004', 'mock-model', 'xo-ok', 'xg-ok'];

// ---------- mutations beyond mutate.ts ----------
const ODD_STRINGS = ['\ud800', '\udfff\ud800', '\u0000', 'a\u2028b\u2029c', '\ufeff', 'NaN', 'Infinity', '-Infinity', '1e400', '-0', '𝕏'.repeat(50), 'e\u0301'.repeat(100), '\u202e', '%00', '{{}}', '__proto__', 'constructor'];
const ODD_NUMBERS_RAW = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0', '0.0000000000000000000001', '9007199254740993'];

function deepParts(depth: number): unknown {
  let v: unknown = { type: 'text', text: 'deep' };
  for (let i = 0; i < depth; i++) v = pick([[v], { type: 'text', text: v }, { content: [v] }]);
  return v;
}

/** The body as text: JSON of a mutated seed, with text-level mutations a JSON value cannot carry. */
function bodyText(seed: Record<string, unknown>): string {
  let v: any = chance(0.4) ? mutateJson(seed as Json, ops()) : seed;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) v = chance(0.5) ? seed : v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (chance(0.1)) { const k = pick(Object.keys(v)); if (k) v[k] = pick(ODD_STRINGS); }
    if (chance(0.05)) v.messages = [{ role: 'user', content: deepParts(20 + int(400)) }];
    if (chance(0.05)) v[pick(['max_tokens', 'temperature', 'n', 'max_output_tokens', 'top_p'])] = pick([1e308, -1, 2 ** 63, 0.5, 'NaN', '12', null]);
  }
  let text = JSON.stringify(v);
  if (text === undefined) text = 'undefined';
  if (chance(0.05)) text = text.replace(/"([^"\\]{1,12})"/, (m) => `${m.slice(0, -1)}\\ud800"`); // lone surrogate escape
  if (chance(0.04)) text = text.replace(/:(\d+(\.\d+)?)/, `:${pick(ODD_NUMBERS_RAW)}`);
  if (chance(0.04) && text.startsWith('{"')) text = `{"model":${pick(['"gpt-4o"', '{}', '1', 'null'])},${text.slice(1)}`; // duplicated key
  if (chance(0.03)) text = text.slice(0, int(text.length)); // truncated JSON
  if (chance(0.02)) text = `\ufeff${text}`;
  if (chance(0.02)) text = pick(['', 'null', '[]', '"x"', '1', 'true', '{"a":' + '['.repeat(5000), '{}']);
  return text;
}

// ---------- the client ----------
interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; error?: string; ms: number }
interface Req {
  kind: string; method: string; path: string; headers: Record<string, string>; body?: Buffer;
  transport: 'plain' | 'chunked' | 'lie-short' | 'lie-long' | 'leave-mid-request' | 'leave-mid-stream' | 'leave-after-body' | 'slow';
}

const CLIENT_TIMEOUT_MS = 20_000;

/** Sends `r` over a raw socket (full control of framing), and reads the whole answer. */
function send(r: Req): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s: Socket = connect(PORT, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ ...parseHttp(Buffer.concat(chunks)), error, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish('client timeout'), CLIENT_TIMEOUT_MS);
    s.on('error', (e) => finish(`socket ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    s.on('data', (c) => {
      chunks.push(c);
      if (r.transport === 'leave-mid-stream' && Buffer.concat(chunks).includes('\r\n\r\n') && Buffer.concat(chunks).length > 300) finish('left');
      if (complete(Buffer.concat(chunks))) finish();
    });
    s.on('end', () => finish());
    const body = r.body ?? Buffer.alloc(0);
    const h: Record<string, string> = { host: `127.0.0.1:${PORT}`, connection: 'close', ...r.headers };
    if (r.body !== undefined) {
      if (r.transport === 'chunked') h['transfer-encoding'] = 'chunked';
      else h['content-length'] ??= String(r.transport === 'lie-long' ? body.length + 50 : r.transport === 'lie-short' ? Math.max(0, body.length - 5) : body.length);
    }
    const head = `${r.method} ${r.path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    s.write(head);
    if (r.body === undefined) return;
    if (r.transport === 'chunked') {
      const cut = int(body.length + 1);
      s.write(`${cut.toString(16)}\r\n`); s.write(body.subarray(0, cut)); s.write('\r\n');
      if (chance(0.2)) return void s.end(); // no last chunk: a partial body
      if (cut < body.length) { s.write(`${(body.length - cut).toString(16)}\r\n`); s.write(body.subarray(cut)); s.write('\r\n'); }
      s.write('0\r\n\r\n');
    } else if (r.transport === 'leave-mid-request') {
      s.write(body.subarray(0, body.length >> 1));
      setTimeout(() => finish('left'), 5 + int(50));
    } else if (r.transport === 'slow') {
      let i = 0;
      const t = setInterval(() => { if (done || i >= body.length) { clearInterval(t); return; } s.write(body.subarray(i, i + 64)); i += 64; }, 20);
    } else if (r.transport === 'leave-after-body') {
      s.write(body);
      setTimeout(() => finish('left'), int(3000));
    } else s.write(body);
  });
}

function parseHttp(buf: Buffer): Omit<Answer, 'ms' | 'error'> {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, text: buf.toString('latin1') };
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
  let rest = buf.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') rest = dechunk(rest);
  return { status, headers, text: rest.toString('utf8') };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf('\r\n', i);
    if (nl < 0) break;
    const n = parseInt(b.subarray(i, nl).toString('latin1'), 16);
    if (!Number.isFinite(n) || n === 0) break;
    out.push(b.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(out);
}

/** A whole answer: its Content-Length reached, or its last chunk. */
function complete(buf: Buffer): boolean {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1').toLowerCase();
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) return buf.length - end - 4 >= Number(cl[1]);
  if (head.includes('transfer-encoding: chunked')) return buf.subarray(buf.length - 5).toString('latin1') === '0\r\n\r\n';
  return false;
}

// ---------- request generation ----------
const state = { responses: [] as { id: string; key: string }[], conversations: [] as { id: string; key: string }[] };
const keyHeader = (): Record<string, string> => {
  const k = pick(['a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'c', 'c', 'none', 'bad', 'admin']);
  const value = k === 'none' ? null : k === 'bad' ? 'sk-sy-unknown' : k === 'admin' ? ADMIN : KEYS[k as keyof typeof KEYS];
  if (value === null) return {};
  const h = pick(['authorization', 'authorization', 'x-api-key', 'x-switchyard-key']);
  return { [h]: `${h === 'authorization' ? 'Bearer ' : chance(0.05) ? 'Bearer ' : ''}${value}` };
};
const contentType = () => (chance(0.85) ? 'application/json' : pick(['text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/JSON', 'application/json;charset=latin1', 'application/vnd.api+json']));
const transport = (): Req['transport'] => (chance(0.8) ? 'plain' : pick(['chunked', 'lie-short', 'lie-long', 'leave-mid-request', 'leave-mid-stream', 'leave-after-body', 'slow'] as const));

function inference(): Req {
  const route = pick([
    ['chat', pick(['/v1/chat/completions', '/openai/v1/chat/completions']), CHAT, true],
    ['messages', '/anthropic/v1/messages', MESSAGES, true],
    ['responses', pick(['/v1/responses', '/openai/v1/responses']), RESPONSES, true],
    ['compact', '/v1/responses/compact', RESPONSES, false],
    ['embeddings', pick(['/v1/embeddings', '/openai/v1/embeddings']), EMBED, false],
    ['count_tokens', '/anthropic/v1/messages/count_tokens', COUNT, false],
  ] as const);
  const [kind, path, make, streams] = route;
  const seed: Record<string, any> = make();
  seed.model = kind === 'embeddings' ? pick([...EMBED_MODELS, chaosModel()]) : chance(0.45) ? chaosModel() : pick(GOOD_MODELS);
  if (streams && chance(0.5)) seed.stream = true;
  const headers: Record<string, string> = { ...keyHeader(), 'content-type': contentType() };
  const mine = <T extends { key: string }>(xs: T[]): T[] => (chance(0.9) ? xs.filter((x) => x.key === keyOf({ headers } as Req)) : xs);
  if (kind === 'responses') {
    const prev = mine(state.responses);
    if (chance(0.3) && prev.length) seed.previous_response_id = pick(prev).id;
    if (chance(0.1)) seed.previous_response_id = pick(['resp_nope', '', 'x'.repeat(300), '\ud800']);
    const convs = mine(state.conversations);
    if (chance(0.2) && convs.length) { seed.conversation = pick(convs).id; delete seed.previous_response_id; }
    if (chance(0.2)) seed.store = pick([true, false]);
    if (chance(0.1)) seed.input = [{ type: 'item_reference', id: pick(['msg_nope', 'msg_1']) }, ...seed.input];
  }
  if (chance(0.05)) headers['x-tier'] = pick(['premium', '\u00ff', '']);
  if (kind === 'messages' && chance(0.5)) headers['anthropic-version'] = '2023-06-01';
  let body = Buffer.from(bodyText(seed));
  if (chance(0.03)) { body = gzipSync(body); headers['content-encoding'] = 'gzip'; }
  else if (chance(0.02)) headers['content-encoding'] = pick(['gzip', 'br', 'deflate', 'zstd', 'bogus']);
  return { kind, method: chance(0.97) ? 'POST' : pick(['GET', 'PUT', 'DELETE', 'PATCH']), path, headers, body, transport: transport() };
}

function other(): Req {
  const admin = chance(0.7) ? { authorization: `Bearer ${ADMIN}` } : chance(0.5) ? keyHeader() : { authorization: 'Bearer wrong-admin' };
  const text = () => { const v = pick(['', '24h', '-1', '1e9', 'x'.repeat(300), 'null', '../', ...ODD_STRINGS.slice(0, 6)]); try { return encodeURIComponent(v); } catch { return pick(['%ED%A0%80', '%ff', '%', '%00']); } };
  const choice = int(10);
  const r = (kind: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Req => ({
    kind, method, path, headers: body === undefined ? headers : { ...headers, 'content-type': contentType() }, body: body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), transport: chance(0.9) ? 'plain' : transport(),
  });
  switch (choice) {
    case 0: return r('models', 'GET', pick(['/v1/models', '/openai/v1/models', `/v1/models/${text()}`, '/anthropic/v1/models', `/anthropic/v1/models/${text()}`, `/anthropic/v1/models?limit=${text()}&after_id=${text()}`]), keyHeader());
    case 1: {
      const exp = { request: { model: 'gpt-4o', endpoint: 'chat', stream: false, headers: { 'x-tier': 'premium' }, params: { max_tokens: 64 } }, state: { budget_used: 50, now: '2026-12-06T12:00:00Z', draw: 0.5 } };
      return r('admin', 'POST', '/admin/explain', admin, bodyText(exp));
    }
    case 2: return r('admin', 'GET', `/admin/audit?${pick(['limit', 'decision_id', 'since', 'status', 'cursor', 'summary', 'rule'])}=${text()}`, admin);
    case 3: return r('admin', 'GET', `/admin/budgets${pick(['', '?level=team', '?level=virtual_key&id=vk-b', `?level=${text()}`, `?id=${text()}&id=2`])}`, admin);
    case 4: return r('admin', pick(['GET', 'POST']), pick(['/admin/rules', '/admin/reload', '/admin/nope']), admin);
    case 5: {
      const k = pick(['a', 'b', 'c'] as const);
      return r('conversations', 'POST', '/v1/conversations', { authorization: `Bearer ${KEYS[k]}` }, bodyText({ items: RESPONSES().input.slice(0, 1), metadata: { t: 'x' } }));
    }
    case 6: {
      const c = state.conversations.length ? pick(state.conversations) : { id: 'conv_nope', key: KEYS.a };
      const m = pick(['GET', 'POST', 'DELETE']);
      const p = pick([`/v1/conversations/${c.id}`, `/v1/conversations/${c.id}/items`, `/v1/conversations/${c.id}/items?limit=${text()}&order=${text()}`, `/v1/conversations/${c.id}/items/${text()}`, `/v1/conversations/${text()}`]);
      return r('conversations', m, p, { authorization: `Bearer ${chance(0.9) ? c.key : KEYS.b}` }, m === 'POST' ? bodyText(p.endsWith('/items') ? { items: RESPONSES().input.slice(0, 1) } : { metadata: { a: 'b' } }) : undefined);
    }
    case 7: return r('ops', 'GET', pick(['/healthz', '/readyz', '/metrics', '/', '/v1', '/v1/responses/resp_1', '/%ff', '/v1/chat/completions?x=%zz']), {});
    default: return inference();
  }
}

// ---------- checks ----------
interface Finding { kind: string; detail: string; req: string }
const findings: Finding[] = [];
const finding = (kind: string, r: Req, detail: string) => {
  findings.push({ kind, detail: detail.slice(0, 600), req: `${r.method} ${r.path} [${r.transport}] ${JSON.stringify(r.headers)} ${r.body?.toString('utf8').slice(0, 400) ?? ''}` });
};
const routed: { id: string; status: number; code: string; kind: string; path: string; note?: string }[] = [];
const counts = { requests: 0, ws: 0, statuses: new Map<string, number>() };

const PRE_ROUTING = new Set(['SY_ERR_BAD_REQUEST', 'SY_ERR_INVALID_JSON', 'SY_ERR_JSON_TOO_DEEP', 'SY_ERR_FORBIDDEN_KEY', 'SY_ERR_UNSUPPORTED_MEDIA_TYPE', 'SY_ERR_REQUEST_TIMEOUT', 'SY_ERR_BODY_TOO_LARGE', 'SY_ERR_HEADERS_TOO_LARGE', 'SY_ERR_UNAUTHORIZED', 'SY_ERR_NOT_FOUND', 'SY_ERR_METHOD_NOT_ALLOWED', 'SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', 'previous_response_not_found']);

function check(r: Req, a: Answer): void {
  counts.requests++;
  const left = a.error === 'left';
  if (a.error && !left) {
    if (a.error === 'client timeout') return finding('hang', r, `no answer in ${CLIENT_TIMEOUT_MS} ms; got ${a.status} ${a.text.slice(0, 200)}`);
    // A body that lies about its length or never ends: the gateway may close on it.
    if (a.status === 0 && r.transport === 'plain') return finding('no answer', r, a.error);
  }
  if (a.status === 0) return;
  const model = /"model":"(x[oagr]-[a-z0-9-]+)"/.exec(r.body?.toString('utf8') ?? '')?.[1];
  const key = model && process.env.FUZZ_MODES ? `${model} ${a.status}` : `${r.kind} ${a.status}`;
  counts.statuses.set(key, (counts.statuses.get(key) ?? 0) + 1);
  const ct = String(a.headers['content-type'] ?? '');
  const anthropicPath = r.path.startsWith('/anthropic/');
  let code = '';
  if (a.status >= 400 && !left) {
    let j: any;
    try { j = JSON.parse(a.text); } catch { return finding('error not JSON', r, `${a.status} ${ct} ${a.text.slice(0, 300)}`); }
    if (anthropicPath) {
      if (j?.type !== 'error' || typeof j?.error?.type !== 'string' || typeof j?.error?.message !== 'string') finding('wrong dialect', r, `${a.status} anthropic path: ${a.text.slice(0, 300)}`);
    } else if (typeof j?.error?.message !== 'string' || typeof j?.error?.type !== 'string' || j?.type === 'error') finding('wrong dialect', r, `${a.status} openai path: ${a.text.slice(0, 300)}`);
    code = String(j?.error?.code ?? '');
    if (process.env.FUZZ_DEBUG && a.status >= 500) console.log(`5xx ${r.kind} ${model} ${a.status} ${String(j?.error?.message).slice(0, 160)}`);
    if (process.env.FUZZ_DEBUG === '400' && a.status === 400) console.log(`400 ${r.kind} ${String(j?.error?.message).slice(0, 100)}`);
    if (!/^SY_ERR_[A-Z_]+$/.test(code) && code !== 'previous_response_not_found') finding('no stable code', r, `${a.status}: ${a.text.slice(0, 300)}`);
  }
  if (a.status === 500) finding('500', r, a.text.slice(0, 400));
  if (a.status >= 500 && !/^SY_ERR_(UPSTREAM_|STREAM_|OVERLOADED|NO_ROUTE|UNAVAILABLE)/.test(code) && !left) finding(`${a.status} not upstream`, r, a.text.slice(0, 400));
  if (a.status === 200 && ct.startsWith('text/event-stream') && !left) checkStream(r, a);
  const id = a.headers['x-switchyard-decision-id'];
  if (typeof id === 'string' && ['chat', 'messages', 'responses', 'compact', 'embeddings', 'count_tokens'].includes(r.kind) && r.method === 'POST') {
    // A client that left before reading an error cannot tell a refusal at intake from one after routing.
    if (!(left && a.status !== 200)) routed.push({ id, status: a.status, code, kind: r.kind, path: r.path, note: `${r.transport} ${a.text.slice(0, 200)} <= ${r.body?.toString('utf8').slice(0, 300)}` });
  }
  if (a.status === 200 && r.kind === 'responses' && !ct.startsWith('text/event-stream')) {
    try { const j = JSON.parse(a.text); if (typeof j.id === 'string') state.responses.push({ id: j.id, key: keyOf(r) }); } catch { /* */ }
  }
  if (a.status === 200 && r.kind === 'conversations' && r.path === '/v1/conversations') {
    try { const j = JSON.parse(a.text); if (typeof j.id === 'string') state.conversations.push({ id: j.id, key: keyOf(r) }); } catch { /* */ }
  }
  if (state.responses.length > 200) state.responses.splice(0, 100);
}
const keyOf = (r: Req) => (r.headers.authorization ?? r.headers['x-api-key'] ?? r.headers['x-switchyard-key'] ?? '').replace(/^Bearer /, '');

function checkStream(r: Req, a: Answer): void {
  const blocks = a.text.split('\n\n').filter((b) => b.trim() && !b.trim().startsWith(':'));
  if (blocks.length === 0) return finding('empty stream', r, a.text.slice(0, 200));
  const last = blocks[blocks.length - 1];
  const data = last.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
  const event = /^event:\s*(.*)$/m.exec(last)?.[1] ?? '';
  const ok = r.kind === 'chat' ? data === '[DONE]' || /"error"/.test(data)
    : r.kind === 'messages' ? ['message_stop', 'error'].includes(event)
      : ['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(event);
  if (!ok) finding('stream end', r, `last frame: ${last.slice(0, 300)}`);
  if (r.path.startsWith('/anthropic/') && event === 'error') {
    try { const j = JSON.parse(data); if (j.type !== 'error' || typeof j.error?.type !== 'string') finding('wrong dialect (stream)', r, data); } catch { finding('stream error not JSON', r, data); }
  }
}

// ---------- WebSocket ----------
async function wsBatch(n: number): Promise<void> {
  const key = KEYS[pick(['a', 'b', 'c'] as const)];
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}${pick(['/v1/responses', '/openai/v1/responses'])}`, { headers: { authorization: `Bearer ${key}` } });
  const opened = await new Promise<boolean>((res) => { ws.once('open', () => res(true)); ws.once('error', () => res(false)); });
  if (!opened) return void findings.push({ kind: 'ws open', detail: 'did not open', req: key });
  let closed = false;
  ws.on('close', () => { closed = true; });
  const inbox: any[] = [];
  ws.on('message', (d) => { try { inbox.push(JSON.parse(String(d))); } catch { findings.push({ kind: 'ws non-JSON', detail: String(d).slice(0, 200), req: '' }); } });
  const leaveAt = chance(0.3) ? int(n) : -1;
  for (let i = 0; i < n && !closed; i++) {
    const seed: any = RESPONSES();
    seed.model = chance(0.4) ? chaosModel() : pick(GOOD_MODELS);
    const text = bodyText(seed);
    let body: any;
    try { body = JSON.parse(text); } catch { body = text; }
    const warm = chance(0.1);
    const msg = typeof body === 'object' && body !== null && !Array.isArray(body) && chance(0.9) ? JSON.stringify({ type: 'response.create', ...body, ...(warm ? { generate: false } : {}) }) : text;
    ws.send(msg);
    counts.ws++;
    if (i === leaveAt) { await new Promise((r) => setTimeout(r, int(30))); ws.terminate(); return; }
    const t0 = performance.now();
    for (;;) {
      const m = inbox.shift();
      if (m) {
        if (m.type === 'error') {
          const code = String(m.error?.code ?? '');
          if (m.status === 500 || !/^SY_ERR_|previous_response_not_found/.test(code)) findings.push({ kind: 'ws error', detail: JSON.stringify(m).slice(0, 400), req: msg.slice(0, 300) });
          const id = m.headers?.['x-switchyard-decision-id'];
          if (typeof id === 'string') routed.push({ id, status: m.status, code, kind: 'ws', path: 'ws' });
          break;
        }
        if (['response.completed', 'response.incomplete', 'response.failed'].includes(m.type)) {
          const id = m.response?.id;
          if (typeof id === 'string' && !warm && body?.generate !== false) routed.push({ id: id.replace(/^resp_/, 'dec_'), status: 200, code: '', kind: 'ws', path: 'ws' });
          break;
        }
        continue;
      }
      if (closed) { findings.push({ kind: 'ws closed', detail: 'closed mid-request', req: msg.slice(0, 300) }); return; }
      if (performance.now() - t0 > CLIENT_TIMEOUT_MS) { findings.push({ kind: 'ws hang', detail: 'no answer', req: msg.slice(0, 300) }); ws.terminate(); return; }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  ws.close();
}

// ---------- main ----------
const fakes: WireFake[] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
const chaosUp = await startChaos();
const [oa, an, gm] = fakes;
let dir = '';
const chaosModels = (p: string) => MODES.map((m) => `${p}-${m}`);
const pricing = Object.fromEntries(['gpt-4o', 'claude-sonnet-4', 'gemini-2.5-flash', 'mock-model', 'gpt-5.1-codex', 'text-embedding-3-small', 'text-embedding-004', ...['xo', 'xa', 'xg', 'xr'].flatMap(chaosModels)].map((m) => [m, { input: 1, output: 2 }]));
const gw = await startBenchGateway({
  root, port: PORT, upstreamPort: 0, audit: true,
  config: (d) => {
    dir = d;
    return JSON.stringify({
      server: { port: PORT, admin_token: ADMIN, request_timeout_ms: 4000, client_stall_ms: 3000, body_limit_bytes: 2_000_000, shutdown_grace_ms: 3000 },
      logging: { level: 'error' },
      dispatch: { max_attempts: 2, retries_per_target: 1, backoff: { base_ms: 10, cap_ms: 50 }, timeouts: { attempt_ms: 2500, response_ms: 4000, idle_ms: 2000, total_ms: 8000 }, cooldown: { consecutive_failures: 1_000_000 } },
      providers: {
        oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o', 'gpt-5.1-codex', 'text-embedding-3-small'], keys: [{ name: 'k', value: 'sk-up-oa' }], options: { api: { '*codex*': 'responses' } } },
        an: { type: 'anthropic', base_url: an.url, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-up-an' }] },
        gm: { type: 'gemini', base_url: gm.url, models: ['gemini-2.5-flash', 'text-embedding-004'], keys: [{ name: 'k', value: 'sk-up-gm' }] },
        mk: { type: 'mock', models: ['mock-model'] },
        xo: { type: 'openai', base_url: `${chaosUp.url}/v1`, models: chaosModels('xo'), keys: [{ name: 'k', value: 'sk-up-xo' }], budgets: [{ limit_usd: 1e6, period: '1d' }] },
        xr: { type: 'openai', base_url: `${chaosUp.url}/v1`, models: chaosModels('xr'), keys: [{ name: 'k', value: 'sk-up-xr' }], options: { api: { '*': 'responses' } } },
        xa: { type: 'anthropic', base_url: chaosUp.url, models: chaosModels('xa'), keys: [{ name: 'k', value: 'sk-up-xa' }] },
        xg: { type: 'gemini', base_url: chaosUp.url, models: chaosModels('xg'), keys: [{ name: 'k', value: 'sk-up-xg' }] },
      },
      governance: {
        pricing,
        ...(REDIS ? { store: { type: 'redis', url: REDIS, prefix: PREFIX } } : {}),
        customers: [{ id: 'c1', budgets: [{ limit_usd: 1e12, period: '1M' }] }],
        teams: [{ id: 't1', customer: 'c1', budgets: [{ limit_usd: 1e11, period: '1d' }], rate_limit: { requests: 1_000_000, per: '1m' } }, { id: 't2', customer: 'c1' }],
        virtual_keys: [
          { id: 'vk-a', key_hash: sha(KEYS.a), team: 't1', rate_limit: { requests: 1_000_000, tokens: 1e12, per: '1m' } },
          { id: 'vk-b', key_hash: sha(KEYS.b), team: 't2', budgets: [{ limit_usd: 0.5, period: '1d' }] },
          { id: 'vk-c', key_hash: sha(KEYS.c), team: 't1', rate_limit: { concurrency: 3 }, budgets: [{ limit_usd: 1e9, period: '1h' }] },
        ],
      },
      audit: { sinks: [{ type: 'sqlite', path: join(d, 'audit.db'), flush_interval_ms: 50 }] },
    });
  },
});
console.log(`gateway pid ${gw.pid} on ${gw.url}, dir ${dir}, seed ${SEED}`);
gw.process.on('exit', (code, signal) => { if (!stopping) { console.log(`GATEWAY EXITED ${code ?? signal}`); findings.push({ kind: 'crash', detail: `exit ${code ?? signal}`, req: '' }); } });
let stopping = false;
process.on('exit', () => { if (gw.process.exitCode === null) gw.process.kill('SIGKILL'); });

const started = performance.now();
let sent = 0;
while (sent < REQUESTS && !gw.process.exitCode && gw.process.signalCode === null) {
  const batch = Math.min(BATCH, REQUESTS - sent);
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < batch) {
      next++;
      if (chance(0.02)) { await wsBatch(1 + int(6)); continue; }
      const r = chance(0.75) ? inference() : other();
      check(r, await send(r));
    }
  }));
  sent += batch;
  const t0 = performance.now();
  const h = await send({ kind: 'ops', method: 'GET', path: '/healthz', headers: {}, transport: 'plain' });
  const hm = performance.now() - t0;
  if (h.status !== 200 || hm > 1000) findings.push({ kind: 'healthz', detail: `${h.status} in ${hm.toFixed(0)} ms ${h.error ?? ''}`, req: '' });
  console.log(`${sent} requests (+${counts.ws} ws), ${((performance.now() - started) / 1000).toFixed(0)} s, healthz ${hm.toFixed(0)} ms, findings ${findings.length}`);
}
const seconds = (performance.now() - started) / 1000;

// Quiescence: streams settle, then no reservation may be held and every slot is free.
await new Promise((r) => setTimeout(r, 9000));
const budgets = JSON.parse((await send({ kind: 'admin', method: 'GET', path: '/admin/budgets', headers: { authorization: `Bearer ${ADMIN}` }, transport: 'plain' })).text);
for (const b of budgets.budgets ?? []) if (b.reserved_usd !== 0) findings.push({ kind: 'reservation held', detail: JSON.stringify(b), req: '' });
const probes = await Promise.all([0, 1, 2].map(() => send({ kind: 'chat', method: 'POST', path: '/v1/chat/completions', headers: { authorization: `Bearer ${KEYS.c}`, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'slot?' }] })), transport: 'plain' })));
for (const p of probes) if (p.status !== 200) findings.push({ kind: 'concurrency slot held', detail: `${p.status} ${p.text.slice(0, 300)}`, req: '' });

// Stop the gateway (it flushes its audit log), then match the answers with the events.
stopping = true;
gw.process.kill('SIGTERM');
await new Promise((r) => gw.process.once('exit', r));
const db = new Database(join(dir, 'audit.db'), { readonly: true });
const have = new Map<string, number>();
for (const row of db.prepare('SELECT decision_id FROM audit_events').all() as { decision_id: string }[]) have.set(row.decision_id, (have.get(row.decision_id) ?? 0) + 1);
const missingByCode = new Map<string, string[]>();
const seen = new Set<string>();
for (const a of routed) {
  if (seen.has(a.id)) findings.push({ kind: 'decision id reused', detail: a.id, req: a.path });
  seen.add(a.id);
  if (have.has(a.id) || PRE_ROUTING.has(a.code)) continue;
  const k = `${a.kind} ${a.status} ${a.code}`;
  missingByCode.set(k, [...(missingByCode.get(k) ?? []), `${a.id} ${a.note ?? ''}`]);
}
for (const [k, ids] of missingByCode) findings.push({ kind: 'no audit event', detail: `${k}: ${ids.length}\n    ${ids.slice(0, 3).join('\n    ')}`, req: '' });
const extra = [...have.keys()].filter((id) => !seen.has(id)).length;

chaosUp.close();
await Promise.all(fakes.map((f) => f.close()));
if (REDIS !== undefined) await deletePrefix(PREFIX, REDIS);
console.log(`\n${counts.requests} HTTP requests + ${counts.ws} WebSocket requests in ${seconds.toFixed(0)} s (seed ${SEED}); ${routed.length} answers with a decision id, ${have.size} audit events (${extra} for requests whose answer the client did not read)`);
console.log([...counts.statuses].sort().map(([k, n]) => `${k}: ${n}`).join(', '));
const byKind = new Map<string, Finding[]>();
for (const f of findings) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
for (const [k, fs] of byKind) {
  console.log(`\n== ${k}: ${fs.length}`);
  for (const f of fs.slice(0, 4)) console.log(`  ${f.detail}\n    ${f.req}`);
}
process.exit(findings.length ? 1 : 0);
