/**
 * Property: whatever a provider answers — a mutated body, a stream with events changed,
 * dropped, repeated or cut, an error status, the wrong content type — the gateway answers
 * its client in the client's dialect and keeps its books: a 200 (a whole answer, or a
 * stream that ends as its dialect ends or visibly breaks off), or an error with a stable
 * SY_ERR_* code; never an internal error, a hang or a logged crash; one audit event per
 * request with sane token counts and cost.
 *
 * The upstream is a raw fake that answers each request with the next generated answer,
 * built from a valid OpenAI (chat completions or Responses API), Anthropic or Gemini answer (text and a tool call, usage,
 * stop reason) and mutated. Clients use chat completions, messages and responses, whole
 * and streamed. `FUZZ_RUNS` / `FUZZ_SEED` run longer or replay a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { sleep, startE2E, type E2EGateway, HOOK, REQUEST_TIMEOUT_MS } from './helpers.js';
import { jsonOp, mutateJson, type Json, type JsonOp } from './mutate.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? 20261206 : Number(process.env.FUZZ_SEED);

/** What the fake upstream sends for the next request. */
interface Answer {
  status: number;
  contentType: string;
  /** A whole body, or SSE frames written one by one. */
  body?: string;
  frames?: string[];
  /** Destroy the socket after this many frames (or after half the body). */
  cutAt?: number;
}

let next: Answer | null = null;
let upstream: Server;
let upstreamUrl = '';
const sockets = new Set<Socket>();
let e2e: E2EGateway;
const logged: string[] = [];

before(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = next ?? { status: 500, contentType: 'text/plain', body: 'no answer queued' };
      res.writeHead(a.status, { 'content-type': a.contentType });
      if (a.frames) {
        a.frames.forEach((f, i) => {
          if (a.cutAt !== undefined && i >= a.cutAt) return;
          res.write(f);
        });
        if (a.cutAt !== undefined) res.socket?.destroy();
        else res.end();
        return;
      }
      const body = a.body ?? '';
      if (a.cutAt !== undefined) {
        res.write(body.slice(0, body.length >> 1));
        res.socket?.destroy();
      } else res.end(body);
    });
  });
  upstream.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString('utf8'));
      done();
    },
  });
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    // One attempt, and a provider is never cooled down: every case reaches the upstream.
    dispatch: {
      retries_per_target: 0, max_attempts: 1,
      timeouts: { attempt_ms: 3000, response_ms: 3000, idle_ms: 1000, total_ms: 5000 },
      cooldown: { consecutive_failures: 1_000_000 },
    },
    providers: {
      oa: { type: 'openai', base_url: `${upstreamUrl}/v1`, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: upstreamUrl, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-up-an' }] },
      gm: { type: 'gemini', base_url: upstreamUrl, models: ['gemini-2.5-flash'], keys: [{ name: 'k', value: 'sk-up-gm' }] },
      rs: { type: 'openai', base_url: `${upstreamUrl}/v1`, models: ['gpt-5.1-codex'], keys: [{ name: 'k', value: 'sk-up-rs' }], options: { api: 'responses' } },
    },
  }, { logger: pino({ level: 'error' }, sink) });
}, HOOK);

after(async () => {
  await e2e?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => upstream?.close(r));
}, HOOK);

