/**
 * The Responses API over a WebSocket (OpenAI's WebSocket mode, as Codex CLI uses it by
 * default): the official `openai` SDK's `ResponsesWS` and a bare `ws` client against fake
 * OpenAI, Anthropic and Gemini upstreams. Each `response.create` is one routed, audited
 * request streamed as messages; a connection continues from its latest answer with only
 * new input even with `store: false`; `generate: false` warms up without generating;
 * errors are `error` messages with the HTTP status; the handshake refuses bad keys and
 * paths over HTTP; a client that leaves mid-answer aborts the upstream request; closing
 * the gateway lets a request in progress finish.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import net from 'node:net';
import WebSocket from 'ws';
import { startWireFake, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { hashKey } from '../../src/governance/index.js';
import { postJson, raw, sleep, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let wsUrl: string;

const KEY = 'sk-sy-ws-key';
const ADMIN = 'sy-ws-admin-token';
const weather = {
  type: 'function', name: 'get_weather', description: 'Current weather for a city', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
} as const;

before(async () => {
  [oa, an, gm] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E(gatewayConfig());
  wsUrl = `${e2e.url.replace(/^http/, 'ws')}/v1/responses`;
}, HOOK);

/** The suite's config; `key` adds to its virtual key's entry (a reload may disable it). */
function gatewayConfig(key: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { admin_token: ADMIN },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 1, models: ['gpt-4o'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash'], keys: [{ name: 'gm-main', value: 'sk-up-gm' }] },
    },
    governance: { virtual_keys: [{ id: 'vk-ws', key_hash: hashKey(KEY), ...key }] },
  };
}

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

