/**
 * Property: whatever JSON a client sends to an inference route, the gateway answers in
 * that route's dialect — a 2xx, or a 4xx/5xx error body with a stable SY_ERR_* code —
 * and never with an internal error, a hang, a malformed stream or a logged crash.
 *
 * Bodies are rich valid requests for each route (tools, tool calls and results, images,
 * structured output, thinking) with random mutations applied: values replaced by
 * arbitrary JSON, fields deleted, types flipped, fields added from every dialect's
 * vocabulary. The model picks the provider, so each body is translated to OpenAI (chat
 * completions, and the Responses API for a codex model), Anthropic and Gemini fakes and
 * the mock. The Responses API's WebSocket gets the same bodies as events, one connection
 * for all. A failure prints fast-check's seed and the shrunk body; `FUZZ_RUNS=5000
 * FUZZ_SEED=<n>` runs longer or replays one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import WebSocket from 'ws';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { jsonOp, mutateJson, type Json, type JsonOp } from './mutate.js';
import { raw, sleep, startE2E, type E2EGateway, type RawResponse, HOOK } from './helpers.js';

const ADMIN_TOKEN = 'fuzz-admin-token-1234';
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
    server: { allow_unauthenticated: true, admin_token: 'env.ADMIN' },
    // A provider is never cooled down: an injected failure (x-mock-fail) must not turn later cases into no_route.
    dispatch: { retries_per_target: 0, max_attempts: 1, cooldown: { consecutive_failures: 1_000_000 } },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o', 'gpt-5.1-codex', 'text-embedding-3-small'], keys: [{ name: 'k', value: 'sk-up-oa' }], options: { reasoning: 'effort', send_reasoning: true, api: { '*codex*': 'responses' }, drop_params: { '*codex*': ['temperature', 'top_p', 'stop'] } } },
      an: { type: 'anthropic', base_url: an.url, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-up-an' }], options: { reasoning: 'budget' } },
      gm: { type: 'gemini', base_url: gm.url, models: ['gemini-2.5-flash', 'text-embedding-004'], keys: [{ name: 'k', value: 'sk-up-gm' }], options: { reasoning: 'level' } },
      mk: { type: 'mock', models: ['mock-model', 'mock-embed'] },
    },
  }, { logger: pino({ level: 'error' }, sink), env: { ADMIN: ADMIN_TOKEN } });
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
    {
      role: 'assistant', content: null, reasoning_content: 'A tool, then.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      reasoning_details: [{ type: 'reasoning.encrypted', id: 'call_1', data: 'c2ln', format: 'google-gemini-v1', index: 0 }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
  ],
  tools: [
    { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: schema } },
    { type: 'custom', custom: { name: 'apply_patch', format: { type: 'grammar', grammar: { syntax: 'lark', definition: 'start: "x"' } } } },
  ],
  tool_choice: 'auto',
  reasoning_effort: 'medium',
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
  tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: schema }, { type: 'bash_20250124', name: 'bash' }],
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
    { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'A tool, then.' }] },
    { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
    { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
    { type: 'custom_tool_call_output', call_id: 'call_2', output: 'Done' },
    { type: 'shell_call', call_id: 'call_3', action: { commands: ['ls'], timeout_ms: null, max_output_length: 4096 }, status: 'completed' },
    { type: 'shell_call_output', call_id: 'call_3', output: [{ stdout: 'a.txt\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }], max_output_length: 4096 },
    { type: 'tool_search_call', call_id: 'call_4', execution: 'client', arguments: { paths: ['crm'] }, status: 'completed' },
    { type: 'tool_search_output', call_id: 'call_4', execution: 'client', tools: [{ type: 'namespace', name: 'crm', description: 'CRM', tools: [{ type: 'function', name: 'lookup', parameters: schema, defer_loading: true }] }] },
    { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'gAAAAABfake' },
    { role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.' }] },
    { role: 'user', content: 'Thanks. Tomorrow?' },
  ],
  include: ['reasoning.encrypted_content'],
  tools: [
    { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: schema },
    { type: 'custom', name: 'apply_patch', description: 'Edit files', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
    { type: 'web_search', external_web_access: true },
    { type: 'shell', environment: { type: 'local' } },
    { type: 'tool_search', execution: 'client' },
  ],
  text: { format: { type: 'json_schema', name: 'weather', schema } },
  max_output_tokens: 64,
  reasoning: { effort: 'low', summary: 'auto' },
};

const EMBEDDINGS = { model: 'text-embedding-3-small', input: ['one', 'two'], encoding_format: 'float', dimensions: 8 };

const COUNT_TOKENS = { model: 'claude-sonnet-4', system: 'You are terse.', messages: MESSAGES.messages, tools: MESSAGES.tools };

/** Headers the gateway reads, forwards or must ignore, with any value HTTP allows. */
const HEADERS = [
  'x-tier', 'x-request-id', 'authorization', 'x-api-key', 'x-switchyard-key', 'anthropic-version', 'anthropic-beta',
  'x-mock-fail', 'x-mock-fail-after-chunks', 'x-mock-retry-after', 'accept', 'accept-encoding', 'x-forwarded-for', 'cookie',
];
const headerValue = fc.oneof(
  fc.constantFrom('', '0', '429', '500', '503', '-1', '1e9', 'Bearer ', 'Bearer sk-unknown', 'gzip, br', 'premium', '../..', '%00', 'x'.repeat(2000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 30 }).map((v) => v.trim()),
);