type Format = 'openai' | 'anthropic' | 'gemini' | 'responses';
const MODEL: Record<Format, string> = { openai: 'oa/gpt-4o', anthropic: 'an/claude-sonnet-4', gemini: 'gm/gemini-2.5-flash', responses: 'rs/gpt-5.1-codex' };
const RS_USAGE = { input_tokens: 11, input_tokens_details: { cached_tokens: 2 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 18 };
const RS_OUTPUT: { [k: string]: Json }[] = [
  { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'weather Paris' } },
  { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'A tool, then.' }], encrypted_content: 'gAAAAABfake' },
  { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.', annotations: [] }] },
  { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
];
const rsStarted: { [k: string]: Json } = { id: 'resp_1', object: 'response', status: 'in_progress', model: 'gpt-5.1-codex', output: [], usage: null };

const WHOLE: Record<Format, Json> = {
  openai: {
    id: 'chatcmpl-1', object: 'chat.completion', created: 1765000000, model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny.', reasoning_content: 'A tool, then.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }], reasoning_details: [{ type: 'reasoning.encrypted', id: 'call_1', data: 'c2ln', format: 'google-gemini-v1', index: 0 }] }, finish_reason: 'tool_calls' }],
    usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 2 } },
  },
  anthropic: {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4',
    content: [{ type: 'thinking', thinking: 'A tool, then.', signature: 'sig-1' }, { type: 'text', text: 'Sunny.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
    stop_reason: 'tool_use', stop_sequence: null,
    usage: { input_tokens: 11, output_tokens: 7, cache_read_input_tokens: 2, cache_creation_input_tokens: 0 },
  },
  gemini: {
    candidates: [{ content: { role: 'model', parts: [{ text: 'A tool, then.', thought: true }, { text: 'Sunny.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18, cachedContentTokenCount: 2 },
    modelVersion: 'gemini-2.5-flash',
  },
  responses: { id: 'resp_1', object: 'response', created_at: 1765000000, status: 'completed', model: 'gpt-5.1-codex', output: RS_OUTPUT, usage: RS_USAGE, error: null, incomplete_details: null },
};

/** Stream events: [SSE event name or '', data]. */
const STREAM: Record<Format, [string, Json][]> = {
  openai: [
    ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { role: 'assistant', content: '', reasoning_content: 'A tool, then.' }, finish_reason: null }] }],
    ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'Sun' }, finish_reason: null }] }],
    ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { reasoning_details: [{ type: 'reasoning.encrypted', id: 'call_1', data: 'c2ln', format: 'google-gemini-v1', index: 0 }], tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, finish_reason: null }] }],
    ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }, finish_reason: null }] }],
    ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }],
    ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } }],
    ['', '[DONE]'],
  ],
  anthropic: [
    ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'A tool, then.' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig-1' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
    ['ping', { type: 'ping' }],
    ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Sunny.' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 1 }],
    ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }],
    ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 2 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } }],
    ['message_stop', { type: 'message_stop' }],
  ],
  gemini: [
    ['', { candidates: [{ content: { role: 'model', parts: [{ text: 'A tool, then.', thought: true }, { text: 'Sun' }] }, index: 0 }], modelVersion: 'gemini-2.5-flash' }],
    ['', { candidates: [{ content: { role: 'model', parts: [{ text: 'ny.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] }, index: 0 }] }],
    ['', { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18 } }],
  ],
  responses: [
    ['response.created', { type: 'response.created', sequence_number: 0, response: rsStarted }],
    ['response.output_item.added', { type: 'response.output_item.added', sequence_number: 0, output_index: 9, item: { ...RS_OUTPUT[0], status: 'in_progress' } }],
    ['response.web_search_call.completed', { type: 'response.web_search_call.completed', sequence_number: 0, output_index: 9, item_id: 'ws_1' }],
    ['response.output_item.done', { type: 'response.output_item.done', sequence_number: 0, output_index: 9, item: RS_OUTPUT[0] }],
    ['response.output_item.added', { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { type: 'reasoning', id: 'rs_1', summary: [] } }],
    ['response.reasoning_summary_text.delta', { type: 'response.reasoning_summary_text.delta', sequence_number: 2, item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'A tool, then.' }],
    ['response.output_item.done', { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item: RS_OUTPUT[1] }],
    ['response.output_item.added', { type: 'response.output_item.added', sequence_number: 4, output_index: 1, item: { type: 'message', id: 'msg_1', status: 'in_progress', role: 'assistant', content: [] } }],
    ['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 5, item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Sunny.' }],
    ['response.output_item.done', { type: 'response.output_item.done', sequence_number: 6, output_index: 1, item: RS_OUTPUT[2] }],
    ['response.output_item.added', { type: 'response.output_item.added', sequence_number: 7, output_index: 2, item: { ...RS_OUTPUT[3], arguments: '', status: 'in_progress' } }],
    ['response.function_call_arguments.delta', { type: 'response.function_call_arguments.delta', sequence_number: 8, item_id: 'fc_1', output_index: 2, delta: '{"city":"Paris"}' }],
    ['response.output_item.done', { type: 'response.output_item.done', sequence_number: 9, output_index: 2, item: RS_OUTPUT[3] }],
    ['response.completed', { type: 'response.completed', sequence_number: 10, response: { ...rsStarted, status: 'completed', output: RS_OUTPUT, usage: RS_USAGE } }],
  ],
};

function frame([event, data]: [string, Json]): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ''}data: ${text}\n\n`;
}

type StreamOp =
  | { op: 'json'; at: number; inner: JsonOp }
  | { op: 'drop'; at: number }
  | { op: 'repeat'; at: number }
  | { op: 'garbage'; at: number; text: string };

const streamOp: fc.Arbitrary<StreamOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('json' as const), at: fc.nat(), inner: jsonOp }) },
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('garbage' as const), at: fc.nat(), text: fc.constantFrom('{', 'null', '[]', '"x"', '{"error":{"message":"boom","type":"overloaded_error"}}', '{"type":"error","error":{"type":"api_error","message":"boom"}}', '') }),
);

/** Sometimes the status or content type is wrong too, or the answer breaks off. */
const envelope = fc.record({
  status: fc.oneof({ weight: 6, arbitrary: fc.constant(200) }, { weight: 1, arbitrary: fc.constantFrom(201, 204, 301, 400, 401, 404, 408, 413, 429, 500, 502, 503, 529) }),
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('text/html', 'text/plain', 'application/json', 'text/event-stream') }),
  cut: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() }),
});

function streamAnswer(format: Format, ops: StreamOp[], env: { status: number; contentType: string; cut?: number }): Answer {
  const events = structuredClone(STREAM[format]);
  for (const o of ops) {
    if (events.length === 0) break;
    const i = o.at % events.length;
    if (o.op === 'json') events[i] = [events[i][0], mutateJson(events[i][1], [o.inner])];
    else if (o.op === 'drop') events.splice(i, 1);
    else if (o.op === 'repeat') events.splice(i, 0, structuredClone(events[i]));
    else events.splice(i, 0, ['', o.text]);
  }
  const frames = events.map(frame);
  return { status: env.status, contentType: env.contentType || 'text/event-stream', frames, cutAt: env.cut === undefined ? undefined : env.cut % (frames.length + 1) };
}

function wholeAnswer(format: Format, ops: JsonOp[], env: { status: number; contentType: string; cut?: number }): Answer {
  return { status: env.status, contentType: env.contentType || 'application/json', body: JSON.stringify(mutateJson(WHOLE[format], ops)), cutAt: env.cut === undefined ? undefined : 1 };
}

type Client = 'chat' | 'messages' | 'responses';
const CLIENT: Record<Client, { path: string; body: (model: string, stream: boolean) => Record<string, unknown> }> = {
  chat: { path: '/v1/chat/completions', body: (model, stream) => ({ model, stream, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [TOOL_OPENAI], stream_options: stream ? { include_usage: true } : undefined }) },
  messages: { path: '/anthropic/v1/messages', body: (model, stream) => ({ model, stream, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [TOOL_ANTHROPIC] }) },
  responses: { path: '/v1/responses', body: (model, stream) => ({ model, stream, input: 'Weather in Paris?', include: ['reasoning.encrypted_content'], tools: [{ type: 'function', ...TOOL_OPENAI.function }] }) },
};
const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const TOOL_OPENAI = { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: SCHEMA } };
const TOOL_ANTHROPIC = { name: 'get_weather', description: 'Weather for a city', input_schema: SCHEMA };

interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The connection broke before the response ended. */
  cut: boolean;
}

/** POST that reports a response cut short instead of failing on it. */
function post(path: string, body: unknown): Promise<Got> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const r = httpRequest(new URL(path, e2e.url), { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const parts: Buffer[] = [];
      let done = false;
      const finish = (cut: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8'), cut });
      };
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => finish(!res.complete));
      res.on('aborted', () => finish(true));
      res.on('error', () => finish(true));
    });
    const timer = setTimeout(() => r.destroy(new Error(`${path} hung for ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    r.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    r.end(payload);
  });
}

