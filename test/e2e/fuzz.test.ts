/**
 * Property: whatever JSON a client sends to an inference route, the gateway answers in
 * that route's dialect — a 2xx, or a 4xx/5xx error body with a stable SY_ERR_* code —
 * and never with an internal error, a hang, a malformed stream or a logged crash.
 *
 * Bodies are rich valid requests for each route (tools, tool calls and results, images,
 * structured output, thinking) with random mutations applied: values replaced by
 * arbitrary JSON, fields deleted, types flipped, fields added from every dialect's
 * vocabulary. The model picks the provider, so each body is translated to OpenAI,
 * Anthropic and Gemini fakes and the mock. A failure prints fast-check's seed and the
 * shrunk body; `FUZZ_RUNS=5000 FUZZ_SEED=<n>` runs longer or replays one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { raw, sleep, startE2E, type E2EGateway, type RawResponse, HOOK } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? 20261206 : Number(process.env.FUZZ_SEED);

let fakes: WireFake[] = [];
let e2e: E2EGateway;
/** Everything the gateway logged at error level or above. */
const logged: string[] = [];

before(async () => {
  fakes = await Promise.all([
    startWireFake({ format: 'openai', name: 'oa' }),
    startWireFake({ format: 'anthropic', name: 'an' }),
    startWireFake({ format: 'gemini', name: 'gm' }),
  ]);
  const [oa, an, gm] = fakes;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString('utf8'));
      done();
    },
  });
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o', 'text-embedding-3-small'], keys: [{ name: 'k', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: an.url, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-up-an' }] },
      gm: { type: 'gemini', base_url: gm.url, models: ['gemini-2.5-flash', 'text-embedding-004'], keys: [{ name: 'k', value: 'sk-up-gm' }] },
      mk: { type: 'mock', models: ['mock-model', 'mock-embed'] },
    },
  }, { logger: pino({ level: 'error' }, sink) });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all(fakes.map((f) => f.close()));
}, HOOK);

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const schema = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] };