type Kind = 'chat' | 'messages' | 'responses' | 'embeddings' | 'count_tokens';
interface Route { kind: Kind; path: string; dialect: 'openai' | 'anthropic'; seed: Record<string, unknown>; models: string[] }

const CHAT_MODELS = ['gpt-4o', 'gpt-5.1-codex', 'claude-sonnet-4', 'gemini-2.5-flash', 'mock-model', 'oa/gpt-4o', 'nope-model'];
const ROUTES: Route[] = [
  { kind: 'chat', path: '/v1/chat/completions', dialect: 'openai', seed: CHAT, models: CHAT_MODELS },
  { kind: 'messages', path: '/anthropic/v1/messages', dialect: 'anthropic', seed: MESSAGES, models: CHAT_MODELS },
  { kind: 'responses', path: '/v1/responses', dialect: 'openai', seed: RESPONSES, models: CHAT_MODELS },
  { kind: 'responses', path: '/v1/responses/compact', dialect: 'openai', seed: RESPONSES, models: CHAT_MODELS },
  { kind: 'embeddings', path: '/v1/embeddings', dialect: 'openai', seed: EMBEDDINGS, models: ['text-embedding-3-small', 'text-embedding-004', 'mock-embed', 'gpt-4o'] },
  { kind: 'count_tokens', path: '/anthropic/v1/messages/count_tokens', dialect: 'anthropic', seed: COUNT_TOKENS, models: CHAT_MODELS },
];

/** A mutated copy of the route's body, for `model` (and `stream`, when given). */
function mutate(seed: Record<string, unknown>, model: string, stream: boolean | undefined, ops: JsonOp[]): Record<string, unknown> {
  const body: Record<string, unknown> = { ...seed, model };
  if (stream !== undefined) body.stream = stream;
  const out = mutateJson(body as Json, ops);
  // The root stays an object: a body of another type is the intake's concern (bad-input corpus).
  return out !== null && typeof out === 'object' && !Array.isArray(out) ? out : body;
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
function assertAnswer(route: Route, res: RawResponse, injected: boolean): void {
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
  // The fakes answer what they are sent: a 5xx is only for a failure the request asked the mock for.
  if (res.status >= 500) {
    assert.ok(injected, `${res.status}: ${res.text}`);
    assert.match(String(e.code), /^SY_ERR_(UPSTREAM_[A-Z_]+|OVERLOADED)$/, res.text);
  }
}

/** Codes for a body refused before it reaches the router: no decision, so no audit event. */
const REFUSED_AT_INTAKE = new Set(['SY_ERR_BAD_REQUEST', 'SY_ERR_FORBIDDEN_KEY']);

describe('fuzzed request bodies', () => {
  for (const route of ROUTES) {
    test(`${route.path}: ${RUNS} mutated bodies answer in the dialect`, { timeout: 120_000 }, async () => {
      const streams = route.kind === 'chat' || route.kind === 'messages' || route.kind === 'responses';
      const input = fc.record({
        model: fc.constantFrom(...route.models),
        stream: streams ? fc.option(fc.boolean(), { nil: undefined }) : fc.constant(undefined),
        ops: fc.array(jsonOp, { minLength: 1, maxLength: 3 }),
        headers: fc.dictionary(fc.constantFrom(...HEADERS), headerValue, { maxKeys: 3 }),
      });
      const answered: { id: string; code: string | null }[] = [];
      await fc.assert(fc.asyncProperty(input, async ({ model, stream, ops, headers }) => {
        const body = mutate(route.seed, model, stream, ops);
        const res = await raw(e2e.url, route.path, { method: 'POST', body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } });
        assertAnswer(route, res, Object.keys(headers).some((h) => h.startsWith('x-mock-')));
        answered.push({ id: String(res.headers['x-switchyard-decision-id']), code: res.status === 200 ? null : String(res.json.error.code) });
      }), { numRuns: RUNS, seed: SEED });
      assert.deepEqual(logged, [], 'the gateway logged errors');
      // Nothing lost: one audit event for every request that reached the router. Only a
      // body refused before routing (malformed, or with a forbidden key) may have none.
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
          if (n === 0 && !REFUSED_AT_INTAKE.has(a.code ?? '')) missing.push(`${a.id} (${a.code ?? 200})`);
        }
        if (missing.length === 0) break;
        await sleep(50);
      }
      assert.deepEqual(missing, [], 'answered requests with no audit event');
    });
  }
});