function sseFrames(text: string): { event: string; data: string }[] {
  return text.split('\n\n').filter((b) => b.trim()).map((block) => {
    let event = '', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    return { event, data };
  });
}

const UPSTREAM_CODES = /^SY_ERR_(UPSTREAM_ERROR|UPSTREAM_TIMEOUT|UPSTREAM_CLIENT_ERROR|UPSTREAM_AUTH|UPSTREAM_RATE_LIMITED|OVERLOADED|STREAM_INTERRUPTED|BAD_REQUEST)$/;
const CLEAN_END: Record<Client, (f: { event: string; data: string }) => boolean> = {
  chat: (f) => f.data === '[DONE]',
  messages: (f) => f.event === 'message_stop',
  responses: (f) => f.event === 'response.completed' || f.event === 'response.incomplete',
};
const ERROR_END: Record<Client, (f: { event: string; data: string }) => boolean> = {
  chat: (f) => f.data.startsWith('{') && JSON.parse(f.data).error !== undefined,
  messages: (f) => f.event === 'error',
  responses: (f) => f.event === 'error' || f.event === 'response.failed',
};

function assertAnswer(client: Client, got: Got): void {
  assert.ok(got.headers['x-switchyard-decision-id'], 'every answer names its decision');
  assert.notEqual(got.status, 500, `internal error: ${got.text}`);
  if (String(got.headers['content-type']).startsWith('text/event-stream')) {
    assert.equal(got.status, 200);
    const frames = sseFrames(got.text);
    for (const f of frames) if (f.data && f.data !== '[DONE]') JSON.parse(f.data);
    const last = frames[frames.length - 1];
    // A stream ends as its dialect ends, ends with an error event, or breaks off without
    // looking complete.
    if (got.cut) assert.ok(!frames.some(CLEAN_END[client]), `a cut stream must not look complete: ${got.text}`);
    else assert.ok(last && (CLEAN_END[client](last) || ERROR_END[client](last)), `stream ends with ${JSON.stringify(last)}`);
    return;
  }
  assert.ok(!got.cut, `a whole answer broke off: ${got.status} ${got.text}`);
  const json = JSON.parse(got.text);
  if (got.status === 200) return;
  const e = client === 'messages' ? (assert.equal(json.type, 'error', got.text), json.error) : json.error;
  assert.ok(e && typeof e.message === 'string' && e.message.length > 0, `error message: ${got.text}`);
  assert.match(String(e.code), UPSTREAM_CODES, `an upstream's failure, by code: ${got.text}`);
}