const CHAT = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: [{ type: 'text', text: 'What is in this picture, and the weather?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: schema } }],
  tool_choice: 'auto',
  stop: ['\n\n'],
  max_tokens: 64,
  temperature: 0.2,
  top_p: 0.9,
  stream_options: { include_usage: true },
};

const MESSAGES = {
  model: 'claude-sonnet-4',
  max_tokens: 64,
  system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Weather, please.' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] }] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: schema }],
  tool_choice: { type: 'auto' },
  stop_sequences: ['END'],
  temperature: 0.3,
  metadata: { user_id: 'u-1' },
};

const RESPONSES = {
  model: 'gpt-4o',
  instructions: 'You are terse.',
  input: [
    { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}` }] },
    { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
  ],
  tools: [{ type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: schema }],
  text: { format: { type: 'json_schema', name: 'weather', schema } },
  max_output_tokens: 64,
};

const EMBEDDINGS = { model: 'text-embedding-3-small', input: ['one', 'two'], encoding_format: 'float', dimensions: 8 };

const COUNT_TOKENS = { model: 'claude-sonnet-4', system: 'You are terse.', messages: MESSAGES.messages, tools: MESSAGES.tools };

type Kind = 'chat' | 'messages' | 'responses' | 'embeddings' | 'count_tokens';
interface Route { kind: Kind; path: string; dialect: 'openai' | 'anthropic'; seed: Record<string, unknown>; models: string[] }

const CHAT_MODELS = ['gpt-4o', 'claude-sonnet-4', 'gemini-2.5-flash', 'mock-model', 'oa/gpt-4o', 'nope-model'];
const ROUTES: Route[] = [
  { kind: 'chat', path: '/v1/chat/completions', dialect: 'openai', seed: CHAT, models: CHAT_MODELS },
  { kind: 'messages', path: '/anthropic/v1/messages', dialect: 'anthropic', seed: MESSAGES, models: CHAT_MODELS },
  { kind: 'responses', path: '/v1/responses', dialect: 'openai', seed: RESPONSES, models: CHAT_MODELS },
  { kind: 'embeddings', path: '/v1/embeddings', dialect: 'openai', seed: EMBEDDINGS, models: ['text-embedding-3-small', 'text-embedding-004', 'mock-embed', 'gpt-4o'] },
  { kind: 'count_tokens', path: '/anthropic/v1/messages/count_tokens', dialect: 'anthropic', seed: COUNT_TOKENS, models: CHAT_MODELS },
];

/** Field names from every dialect: a mutation that adds one reaches code a random name would not. */
const KEYS = [
  'model', 'messages', 'role', 'content', 'type', 'text', 'name', 'tools', 'tool_choice', 'tool_calls', 'tool_call_id', 'function',
  'arguments', 'parameters', 'input_schema', 'input', 'id', 'tool_use_id', 'image_url', 'url', 'source', 'data', 'media_type',
  'stream', 'stream_options', 'include_usage', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'temperature', 'top_p',
  'top_k', 'stop', 'stop_sequences', 'n', 'seed', 'user', 'metadata', 'response_format', 'json_schema', 'schema', 'strict', 'format',
  'thinking', 'budget_tokens', 'reasoning_effort', 'reasoning', 'system', 'instructions', 'cache_control', 'logprobs', 'top_logprobs',
  'parallel_tool_calls', 'disable_parallel_tool_use', 'service_tier', 'store', 'previous_response_id', 'include', 'call_id', 'output',
  'encoding_format', 'dimensions', 'detail', 'file', 'file_data', 'filename', 'document', 'is_error', 'constructor', 'toString', 'hasOwnProperty',
];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('', -1, 0, 1.5, 1e21, 2 ** 53 + 2, -0, true, null, [], {}, 'x'.repeat(3000), '\u0000', 'data:image/png;base64,!!', 'https://example.test/a.png') },
);

type Op =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'flip'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), value }),
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Every path into `v` below the root, parents before children. */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((c, i) => { out.push([...at, i]); paths(c, [...at, i], out); });
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) { out.push([...at, k]); paths(v[k], [...at, k], out); }
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json; key: string | number } {
  let cur = root;
  for (const k of path.slice(0, -1)) cur = (cur as Record<string | number, Json>)[k];
  return { parent: cur, key: path[path.length - 1] };
}

function flipped(v: Json): Json {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 1 : 'false';
  if (v === null) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v);
}

function mutate(seed: Record<string, unknown>, model: string, stream: boolean | undefined, ops: Op[]): Record<string, unknown> {
  const body = structuredClone(seed) as { [k: string]: Json };
  body.model = model;
  if (stream !== undefined) body.stream = stream;
  for (const o of ops) {
    // Generated values are fast-check's own (shrinking reuses them): the body takes copies.
    const v = 'value' in o ? structuredClone(o.value) as Json : null;
    const all = paths(body);
    if (o.op === 'add') {
      // Into the root or any object / array below it.
      const holders: Path[] = [[], ...all.filter((p) => { const { parent, key } = parentOf(body, p); const x = (parent as Record<string | number, Json>)[key]; return x !== null && typeof x === 'object'; })];
      const at = holders[o.at % holders.length];
      let target: Json = body;
      for (const k of at) target = (target as Record<string | number, Json>)[k];
      if (Array.isArray(target)) target.push(v);
      else (target as Record<string, Json>)[o.key] = v;
      continue;
    }
    if (all.length === 0) continue;
    const { parent, key } = parentOf(body, all[o.at % all.length]);
    const p = parent as Record<string | number, Json>;
    if (o.op === 'set') p[key] = v;
    else if (o.op === 'flip') p[key] = flipped(p[key]);
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete p[key];
  }
  return body;
}

interface Frame { event: string; data: string }

function frames(text: string): Frame[] {
  const out: Frame[] = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event = '', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    out.push({ event, data });
  }
  return out;
}

/** What a stream's last frame must be, by route. */
function assertStreamEnds(route: Route, res: RawResponse): void {
  const fs = frames(res.text);
  assert.ok(fs.length > 0, 'a stream with no frames');
  for (const f of fs) if (f.data && f.data !== '[DONE]') JSON.parse(f.data);
  const last = fs[fs.length - 1];
  if (route.kind === 'chat') assert.ok(last.data === '[DONE]' || JSON.parse(last.data).error, `chat stream ends with ${last.data}`);
  else if (route.kind === 'messages') assert.ok(['message_stop', 'error'].includes(last.event), `messages stream ends with ${last.event}`);
  else assert.ok(['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(last.event), `responses stream ends with ${last.event}`);
}

/** The error body in the route's dialect, with a stable code; never an internal error. */
function assertAnswer(route: Route, res: RawResponse): void {
  assert.ok(res.headers['x-switchyard-decision-id'], 'every answer names its decision');
  assert.notEqual(res.status, 500, `internal error: ${res.text}`);
  if (String(res.headers['content-type']).startsWith('text/event-stream')) {
    assert.equal(res.status, 200);
    assertStreamEnds(route, res);
    return;
  }
  assert.ok(res.json && typeof res.json === 'object', `not a JSON body (${res.status}): ${res.text.slice(0, 200)}`);
  if (res.status < 400) {
    assert.equal(res.status, 200);
    return;
  }
  const e = route.dialect === 'anthropic' ? (assert.equal(res.json.type, 'error', res.text), res.json.error) : res.json.error;
  assert.ok(e && typeof e.message === 'string' && e.message.length > 0, `error message: ${res.text}`);
  assert.match(String(e.code), /^SY_ERR_[A-Z_]+$/, `stable code: ${res.text}`);
  // A 5xx here can only be the gateway's judgement of an upstream: the fakes answer what they are sent.
  assert.ok(res.status < 500, `${res.status}: ${res.text}`);
}

describe('fuzzed request bodies', () => {
  for (const route of ROUTES) {
    test(`${route.path}: ${RUNS} mutated bodies answer in the dialect`, { timeout: 120_000 }, async () => {
      const streams = route.kind === 'chat' || route.kind === 'messages' || route.kind === 'responses';
      const input = fc.record({
        model: fc.constantFrom(...route.models),
        stream: streams ? fc.option(fc.boolean(), { nil: undefined }) : fc.constant(undefined),
        ops: fc.array(op, { minLength: 1, maxLength: 3 }),
      });
      const answered: { id: string; code: string | null }[] = [];
      await fc.assert(fc.asyncProperty(input, async ({ model, stream, ops }) => {
        const body = mutate(route.seed, model, stream, ops);
        const res = await raw(e2e.url, route.path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        assertAnswer(route, res);
        answered.push({ id: String(res.headers['x-switchyard-decision-id']), code: res.status === 200 ? null : String(res.json.error.code) });
      }), { numRuns: RUNS, seed: SEED });
      assert.deepEqual(logged, [], 'the gateway logged errors');
      // Nothing lost: one audit event for every request that reached the router. Only a
      // body the dialect refuses before routing (SY_ERR_BAD_REQUEST) may have none.
      // (A stream's event is written once it has settled, a moment after its last byte.)
      let missing: string[] = [];
      for (let i = 0; i < 40; i++) {
        await e2e.gw.runtime.audit.flush();
        const events = (await e2e.gw.runtime.audit.query({ limit: 100_000 })).events;
        const count = new Map<string, number>();
        for (const ev of events) count.set(ev.decision_id, (count.get(ev.decision_id) ?? 0) + 1);
        missing = [];
        for (const a of answered) {
          const n = count.get(a.id) ?? 0;
          assert.ok(n <= 1, `${a.id}: ${n} events`);
          if (n === 0 && a.code !== 'SY_ERR_BAD_REQUEST') missing.push(`${a.id} (${a.code ?? 200})`);
        }
        if (missing.length === 0) break;
        await sleep(50);
      }
      assert.deepEqual(missing, [], 'answered requests with no audit event');
    });
  }
});