/** A bare client: every message parsed, in order, waited for with a timeout. */
interface Socket {
  ws: WebSocket;
  send(event: unknown): void;
  /** Messages until (and with) the next `response.completed`, `response.incomplete`, `response.failed` or `error`. */
  answer(): Promise<any[]>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(headers: Record<string, string> = { authorization: `Bearer ${KEY}` }, path = '/v1/responses'): Promise<Socket> {
  const ws = new WebSocket(`${e2e.url.replace(/^http/, 'ws')}${path}`, { headers });
  const inbox: any[] = [];
  let wake: (() => void) | null = null;
  ws.on('message', (data) => {
    inbox.push(JSON.parse(String(data)));
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => {
    resolve({ code, reason: String(reason) });
    wake?.();
  }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { res })));
  });
  const answer = async (): Promise<any[]> => {
    const out: any[] = [];
    const deadline = Date.now() + 8_000;
    for (;;) {
      while (inbox.length > 0) {
        const m = inbox.shift();
        out.push(m);
        if (['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(m.type)) return out;
      }
      if (ws.readyState !== WebSocket.OPEN) throw new Error(`connection closed after ${JSON.stringify(out.map((m) => m.type))}`);
      if (Date.now() > deadline) throw new Error(`no answer within 8 s: ${JSON.stringify(out.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
      wake = null;
    }
  };
  return { ws, send: (event) => ws.send(typeof event === 'string' ? event : JSON.stringify(event)), answer, closed };
}

/** What the handshake was answered with over HTTP, when it was refused. */
async function refused(headers: Record<string, string>, path = '/v1/responses'): Promise<{ status: number; body: any; headers: import('node:http').IncomingHttpHeaders }> {
  try {
    await connect(headers, path);
  } catch (e) {
    const res = (e as { res?: import('node:http').IncomingMessage }).res;
    assert.ok(res, String(e));
    let text = '';
    for await (const chunk of res) text += chunk;
    return { status: res.statusCode!, body: JSON.parse(text), headers: res.headers };
  }
  assert.fail('the handshake was accepted');
}

/** The roles and item kinds the upstream got, in order, in its own format. */
function upstreamTurns(fake: WireFake): string[] {
  const body = fake.last().body;
  if (fake.format === 'openai') return body.messages.map((m: any) => (m.role === 'assistant' && m.tool_calls ? 'assistant:tool_call' : m.role));
  if (fake.format === 'anthropic') return body.messages.map((m: any) => `${m.role}:${(Array.isArray(m.content) ? m.content : [{ type: 'text' }]).map((c: any) => c.type).join('+')}`);
  return body.contents.map((c: any) => `${c.role}:${c.parts.map((p: any) => Object.keys(p).filter((k) => k !== 'thoughtSignature')[0]).join('+')}`);
}

describe('Responses API over a WebSocket', SUITE, () => {
  test('the official SDK (ResponsesWS): text from each provider, events in order, each answer routed and audited', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const rws = new ResponsesWS(client);
    const errors: unknown[] = [];
    rws.on('error', (e) => errors.push(e));
    try {
      for (const [model, fake] of [['oa/gpt-4o', oa], ['an/claude-sonnet-4', an], ['gm/gemini-2.5-flash', gm]] as const) {
        fake.reset();
        const types: string[] = [];
        const onEvent = (e: { type: string }): void => { types.push(e.type); };
        rws.on('event', onEvent);
        const completed = new Promise<OpenAI.Responses.Response>((resolve) => rws.once('response.completed', (e) => resolve(e.response)));
        rws.send({ type: 'response.create', model, instructions: 'You are terse.', input: 'Say hello', store: false });
        const response = await completed;
        rws.off('event', onEvent);
        assert.equal(response.status, 'completed');
        const message = response.output.find((o) => o.type === 'message');
        assert.ok(message?.type === 'message' && message.content[0].type === 'output_text');
        assert.equal(message.content[0].text, `hello from ${fake.name}`);
        assert.equal(types[0], 'response.created');
        assert.equal(types.at(-1), 'response.completed');
        assert.ok(types.includes('response.output_text.delta'), types.join(' '));
        assert.equal(fake.received.length, 1, 'one upstream request');
        // Streamed upstream, as a Responses stream is.
        assert.equal(fake.last().body.stream ?? fake.last().path.includes('stream'), true);
        await e2e.gw.runtime.audit.flush();
        const { events } = await e2e.gw.runtime.audit.query({ decision_id: response.id.replace(/^resp_/, 'dec_') });
        assert.equal(events.length, 1, 'one audit event per response.create');
        assert.equal(events[0].request.endpoint, 'responses');
        assert.equal(events[0].request.stream, true);
        assert.equal(events[0].principal.virtual_key, 'vk-ws');
        assert.equal(events[0].outcome.served_provider, fake.name);
        assert.equal(events[0].outcome.output_tokens, 7);
      }
      assert.deepEqual(errors, []);
    } finally {
      rws.close();
    }
  });

  test('store: false, then only the new items with previous_response_id: the upstream gets the whole conversation', async () => {
    for (const fake of [oa, an, gm]) {
      const model = { oa: 'oa/gpt-4o', an: 'an/claude-sonnet-4', gm: 'gm/gemini-2.5-flash' }[fake.name]!;
      const s = await connect();
      fake.reset();
      s.send({ type: 'response.create', model, store: false, tools: [weather], input: [{ role: 'user', content: 'Weather in Paris?' }] });
      const first = (await s.answer()).at(-1);
      assert.equal(first.type, 'response.completed', JSON.stringify(first));
      assert.equal(first.response.store, false);
      const call = first.response.output.find((o: any) => o.type === 'function_call');
      assert.ok(call, JSON.stringify(first.response.output));
      assert.deepEqual(JSON.parse(call.arguments), TOOL_ARGS);
      // The next turn as Codex sends it: the tool's output only.
      s.send({ type: 'response.create', model, store: false, tools: [weather], previous_response_id: first.response.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp_c": 21}' }] });
      const second = (await s.answer()).at(-1);
      assert.equal(second.type, 'response.completed', JSON.stringify(second));
      assert.deepEqual([second.response.previous_response_id, second.response.store], [first.response.id, false]);
      assert.match(second.response.output.at(-1).content[0].text, /21/, 'the fake quotes the tool result it got');
      const turns = upstreamTurns(fake);
      const expected = {
        oa: ['user', 'assistant:tool_call', 'tool'],
        an: ['user:text', 'assistant:tool_use', 'user:tool_result'],
        gm: ['user:text', 'model:functionCall', 'user:functionResponse'],
      }[fake.name];
      assert.deepEqual(turns, expected, fake.name);
      // Only the latest answer is kept by the connection: the first is gone, and store: false kept nothing elsewhere.
      s.send({ type: 'response.create', model, store: false, previous_response_id: first.response.id, input: 'again' });
      const gone = (await s.answer()).at(-1);
      assert.equal(gone.type, 'error');
      assert.equal(gone.status, 400);
      assert.equal(gone.error.param, 'previous_response_id');
      assert.equal(gone.error.code, 'previous_response_not_found', 'the code by which OpenAI tells a WebSocket client to resend the whole conversation');
      assert.match(gone.error.message, /this connection its latest/);
      s.ws.close();
      // Another connection does not see this one's answers.
      const other = await connect();
      other.send({ type: 'response.create', model, store: false, previous_response_id: second.response.id, input: 'again' });
      const unknown = (await other.answer()).at(-1);
      assert.equal(unknown.type, 'error');
      assert.equal(unknown.status, 400);
      other.ws.close();
    }
  });

  test('store: false, a compaction turn on the latest answer, then the next turn on it: the trigger is not kept', async () => {
    const s = await connect();
    s.send({ type: 'response.create', model: 'oa/gpt-4o', store: false, input: 'Fix the failing test' });
    const first = (await s.answer()).at(-1);
    s.send({ type: 'response.create', model: 'oa/gpt-4o', store: false, previous_response_id: first.response.id, input: [{ type: 'compaction_trigger' }] });
    const compacted = (await s.answer()).at(-1);
    assert.deepEqual(compacted.response.output.map((i: any) => i.type), ['compaction']);
    oa.reset();
    s.send({ type: 'response.create', model: 'oa/gpt-4o', store: false, previous_response_id: compacted.response.id, input: 'Go on' });
    const next = (await s.answer()).at(-1);
    assert.equal(next.type, 'response.completed', JSON.stringify(next));
    assert.deepEqual(oa.last().body.messages.map((m: any) => m.role), ['user', 'assistant', 'user', 'user']);
    s.ws.close();
  });

  test('generate: false warms up at once, generating nothing; the next request builds on it', async () => {
    const s = await connect();
    oa.reset();
    // Codex warms up with its developer messages alone.
    s.send({ type: 'response.create', model: 'oa/gpt-4o', generate: false, store: false, instructions: 'You are terse.', tools: [weather], input: [{ role: 'developer', content: 'Work in /repo.' }, { role: 'user', content: 'Context first.' }] });
    const warm = await s.answer();
    assert.deepEqual(warm.map((m) => m.type), ['response.created', 'response.in_progress', 'response.completed']);
    const done = warm.at(-1).response;
    assert.deepEqual([done.status, done.output, done.usage.total_tokens, done.instructions], ['completed', [], 0, 'You are terse.']);
    assert.equal(oa.received.length, 0, 'nothing went upstream');
    s.send({ type: 'response.create', model: 'oa/gpt-4o', store: false, instructions: 'You are terse.', previous_response_id: done.id, input: [{ role: 'user', content: 'Now answer.' }] });
    const answer = (await s.answer()).at(-1);
    assert.equal(answer.type, 'response.completed');
    assert.deepEqual(oa.last().body.messages.map((m: any) => [m.role, m.content]), [['system', 'You are terse.\n\nWork in /repo.'], ['user', 'Context first.'], ['user', 'Now answer.']]);
    s.send({ type: 'response.create', model: 'oa/gpt-4o', generate: false, store: false, instructions: 'Only instructions.', input: [{ role: 'developer', content: 'No user turn yet.' }] });
    const developerOnly = await s.answer();
    assert.equal(developerOnly.at(-1).type, 'response.completed', JSON.stringify(developerOnly.at(-1)));
    s.send({ type: 'response.create', model: 'oa/gpt-4o', generate: false, tools: [] });
    assert.equal((await s.answer()).at(-1).type, 'response.completed', 'no input at all');
    s.send({ type: 'response.create', model: 'oa/gpt-4o', generate: false, input: 7 });
    const bad = (await s.answer()).at(-1);
    assert.deepEqual([bad.type, bad.status, bad.error.param], ['error', 400, 'input']);
    s.ws.close();
  });

  test('generate: false naming a conversation: checked with its items, its input added, and the next turn sees it', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const conv = await client.conversations.create({ items: [{ role: 'user', content: 'In the conversation' }] });
    const s = await connect();
    s.send({ type: 'response.create', model: 'oa/gpt-4o', generate: false, conversation: conv.id, input: [{ role: 'developer', content: 'Be brief.' }] });
    const warm = (await s.answer()).at(-1);
    assert.equal(warm.type, 'response.completed', JSON.stringify(warm));
    assert.deepEqual(warm.response.conversation, { id: conv.id });
    oa.reset();
    s.send({ type: 'response.create', model: 'oa/gpt-4o', conversation: conv.id, input: 'Go on' });
    assert.equal((await s.answer()).at(-1).type, 'response.completed');
    assert.deepEqual(oa.last().body.messages.map((m: any) => m.content), ['Be brief.', 'In the conversation', 'Go on']);
    s.ws.close();
  });

  test('with store (the default) an answer is also kept for HTTP requests and other connections', async () => {
    const s = await connect();
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'Hi, I am Ann' });
    const first = (await s.answer()).at(-1);
    assert.equal(first.response.store, true);
    s.ws.close();
    oa.reset();
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: KEY, maxRetries: 0 });
    await client.responses.create({ model: 'oa/gpt-4o', previous_response_id: first.response.id, input: 'Who am I?' });
    assert.deepEqual(oa.last().body.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
  });

  test('an answer kept with store after one that was not (store: false) holds the conversation before it: another connection and HTTP build on it', async () => {
    const s = await connect();
    s.send({ type: 'response.create', model: 'oa/gpt-4o', store: false, input: 'Hi, I am Ann' });
    const first = (await s.answer()).at(-1);
    s.send({ type: 'response.create', model: 'oa/gpt-4o', previous_response_id: first.response.id, input: 'I live in Paris' });
    const second = (await s.answer()).at(-1);
    assert.deepEqual([second.type, second.response.store], ['response.completed', true]);
    // A warm-up kept with store after a store: false answer, the same.
    s.send({ type: 'response.create', model: 'oa/gpt-4o', store: false, previous_response_id: second.response.id, input: 'Noted?' });
    const third = (await s.answer()).at(-1);
    s.send({ type: 'response.create', model: 'oa/gpt-4o', generate: false, previous_response_id: third.response.id, input: [{ role: 'developer', content: 'Be brief.' }] });
    const warm = (await s.answer()).at(-1);
    assert.deepEqual([warm.type, warm.response.store], ['response.completed', true]);
    s.ws.close();
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: KEY, maxRetries: 0 });
    oa.reset();
    await client.responses.create({ model: 'oa/gpt-4o', previous_response_id: second.response.id, input: 'Who am I?' });
    assert.deepEqual(oa.last().body.messages.map((m: any) => m.content), ['Hi, I am Ann', 'hello from oa', 'I live in Paris', 'hello from oa', 'Who am I?']);
    await client.responses.create({ model: 'oa/gpt-4o', previous_response_id: warm.response.id, input: 'Go on' });
    assert.deepEqual(oa.last().body.messages.map((m: any) => m.content), ['Be brief.', 'Hi, I am Ann', 'hello from oa', 'I live in Paris', 'hello from oa', 'Noted?', 'hello from oa', 'Go on']);
  });

  test('bad events are error messages with a status, and the connection goes on serving', async () => {
    const s = await connect();
    const cases: [unknown, number, string][] = [
      ['{"type": "response.create", "model": ', 400, 'SY_ERR_INVALID_JSON'],
      [{ type: 'response.cancel' }, 400, 'SY_ERR_BAD_REQUEST'],
      [{ model: 'oa/gpt-4o', input: 'no type' }, 400, 'SY_ERR_BAD_REQUEST'],
      [{ type: 'response.create', input: 'no model' }, 400, 'SY_ERR_BAD_REQUEST'],
      [{ type: 'response.create', model: 'nobody/serves-this', input: 'hi' }, 404, 'SY_ERR_UNKNOWN_MODEL'],
      [{ type: 'response.create', model: 'oa/gpt-4o', input: 'hi', background: true }, 400, 'SY_ERR_BAD_REQUEST'],
      ['{"type": "response.create", "__proto__": {"x": 1}}', 400, 'SY_ERR_FORBIDDEN_KEY'],
    ];
    for (const [event, status, code] of cases) {
      s.send(event);
      const [error] = await s.answer();
      assert.equal(error.type, 'error', JSON.stringify(event));
      assert.deepEqual([error.status, error.error.code], [status, code], `${JSON.stringify(event)}: ${JSON.stringify(error)}`);
      assert.equal(typeof error.error.message, 'string');
    }
    s.ws.send(Buffer.from('{}'), { binary: true });
    const [binary] = await s.answer();
    assert.deepEqual([binary.type, binary.status], ['error', 400]);
    // Codex acknowledges each answer: taken silently.
    s.send({ type: 'response.processed', response_id: 'resp_x' });
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'still there?' });
    const ok = await s.answer();
    assert.equal(ok[0].type, 'response.created', 'nothing answered the acknowledgement');
    assert.equal(ok.at(-1).type, 'response.completed');
    s.ws.close();
  });

  test('an upstream failure is an error message with the status and code an HTTP client gets', async () => {
    const failure = { error: { status: 429, message: 'slow down', retryAfter: '7' } };
    oa.enqueue(failure);
    const http = await postJson(e2e.url, '/v1/responses', { model: 'oa/gpt-4o', input: 'hi' }, { authorization: `Bearer ${KEY}` });
    assert.ok(http.status >= 400, http.text);
    const s = await connect();
    oa.enqueue(failure);
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'hi' });
    const [error] = await s.answer();
    assert.equal(error.type, 'error');
    assert.deepEqual([error.status, error.error.code, error.error.type], [http.status, http.json.error.code, http.json.error.type]);
    // The headers an HTTP client gets come in the message, as OpenAI sends them.
    assert.equal(error.headers['retry-after'], http.headers['retry-after']);
    assert.match(error.headers['x-switchyard-decision-id'], /^dec_/);
    await e2e.gw.runtime.audit.flush();
    const { events } = await e2e.gw.runtime.audit.query({ decision_id: error.headers['x-switchyard-decision-id'] });
    assert.equal(events[0]?.outcome.status, http.status, 'the failure is audited under the id it names');
    s.ws.close();
  });

  test('requests sent back to back are answered one after the other, never interleaved', async () => {
    const s = await connect();
    oa.reset();
    oa.enqueue({ text: 'first answer', chunks: 4, chunkDelayMs: 20 }, { text: 'second answer', chunks: 4 });
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'one' });
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'two' });
    const one = await s.answer();
    const two = await s.answer();
    assert.equal(one.at(-1).response.output[0].content[0].text, 'first answer');
    assert.equal(two.at(-1).response.output[0].content[0].text, 'second answer');
    for (const [i, events] of [one, two].entries()) {
      const ids = new Set(events.map((e) => e.response?.id ?? null).filter((x) => x !== null));
      assert.equal(ids.size, 1, `answer ${i + 1} holds one response's events`);
    }
    s.ws.close();
  });

  test('the handshake: a missing or unknown key, another path, a draining gateway are refused over HTTP', async () => {
    const missing = await refused({ 'x-request-id': 'ws-handshake-1' });
    assert.deepEqual([missing.status, missing.body.error.code], [401, 'SY_ERR_UNAUTHORIZED']);
    // Ids to quote, as every HTTP answer has.
    assert.equal(missing.headers['x-request-id'], 'ws-handshake-1');
    assert.match(String(missing.headers['x-switchyard-decision-id']), /^dec_/);
    const unknown = await refused({ authorization: 'Bearer sk-nobody' });
    assert.deepEqual([unknown.status, unknown.body.error.code], [401, 'SY_ERR_UNAUTHORIZED']);
    const path = await refused({ authorization: `Bearer ${KEY}` }, '/v1/chat/completions');
    assert.deepEqual([path.status, path.body.error.code], [404, 'SY_ERR_NOT_FOUND']);
    // Closing: past the drain delay, the gateway no longer takes new work.
    e2e.gw.runtime.closing = true;
    try {
      const draining = await refused({ authorization: `Bearer ${KEY}` });
      assert.deepEqual([draining.status, draining.body.error.code], [503, 'SY_ERR_UNAVAILABLE']);
    } finally {
      e2e.gw.runtime.closing = false;
    }
    // The same route under /openai/v1 is served.
    const s = await connect({ authorization: `Bearer ${KEY}` }, '/openai/v1/responses?x=1');
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'hi' });
    assert.equal((await s.answer()).at(-1).type, 'response.completed');
    assert.match(await e2e.gw.runtime.metrics.registry.metrics(), /^switchyard_websocket_connections [1-9]/m);
    s.ws.close();
    await s.closed;
  });

  test('a handshake ws would refuse (bad version or key, not a GET) is refused in the dialect, not with an HTML page', async () => {
    const handshake = async (lines: string[]): Promise<{ head: string; body: any }> => {
      const socket = net.connect(Number(new URL(e2e.url).port), '127.0.0.1');
      let got = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => { got += d; });
      socket.write(`${[...lines, 'Host: gw', 'Connection: Upgrade', 'Upgrade: websocket', `Authorization: Bearer ${KEY}`].join('\r\n')}\r\n\r\n`);
      await new Promise((resolve) => socket.once('close', resolve));
      const [head, body] = got.split('\r\n\r\n');
      return { head, body: JSON.parse(body) };
    };
    const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
    const version = await handshake(['GET /v1/responses HTTP/1.1', key, 'Sec-WebSocket-Version: 99']);
    assert.match(version.head, /^HTTP\/1\.1 400 /);
    assert.match(version.head, /\r\ncontent-type: application\/json/i);
    assert.match(version.head, /\r\nsec-websocket-version: 13, 8/i);
    assert.deepEqual([version.body.error.code, version.body.error.param], ['SY_ERR_BAD_REQUEST', 'sec-websocket-version']);
    const badKey = await handshake(['GET /v1/responses HTTP/1.1', 'Sec-WebSocket-Key: short', 'Sec-WebSocket-Version: 13']);
    assert.deepEqual([badKey.body.error.code, badKey.body.error.param], ['SY_ERR_BAD_REQUEST', 'sec-websocket-key']);
    const post = await handshake(['POST /v1/responses HTTP/1.1', key, 'Sec-WebSocket-Version: 13', 'Content-Length: 0']);
    assert.match(post.head, /^HTTP\/1\.1 405 /);
    assert.equal(post.body.error.code, 'SY_ERR_BAD_REQUEST');
  });

  test('a request asking to upgrade to anything else (h2c, as curl --http2 and Java send) is served as HTTP/1.1, and so is the next on its connection', async () => {
    const socket = net.connect(Number(new URL(e2e.url).port), '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { got += d; });
    const body = JSON.stringify({ model: 'oa/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nX-Note: caf\xe9\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1');
    for (let i = 0; i < 200 && !got.includes('hello from oa'); i++) await sleep(10);
    assert.match(got, /^HTTP\/1\.1 200 /);
    assert.match(got, /hello from oa/);
    assert.doesNotMatch(got, /101 Switching/);
    assert.equal(oa.last().headers['x-note'], undefined, 'only allowlisted headers go upstream');
    got = '';
    socket.write('GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n');
    for (let i = 0; i < 200 && !got.includes('"ok"'); i++) await sleep(10);
    assert.match(got, /^HTTP\/1\.1 200 [\s\S]*"status":"ok"/);
    socket.destroy();
  });

  test('a client that leaves mid-answer aborts the upstream request; the audit event says client_aborted', async () => {
    const s = await connect();
    oa.reset();
    oa.enqueue({ text: 'a long answer', chunks: 50, chunkDelayMs: 50 });
    s.send({ type: 'response.create', model: 'oa/gpt-4o', input: 'talk' });
    let created: any;
    for (;;) {
      const m = await new Promise<any>((resolve) => s.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
      if (m.type === 'response.created') created = m;
      if (m.type === 'response.output_text.delta') break;
    }
    s.ws.terminate();
    const rec = oa.last();
    const closedAt = await Promise.race([oa.closedEarly(rec), sleep(3_000).then(() => Infinity)]);
    assert.ok(closedAt !== Infinity, 'the upstream request was aborted');
    let event;
    for (let i = 0; i < 50 && event === undefined; i++) {
      await sleep(20);
      await e2e.gw.runtime.audit.flush();
      event = (await e2e.gw.runtime.audit.query({ decision_id: created.response.id.replace(/^resp_/, 'dec_') })).events[0];
    }
    assert.ok(event, 'audited');
    assert.equal(event.outcome.client_aborted, true);
  });
});

describe('Responses WebSocket without kept answers', SUITE, () => {
  test('with server.response_items off, answers say store: false, and a connection still builds on its latest; idle, it closes', async () => {
    const fake = await startWireFake({ format: 'openai', name: 'nokeep' });
    const gw = await startE2E({ server: { allow_unauthenticated: true, response_items: { enabled: false }, websocket_idle_ms: 1000 }, providers: { nokeep: { type: 'openai', base_url: `${fake.url}/v1`, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up' }] } } });
    try {
      const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/v1/responses`);
      await new Promise((r) => ws.once('open', r));
      const next = (): Promise<any> => new Promise((resolve) => {
        const on = (d: WebSocket.RawData): void => {
          const m = JSON.parse(String(d));
          if (m.type === 'response.completed' || m.type === 'error') {
            ws.off('message', on);
            resolve(m);
          }
        };
        ws.on('message', on);
      });
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-4o', input: 'Hi, I am Ann' }));
      const first = await next();
      assert.equal(first.response.store, false, 'nothing is kept, whatever the request asked');
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-4o', previous_response_id: first.response.id, input: 'Who am I?' }));
      const second = await next();
      assert.equal(second.type, 'response.completed', JSON.stringify(second));
      assert.deepEqual(fake.last().body.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
      // Idle for server.websocket_idle_ms: closed, counted from the last answer.
      const answeredAt = performance.now();
      const [code, reason] = await new Promise<[number, string]>((r) => ws.once('close', (c, why) => r([c, String(why)])));
      assert.equal(code, 1001);
      assert.match(reason, /no request for 1 s/);
      assert.ok(performance.now() - answeredAt >= 900, 'not before its time');
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

describe('Responses WebSocket and shutdown', SUITE, () => {
  test('closing the gateway lets the answer in progress finish, then closes the connection (1001)', async () => {
    const fake = await startWireFake({ format: 'openai', name: 'slow' });
    const gw = await startE2E({ server: { allow_unauthenticated: true, shutdown_grace_ms: 5000 }, providers: { slow: { type: 'openai', base_url: `${fake.url}/v1`, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up' }] } } });
    try {
      const url = `${gw.url.replace(/^http/, 'ws')}/v1/responses`;
      const ws = new WebSocket(url);
      const idle = new WebSocket(url);
      await Promise.all([ws, idle].map((w) => new Promise((r) => w.once('open', r))));
      const idleClosed = new Promise<number>((r) => idle.once('close', (code) => r(code)));
      const messages: any[] = [];
      ws.on('message', (d) => messages.push(JSON.parse(String(d))));
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      fake.enqueue({ text: 'finishing', chunks: 5, chunkDelayMs: 60 });
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-4o', input: 'hi' }));
      while (!messages.some((m) => m.type === 'response.output_text.delta')) await sleep(10);
      const closing = gw.close();
      assert.equal(await idleClosed, 1001, 'an idle connection closes at once');
      assert.equal(await closed, 1001);
      assert.equal(messages.at(-1).type, 'response.completed', 'the answer in progress finished first');
      await closing;
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

describe('a key disabled while its connection is open', SUITE, () => {
  test('is refused on the connection\'s next request, a warm-up as much as a generation', async () => {
    const s = await connect();
    const warm = { type: 'response.create', model: 'oa/gpt-4o', generate: false, input: [{ role: 'developer', content: 'Be brief.' }] };
    s.send(warm);
    assert.equal((await s.answer()).at(-1).type, 'response.completed');
    const reload = async () => assert.equal((await raw(e2e.url, '/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status, 200);
    e2e.writeConfig(gatewayConfig({ enabled: false }));
    await reload();
    try {
      for (const event of [warm, { type: 'response.create', model: 'oa/gpt-4o', input: 'hi' }]) {
        s.send(event);
        const last = (await s.answer()).at(-1);
        assert.equal(last.type, 'error', JSON.stringify(last));
        assert.equal(last.status, 401);
        assert.equal(last.error.code, 'SY_ERR_UNAUTHORIZED');
      }
    } finally {
      s.ws.close();
      e2e.writeConfig(gatewayConfig());
      await reload();
    }
  });
});