describe('fuzzed provider answers', () => {
  for (const stream of [false, true]) {
    test(`${stream ? 'streamed' : 'whole'}: ${RUNS} mutated upstream answers reach the client in its dialect`, { timeout: 180_000 }, async () => {
      const input = fc.record({
        client: fc.constantFrom<Client>('chat', 'messages', 'responses'),
        format: fc.constantFrom<Format>('openai', 'anthropic', 'gemini', 'responses'),
        ops: stream ? fc.array(streamOp, { maxLength: 3 }) : fc.array(jsonOp, { maxLength: 3 }),
        env: envelope,
      });
      const answered: string[] = [];
      await fc.assert(fc.asyncProperty(input, async ({ client, format, ops, env }) => {
        next = stream ? streamAnswer(format, ops as StreamOp[], env) : wholeAnswer(format, ops as JsonOp[], env);
        const got = await post(CLIENT[client].path, CLIENT[client].body(MODEL[format], stream));
        assertAnswer(client, got);
        answered.push(String(got.headers['x-switchyard-decision-id']));
      }), { numRuns: RUNS, seed: SEED });
      assert.deepEqual(logged, [], 'the gateway logged errors');
      // One audit event per request, with token counts and cost that are numbers a bill can use.
      let missing: string[] = [];
      for (let i = 0; i < 40; i++) {
        await e2e.gw.runtime.audit.flush();
        const events = new Map((await e2e.gw.runtime.audit.query({ limit: 100_000 })).events.map((ev) => [ev.decision_id, ev]));
        missing = answered.filter((id) => !events.has(id));
        if (missing.length > 0) {
          await sleep(50);
          continue;
        }
        for (const id of answered) {
          const o = events.get(id)!.outcome;
          for (const k of ['input_tokens', 'output_tokens', 'cached_tokens', 'cache_write_tokens'] as const) {
            const v = o[k];
            assert.ok(v === undefined || (Number.isSafeInteger(v) && v >= 0), `${id}: ${k} = ${v}`);
          }
          assert.ok(o.cost_usd === undefined || (Number.isFinite(o.cost_usd) && o.cost_usd >= 0), `${id}: cost_usd = ${o.cost_usd}`);
        }
        break;
      }
      assert.deepEqual(missing, [], 'answered requests with no audit event');
    });
  }
});

