/** The mock upstream: deterministic replies, failure injection, and the HTTP server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getAdapter } from '../../src/providers/index.js';
import { handleMockRequest, type MockReply } from '../../src/providers/mock/index.js';
import { startMockServer, type MockServer } from '../../src/providers/mock/server.js';
import type { HttpRequestSpec } from '../../src/providers/types.js';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { UNTERMINATED } from '../../src/wire/sse.js';
import { decodeAll, digest, richRequest, settings, target } from './fixtures.js';

const adapter = getAdapter('mock');
const t = target(settings('mock'), 'mock-model', '');
const NOW = () => 1_718_000_000_000;

function chatSpec(prompt: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): HttpRequestSpec {
  return { origin: 'mock://local', path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: prompt }], ...extra }) };
}

async function collect(reply: MockReply): Promise<string[]> {
  const out: string[] = [];
  for await (const c of reply.stream ?? []) out.push(c);
  return out;
}

describe('mock responder', () => {
  it('answers deterministically from the last user message, with token counts', () => {
    const a = handleMockRequest(chatSpec('Tell me about the weather in Paris and other great cities'), { now: NOW });
    const b = handleMockRequest(chatSpec('Tell me about the weather in Paris and other great cities'), { now: NOW });
    assert.equal(a.status, 200);
    assert.equal(a.body, b.body);
    const res = adapter.parseChatResponse(JSON.parse(a.body ?? ''), t);
    assert.equal(res.text, 'Mock reply to: Tell me about the weather in Paris and o'); // first 40 characters
    assert.equal(res.usage.inputTokens, Math.ceil('Tell me about the weather in Paris and other great cities'.length / 4));
    assert.equal(res.usage.outputTokens, Math.ceil(res.text.length / 4));
    assert.equal(res.finishReason, 'stop');
  });

  it('serves what the mock adapter builds, and pads the reply to output_tokens', () => {
    const spec = adapter.buildChatRequest(richRequest({ responseFormat: undefined, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: undefined }), t);
    assert.equal(spec.origin, 'mock://local');
    const reply = handleMockRequest(spec, { options: { output_tokens: 100 } });
    const res = adapter.parseChatResponse(JSON.parse(reply.body ?? ''), t);
    assert.equal(res.usage.outputTokens, 100);
    assert.equal(res.text.length, 400);
    assert.ok(res.text.startsWith('Mock reply to: hi'));
  });

  it('answers JSON when asked: fitting a json_schema, or any object for json_object', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp_c: { type: 'integer' }, sky: { enum: ['clear', 'cloudy'] }, tags: { type: 'array', items: { type: 'string' } } } };
    const ask = (response_format: unknown) => adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('weather', { response_format })).body ?? ''), t).text;
    assert.deepEqual(JSON.parse(ask({ type: 'json_schema', json_schema: { name: 'w', schema } })), { city: 'Mock reply to: weather', temp_c: 42, sky: 'clear', tags: ['Mock reply to: weather'] });
    assert.deepEqual(JSON.parse(ask({ type: 'json_object' })), { reply: 'Mock reply to: weather' });
    assert.equal(ask({ type: 'text' }), 'Mock reply to: weather');
  });

  it('answers JSON that fits the schemas pydantic and zod write: references, unions with null, const, formats, bounds, a recursive tree', () => {
    // ajv-formats is CommonJS (see src/config/schema.ts).
    const ajv = addFormatsModule.default(new Ajv({ strict: false }));
    // What the OpenAI SDK's zodResponseFormat writes (draft-07, `definitions`, zod's own patterns for its formats).
    const zod = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid', pattern: '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$' },
        email: { type: 'string', format: 'email' },
        born: { type: 'string', format: 'date-time' },
        tag: { type: 'string', const: 'person' },
        age: { anyOf: [{ type: 'integer', minimum: 0, maximum: 9 }, { type: 'null' }] },
        tree: { $ref: '#/definitions/__schema0' },
      },
      required: ['id', 'email', 'born', 'tag', 'age', 'tree'],
      additionalProperties: false,
      definitions: {
        __schema0: {
          type: 'object',
          properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/__schema0' } } },
          required: ['name', 'children'],
          additionalProperties: false,
        },
      },
    };
    // What pydantic writes: $defs, a described field beside its $ref, Optional as anyOf with null, a list with a least length.
    const pydantic = {
      $defs: { Address: { properties: { city: { title: 'City', type: 'string' } }, required: ['city'], title: 'Address', type: 'object' } },
      properties: {
        home: { $ref: '#/$defs/Address', description: 'Where they live' },
        work: { anyOf: [{ $ref: '#/$defs/Address' }, { type: 'null' }], default: null },
        scores: { items: { type: 'number', exclusiveMinimum: 100 }, minItems: 2, type: 'array' },
      },
      required: ['home', 'scores'],
      title: 'Person',
      type: 'object',
    };
    for (const schema of [zod, pydantic]) {
      const answer = JSON.parse(adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('who', { response_format: { type: 'json_schema', json_schema: { name: 'p', schema } } })).body ?? ''), t).text);
      assert.ok(ajv.validate(schema, answer), `${JSON.stringify(answer)}: ${ajv.errorsText()}`);
      const tools = [{ type: 'function', function: { name: 'save', parameters: schema } }];
      const call = adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('save who', { tools })).body ?? ''), t).toolCalls[0];
      assert.ok(ajv.validate(schema, JSON.parse(call.arguments)), `${call.arguments}: ${ajv.errorsText()}`);
    }
  });

  it('answers a schema built to ask for gigabytes of JSON with a bounded one, at once', () => {
    // Every level six times the last (6^16 values), and a hundred million items.
    const properties = Object.fromEntries(Array.from({ length: 6 }, (_v, i) => [`p${i}`, { $ref: '#' }]));
    const wide = { type: 'object', properties, required: Object.keys(properties) };
    const long = { type: 'object', properties: { list: { type: 'array', minItems: 100_000_000, items: { type: 'string' } } }, required: ['list'] };
    for (const schema of [wide, long]) {
      const started = performance.now();
      const reply = handleMockRequest(chatSpec('big', { response_format: { type: 'json_schema', json_schema: { name: 'big', schema } } }), { now: NOW });
      assert.equal(reply.status, 200);
      assert.ok((reply.body ?? '').length < 1_000_000, `${(reply.body ?? '').length} bytes`);
      assert.ok(performance.now() - started < 2000, `${Math.round(performance.now() - started)} ms`);
    }
  });

  it('calls a tool the prompt names, or the one tool_choice requires; never after a tool result', () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'search', parameters: { type: 'object' } } }];
    const named = adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('please search for cats', { tools })).body ?? ''), t);
    assert.equal(named.finishReason, 'tool_calls');
    assert.equal(named.toolCalls[0].name, 'search');
    assert.deepEqual(JSON.parse(named.toolCalls[0].arguments), { input: 'please search for cats' });
    const required = adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('hello', { tools, tool_choice: 'required' })).body ?? ''), t);
    assert.equal(required.toolCalls[0].name, 'get_weather');
    const plain = adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('hello', { tools })).body ?? ''), t);
    assert.equal(plain.toolCalls.length, 0);
    const afterResult = handleMockRequest({ ...chatSpec('x'), body: JSON.stringify({ model: 'm', tools, tool_choice: 'required', messages: [{ role: 'user', content: 'search' }, { role: 'tool', tool_call_id: 'c', content: 'r' }] }) });
    assert.equal(adapter.parseChatResponse(JSON.parse(afterResult.body ?? ''), t).text, 'Mock reply to: tool result');
  });

  it("fills a called tool's arguments from its parameter schema", () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { enum: ['c', 'f'] } }, required: ['city'] };
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters } }];
    const res = adapter.parseChatResponse(JSON.parse(handleMockRequest(chatSpec('Weather in Paris', { tools, tool_choice: 'required' })).body ?? ''), t);
    assert.deepEqual(JSON.parse(res.toolCalls[0].arguments), { city: 'Weather in Paris', days: 42, unit: 'c' });
  });

  it('streams OpenAI chunks in the configured number of pieces, usage when asked', async () => {
    const reply = handleMockRequest(chatSpec('stream me', { stream: true, stream_options: { include_usage: true } }), { options: { chunks: 5 } });
    assert.equal(reply.headers['content-type'], 'text/event-stream');
    const frames = await collect(reply);
    assert.equal(frames.length, 1 + 5 + 1 + 1 + 1);
    assert.equal(frames[frames.length - 1], 'data: [DONE]\n\n');
    const d = digest(decodeAll(adapter.createStreamDecoder(t), frames));
    assert.equal(d.text, 'Mock reply to: stream me');
    assert.equal(d.last, 'end');
    assert.equal(d.usage?.inputTokens, 3);
  });

  it('streams a tool call in two argument pieces', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const frames = await collect(handleMockRequest(chatSpec('lookup x', { stream: true, tools })));
    const d = digest(decodeAll(adapter.createStreamDecoder(t), frames));
    assert.equal(d.finish, 'tool_calls');
    assert.deepEqual(d.toolCalls.map((c) => [c.name, c.args]), [['lookup', { input: 'lookup x' }]]);
  });

  it('x-mock-fail answers that status in OpenAI error format', () => {
    const rate = handleMockRequest(chatSpec('x', {}, { 'x-mock-fail': '429', 'x-mock-retry-after': '3' }));
    assert.equal(rate.status, 429);
    const info = adapter.classifyError(rate.status, rate.headers, rate.body ?? '');
    assert.deepEqual([info.kind, info.retryAfterMs, info.providerCode], ['rate_limited', 3000, 'rate_limit_exceeded']);
    for (const [status, kind] of [[500, 'server_error'], [529, 'overloaded'], [401, 'auth_error'], [400, 'client_error']] as const) {
      const r = handleMockRequest(chatSpec('x', {}, { 'X-Mock-Fail': String(status) }));
      assert.equal(r.status, status);
      assert.equal(adapter.classifyError(r.status, r.headers, r.body ?? '').kind, kind);
    }
  });

  it('x-mock-fail-after-chunks cuts the stream without a terminator', async () => {
    const frames = await collect(handleMockRequest(chatSpec('cut me off please', { stream: true }, { 'x-mock-fail-after-chunks': '2' }), { options: { chunks: 6 } }));
    assert.equal(frames.length, 3);
    const events = decodeAll(adapter.createStreamDecoder(t), frames);
    assert.deepEqual(events[events.length - 1], { type: 'error', message: UNTERMINATED });
  });

  it('fail_rate draws from the injected RNG', () => {
    const draws = [0.05, 0.5, 0.09, 0.95];
    let i = 0;
    const rng = () => draws[i++];
    const options = { fail_rate: 0.1, fail_status: 503 };
    assert.deepEqual(draws.map(() => handleMockRequest(chatSpec('x'), { options, rng }).status), [503, 200, 503, 200]);
  });

  it('reports latency_ms and paces chunks with chunk_delay_ms through the injected sleep', async () => {
    const waits: number[] = [];
    const reply = handleMockRequest(chatSpec('x', { stream: true }), { options: { latency_ms: 120, chunk_delay_ms: 7, chunks: 2 }, sleep: async (ms) => { waits.push(ms); } });
    assert.equal(reply.delayMs, 120);
    const frames = await collect(reply);
    assert.deepEqual(waits, new Array(frames.length - 1).fill(7));
  });

  it('embeddings are deterministic unit vectors of the requested size', () => {
    const spec = (input: unknown, dims?: number): HttpRequestSpec => ({ origin: 'mock://local', path: '/v1/embeddings', method: 'POST', headers: {}, body: JSON.stringify({ model: 'e', input, dimensions: dims }) });
    const a = adapter.parseEmbeddingsResponse?.(JSON.parse(handleMockRequest(spec(['alpha', 'beta'])).body ?? ''), t);
    const b = adapter.parseEmbeddingsResponse?.(JSON.parse(handleMockRequest(spec(['alpha'])).body ?? ''), t);
    assert.ok(a && b);
    assert.equal(a.data.length, 2);
    assert.equal(a.data[0].length, 8);
    assert.deepEqual(a.data[0], b.data[0]);
    assert.notDeepEqual(a.data[0], a.data[1]);
    assert.ok(Math.abs(Math.hypot(...a.data[0]) - 1) < 1e-9);
    assert.equal(JSON.parse(handleMockRequest(spec('x', 3), { options: { dimensions: 16 } }).body ?? '').data[0].embedding.length, 3);
    assert.equal(JSON.parse(handleMockRequest(spec('x'), { options: { dimensions: 16 } }).body ?? '').data[0].embedding.length, 16);
  });

  it('refuses an embedding size no model produces, as a provider does (not an allocation of that size)', () => {
    for (const dims of [2 ** 53 + 2, 100_000, 0, 2.5, '8']) {
      const reply = handleMockRequest({ origin: 'mock://local', path: '/v1/embeddings', method: 'POST', headers: {}, body: JSON.stringify({ model: 'e', input: 'x', dimensions: dims }) });
      assert.equal(reply.status, 400, String(dims));
      assert.equal(JSON.parse(reply.body ?? '').error.param, 'dimensions');
    }
  });

  it('answers bad requests and unknown routes like an OpenAI server', () => {
    assert.equal(handleMockRequest({ ...chatSpec('x'), body: '{' }).status, 400);
    assert.equal(handleMockRequest({ ...chatSpec('x'), body: '{"model":"m","messages":[]}' }).status, 400);
    assert.equal(handleMockRequest({ ...chatSpec('x'), path: '/v1/completions' }).status, 404);
    const models = handleMockRequest({ origin: 'mock://local', path: '/v1/models', method: 'GET', headers: {} }, { options: { models: ['a', 'b'] } });
    assert.deepEqual(JSON.parse(models.body ?? '').data.map((m: { id: string }) => m.id), ['a', 'b']);
  });
});

describe('mock server over HTTP', () => {
  let server: MockServer;
  before(async () => { server = await startMockServer({ options: { chunks: 3 } }); });
  after(async () => { await server.close(); });

  it('listens on 127.0.0.1 and serves chat completions', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.baseUrl, `${server.url}/v1`);
    const res = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'over http' }] }) });
    assert.equal(res.status, 200);
    assert.equal((await res.json() as { choices: { message: { content: string } }[] }).choices[0].message.content, 'Mock reply to: over http');
  });

  it('streams, and an openai-compatible adapter pointed at it decodes the stream', async () => {
    const compat = getAdapter('openai-compatible');
    const ct = target(settings('openai-compatible', { baseUrl: server.baseUrl, options: { auth: 'none' } }), 'm', '');
    const spec = compat.buildChatRequest(richRequest({ stream: true, tools: undefined, responseFormat: undefined, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }] }), ct);
    const res = await fetch(spec.origin + spec.path, { method: spec.method, headers: spec.headers, body: spec.body });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const decoder = compat.createStreamDecoder(ct);
    const events = [];
    const text = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) events.push(...decoder.push(text.decode(chunk, { stream: true })));
    events.push(...decoder.end());
    const d = digest(events);
    assert.equal(d.text, 'Mock reply to: hello');
    assert.equal(d.last, 'end');
    assert.ok(d.usage);
  });

  it('injects failures from request headers', async () => {
    const res = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', headers: { 'x-mock-fail': '429' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    await res.text();
  });

  it("gives each answer OpenAI's random x-request-id when asked to, and none by default", async () => {
    const ask = async (url: string) => {
      const res = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
      await res.text();
      return res.headers.get('x-request-id');
    };
    assert.equal(await ask(server.baseUrl), null);
    const withIds = await startMockServer({ requestIds: true });
    try {
      const [a, b] = [await ask(withIds.baseUrl), await ask(withIds.baseUrl)];
      assert.match(a ?? '', /^req_[0-9a-f]{32}$/);
      assert.notEqual(a, b);
    } finally {
      await withIds.close();
    }
  });
});