describe('fuzzed WebSocket events', () => {
  test(`/v1/responses over a WebSocket: ${RUNS} mutated response.create events on one connection, each answered`, { timeout: 120_000 }, async () => {
    const ws = new WebSocket(`${e2e.url.replace(/^http/, 'ws')}/v1/responses`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const inbox: any[] = [];
    let closed = false;
    ws.on('message', (d) => inbox.push(JSON.parse(String(d))));
    ws.on('close', () => { closed = true; });
    /** Messages up to the request's last: a finished response or an error. */
    const answer = async (): Promise<any[]> => {
      const out: any[] = [];
      for (let waited = 0; waited < 8000; waited += 5) {
        while (inbox.length > 0) {
          const m = inbox.shift();
          assert.equal(typeof m.type, 'string', JSON.stringify(m));
          out.push(m);
          if (['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(m.type)) return out;
        }
        assert.ok(!closed, `the connection closed after ${JSON.stringify(out.map((m) => m.type))}`);
        await sleep(5);
      }
      assert.fail(`no answer within 8 s: ${JSON.stringify(out.map((m) => m.type))}`);
    };
    const input = fc.record({ model: fc.constantFrom(...CHAT_MODELS), warm: fc.boolean(), ops: fc.array(jsonOp, { minLength: 1, maxLength: 3 }) });
    const answered: { id: string; code: string | null }[] = [];
    await fc.assert(fc.asyncProperty(input, async ({ model, warm, ops }) => {
      const body = mutate(RESPONSES, model, undefined, ops);
      ws.send(JSON.stringify(warm ? { type: 'response.create', ...body, generate: false } : { type: 'response.create', ...body }));
      const events = await answer();
      const last = events[events.length - 1];
      if (last.type === 'error') {
        assert.ok(last.status >= 400 && last.status < 500, `status ${last.status}: ${JSON.stringify(last)}`);
        assert.match(String(last.error.code), /^SY_ERR_[A-Z_]+$/, JSON.stringify(last));
        assert.ok(typeof last.error.message === 'string' && last.error.message.length > 0);
        // A warm-up is never routed, so it has no audit event.
        if (!warm) answered.push({ id: last.headers['x-switchyard-decision-id'], code: last.error.code });
      } else if (!warm) {
        answered.push({ id: last.response.id.replace(/^resp_/, 'dec_'), code: null });
      }
    }), { numRuns: RUNS, seed: SEED });
    ws.close();
    assert.deepEqual(logged, [], 'the gateway logged errors');
    let missing: string[] = [];
    for (let i = 0; i < 40; i++) {
      await e2e.gw.runtime.audit.flush();
      const ids = new Set((await e2e.gw.runtime.audit.query({ limit: 100_000 })).events.map((ev) => ev.decision_id));
      missing = answered.filter((a) => !ids.has(a.id) && !REFUSED_AT_INTAKE.has(a.code ?? '')).map((a) => `${a.id} (${a.code ?? 200})`);
      if (missing.length === 0) break;
      await sleep(50);
    }
    assert.deepEqual(missing, [], 'answered requests with no audit event');
  });
});

const EXPLAIN = {
  // No principal: this gateway has none, and explain refuses a caller the config lacks.
  request: { model: 'gpt-4o', endpoint: 'chat', stream: false, headers: { 'x-tier': 'premium' }, tier: 'gold', params: { max_tokens: 64, input_tokens_estimate: 12 } },
  state: { budget_used: 50, tokens_used: 10, requests_used: 1, now: '2026-12-06T12:00:00Z', draw: 0.5, cooldown: ['oa'] },
};
const AUDIT_PARAMS = ['from', 'to', 'since', 'until', 'rule', 'rule_id', 'via', 'provider', 'model', 'customer', 'team', 'virtual_key', 'status', 'fallback_reason', 'decision_id', 'request_id', 'limit', 'cursor', 'summary', 'bogus'];
const text = fc.oneof(
  fc.constantFrom('', '24h', '-1', '0', '1e9', '5xx', '200', 'timeout', 'spend', 'rules', '2026-12-06', 'null', '%', '../', 'x'.repeat(500)),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Admin and listing routes: a 2xx, or an OpenAI-shaped error below 500, for anything sent. */
function assertOpsAnswer(res: RawResponse): void {
  assert.notEqual(res.status, 500, res.text);
  assert.ok(res.json && typeof res.json === 'object', `not a JSON body (${res.status}): ${res.text.slice(0, 200)}`);
  if (res.status < 300) return;
  assert.ok(res.status < 500, `${res.status}: ${res.text}`);
  assert.match(String(res.json.error?.code), /^SY_ERR_[A-Z_]+$/, res.text);
}

describe('fuzzed admin and listing requests', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  test(`POST /admin/explain: ${RUNS} mutated bodies`, { timeout: 120_000 }, async () => {
    const unmutated = await raw(e2e.url, '/admin/explain', { method: 'POST', body: EXPLAIN, headers: admin });
    assert.equal(unmutated.status, 200, `the seed body is a good one: ${unmutated.text}`);
    await fc.assert(fc.asyncProperty(fc.array(jsonOp, { minLength: 1, maxLength: 3 }), async (ops) => {
      const res = await raw(e2e.url, '/admin/explain', { method: 'POST', body: JSON.stringify(mutateJson(EXPLAIN as Json, ops)), headers: { ...admin, 'content-type': 'application/json' } });
      assertOpsAnswer(res);
    }), { numRuns: RUNS, seed: SEED });
  });

  test(`GET /admin/audit: ${RUNS} random queries`, { timeout: 120_000 }, async () => {
    const query = fc.array(fc.tuple(fc.constantFrom(...AUDIT_PARAMS), text), { maxLength: 4 });
    await fc.assert(fc.asyncProperty(query, async (pairs) => {
      const qs = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
      assertOpsAnswer(await raw(e2e.url, `/admin/audit?${qs}`, { headers: admin }));
    }), { numRuns: RUNS, seed: SEED });
  });

  test(`/v1/conversations: ${RUNS} mutated items, pages and ids`, { timeout: 120_000 }, async () => {
    const created = await raw(e2e.url, '/v1/conversations', { method: 'POST', body: { items: RESPONSES.input.slice(0, 4) } });
    assert.equal(created.status, 200, `the seed items are good ones: ${created.text}`);
    const conv = created.json.id as string;
    const call = fc.oneof(
      fc.array(jsonOp, { minLength: 1, maxLength: 3 }).map((ops) => ({ method: 'POST', path: '/v1/conversations', body: mutateJson({ items: RESPONSES.input.slice(0, 4), metadata: { topic: 'weather' } } as unknown as Json, ops) })),
      fc.array(jsonOp, { minLength: 1, maxLength: 3 }).map((ops) => ({ method: 'POST', path: `/v1/conversations/${conv}/items`, body: mutateJson({ items: RESPONSES.input.slice(4) } as unknown as Json, ops) })),
      fc.tuple(fc.constantFrom('limit', 'order', 'after', 'x'), text).map(([k, v]) => ({ method: 'GET', path: `/v1/conversations/${conv}/items?${k}=${encodeURIComponent(v)}`, body: undefined })),
      fc.tuple(fc.constantFrom('GET', 'DELETE'), text).map(([method, id]) => ({ method, path: `/v1/conversations/${conv}/items/${encodeURIComponent(id)}`, body: undefined })),
      fc.tuple(fc.constantFrom('GET', 'POST', 'DELETE'), text).map(([method, id]) => ({ method, path: `/v1/conversations/${encodeURIComponent(id)}`, body: method === 'POST' ? { metadata: { a: id } } : undefined })),
    );
    await fc.assert(fc.asyncProperty(call, async ({ method, path, body }) => {
      const res = await raw(e2e.url, path, body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      assertOpsAnswer(res);
    }), { numRuns: RUNS, seed: SEED });
    assert.deepEqual(logged, [], 'the gateway logged errors');
  });

  test(`GET the model routes: ${RUNS} random ids and pages`, { timeout: 120_000 }, async () => {
    const path = fc.oneof(
      text.map((id) => `/v1/models/${encodeURIComponent(id)}`),
      text.map((id) => `/anthropic/v1/models/${encodeURIComponent(id)}`),
      fc.tuple(fc.constantFrom('limit', 'after_id', 'before_id', 'x'), text).map(([k, v]) => `/anthropic/v1/models?${k}=${encodeURIComponent(v)}`),
    );
    await fc.assert(fc.asyncProperty(path, async (p) => {
      const res = await raw(e2e.url, p);
      if (p.startsWith('/anthropic') && res.status >= 400) {
        assert.equal(res.json?.type, 'error', res.text);
        assert.ok(res.status < 500, res.text);
      } else assertOpsAnswer(res);
    }), { numRuns: RUNS, seed: SEED });
    assert.deepEqual(logged, [], 'the gateway logged errors');
  });
});