describe('usage a provider gets wrong', () => {
  /** The audit event of an answer, once written (a stream's comes a moment after its last byte). */
  async function outcomeOf(got: Got) {
    const id = String(got.headers['x-switchyard-decision-id']);
    for (let i = 0; i < 40; i++) {
      await e2e.gw.runtime.audit.flush();
      const [ev] = (await e2e.gw.runtime.audit.query({ decision_id: id })).events;
      if (ev) return ev.outcome;
      await sleep(50);
    }
    throw new Error(`no audit event for ${id}`);
  }
  // What the OpenAI answers above generate: reasoning, 'Sunny.' and a call get_weather({"city":"Paris"}).
  const generated = Math.ceil(('A tool, then.'.length + 'Sunny.'.length + 'get_weather'.length + '{"city":"Paris"}'.length) / 4);
  const WRONG: [string, Json | undefined][] = [
    ['missing', undefined],
    ['negative', { prompt_tokens: -1000, completion_tokens: -1000, total_tokens: -2000 }],
    ['not numbers', { prompt_tokens: '11', completion_tokens: null }],
  ];

  for (const [what, usage] of WRONG) {
    test(`${what}, in a whole answer: charged the gateway's estimate, never nothing or a refund`, async () => {
      const body = structuredClone(WHOLE.openai) as Record<string, Json>;
      if (usage === undefined) delete body.usage;
      else body.usage = usage;
      next = { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
      const got = await post(CLIENT.chat.path, CLIENT.chat.body(MODEL.openai, false));
      assert.equal(got.status, 200, got.text);
      const o = await outcomeOf(got);
      assert.ok((o.input_tokens ?? 0) > 0, `input charged: ${o.input_tokens}`);
      assert.equal(o.output_tokens, generated);
      assert.ok((o.cost_usd ?? 0) > 0, `cost: ${o.cost_usd}`);
    });
  }

  test('negative, in a stream: charged the estimate of what was streamed', async () => {
    const events = structuredClone(STREAM.openai);
    events[5] = ['', { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [], usage: { prompt_tokens: -1e12, completion_tokens: -5, total_tokens: -1e12 } }];
    next = { status: 200, contentType: 'text/event-stream', frames: events.map(frame) };
    const got = await post(CLIENT.chat.path, CLIENT.chat.body(MODEL.openai, true));
    assert.equal(got.status, 200);
    assert.ok(got.text.trimEnd().endsWith('data: [DONE]'), got.text);
    const o = await outcomeOf(got);
    assert.ok((o.input_tokens ?? 0) > 0 && (o.output_tokens ?? 0) > 0, JSON.stringify(o));
    assert.ok((o.cost_usd ?? 0) > 0);
  });

  test('absurd: a count beyond any model is charged at the cap, and the books stay numbers', async () => {
    const body = { ...(WHOLE.openai as Record<string, Json>), usage: { prompt_tokens: 1e300, completion_tokens: 7 } };
    next = { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
    const got = await post(CLIENT.chat.path, CLIENT.chat.body(MODEL.openai, false));
    assert.equal(got.status, 200, got.text);
    const o = await outcomeOf(got);
    assert.equal(o.input_tokens, 1e9);
    assert.ok(Number.isFinite(o.cost_usd) && (o.cost_usd ?? 0) > 0, `cost: ${o.cost_usd}`);
  });
});
