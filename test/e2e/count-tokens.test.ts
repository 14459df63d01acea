/**
 * Anthropic's token counting, which Claude Code calls to size its context: the Anthropic
 * SDK's `messages.countTokens` (and the beta form Claude Code uses, `?beta=true`) through
 * the gateway. A request routed to an Anthropic provider is counted there, with only the
 * fields count_tokens accepts, one routed to Gemini by its countTokens, and one routed to
 * OpenAI by its input token counting (`POST /v1/responses/input_tokens`); one routed
 * elsewhere gets the gateway's estimate, marked as such. Counting is free (no rate limit or budget charged), keeps the model allowlist, is
 * routable by `endpoint == "count_tokens"`, and leaves one audit event with no tokens.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/governance/index.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { assertAnthropicError, assertNeverUpstream, postJson, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const VK = 'sk-sy-count-0a1b2c3d4e5f';
const VK_LIMITED = 'sk-sy-count-limited-9f8e7d';
const VK_MINI = 'sk-sy-count-mini-6c5b4a';
const AN_KEY = 'sk-up-anthropic-count-77aa';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let client: Anthropic;

const question = { role: 'user' as const, content: 'How many tokens is this?' };

before(async () => {
  [oa, an, gm] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: false },
    dispatch: { retries_per_target: 0, max_attempts: 2, backoff: { base_ms: 1, cap_ms: 2 } },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 1, models: ['gpt-4o', 'gpt-4o-mini', 'gpt-5.1-codex'], keys: [{ name: 'oa-main', value: 'env.OA_KEY' }], options: { api: { '*codex*': 'responses' } } },
      // The same fake, with counting turned off; and OpenAI-compatible servers, which count only when told they can.
      off: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-4.1'], keys: [{ name: 'off-main', value: 'env.OA_KEY' }], options: { count_tokens: false } },
      oc: { type: 'openai-compatible', base_url: `${oa.url}/v1`, weight: 0, models: ['llama-3.3-70b'], keys: [{ name: 'oc-main', value: 'env.OA_KEY' }] },
      ocx: { type: 'openai-compatible', base_url: `${oa.url}/v1`, weight: 0, models: ['qwen3-coder'], keys: [{ name: 'ocx-main', value: 'env.OA_KEY' }], options: { count_tokens: true } },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4', 'claude-haiku-4'], keys: [{ name: 'an-main', value: 'env.AN_KEY' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-3-flash'], keys: [{ name: 'gm-main', value: 'env.GM_KEY' }] },
    },
    governance: {
      virtual_keys: [
        { id: 'vk-count', key_hash: hashKey(VK) },
        { id: 'vk-limited', key_hash: hashKey(VK_LIMITED), rate_limit: { requests: 1, per: '1m' } },
        { id: 'vk-mini', key_hash: hashKey(VK_MINI), allowed_models: ['gpt-4o-mini'] },
      ],
    },
  }, {
    env: { OA_KEY: 'sk-up-openai-count-11bb', AN_KEY, GM_KEY: 'sk-up-gemini-count-22cc' },
    rules: {
      'routing.yaml': {
        rules: [{ id: 'count-on-haiku', when: 'endpoint == "count_tokens" && model == "counted-cheaply"', route: 'an/claude-haiku-4' }],
      },
    },
  });
  client = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: VK, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

describe('POST /anthropic/v1/messages/count_tokens', SUITE, () => {
  test('routed to Anthropic: the provider counts it, with only the fields count_tokens accepts', async () => {
    an.reset();
    an.enqueue({ usage: { input: 4242, output: 0 } });
    const tool: Anthropic.Tool = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };
    const res = await client.messages.countTokens({ model: 'an/claude-sonnet-4', system: 'Be terse.', messages: [question], tools: [tool] });
    assert.equal(res.input_tokens, 4242);
    const up = an.last();
    assert.equal(up.path, '/v1/messages/count_tokens');
    assert.equal(up.headers['x-api-key'], AN_KEY, 'the provider key goes upstream');
    assert.equal(typeof up.headers['anthropic-version'], 'string');
    assert.deepEqual(Object.keys(up.body).sort(), ['messages', 'model', 'system', 'tools']);
    assert.equal(up.body.model, 'claude-sonnet-4');
    assert.equal(up.body.tools[0].name, 'get_weather');
    assertNeverUpstream([an, oa], VK, 'the client key');
  });

  test("Claude Code's beta form (?beta=true, generation settings in the body) is counted the same way", async () => {
    an.reset();
    an.enqueue({ usage: { input: 17, output: 0 } });
    const res = await client.beta.messages.countTokens({ model: 'an/claude-sonnet-4', messages: [question] });
    assert.equal(res.input_tokens, 17);
    // A body with max_tokens and stream: not counted, and not sent to count_tokens (which refuses them).
    an.enqueue({ usage: { input: 18, output: 0 } });
    const raw = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens?beta=true', { model: 'an/claude-sonnet-4', max_tokens: 100, stream: true, temperature: 0.2, messages: [question] }, { 'x-api-key': VK });
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.json, { input_tokens: 18 });
    assert.deepEqual(Object.keys(an.last().body).sort(), ['messages', 'model']);
  });

  test('routed to Gemini: counted by countTokens over the translated request (Claude Code on Gemini)', async () => {
    gm.reset();
    gm.enqueue({ usage: { input: 321, output: 0 } });
    const res = await client.messages.countTokens({ model: 'gm/gemini-3-flash', system: 'Be terse.', messages: [question] }).withResponse();
    assert.equal(res.data.input_tokens, 321);
    assert.equal(res.response.headers.get('x-switchyard-token-count'), null, 'not an estimate');
    const up = gm.last();
    assert.equal(up.path, '/v1beta/models/gemini-3-flash:countTokens');
    assert.equal(up.body.generateContentRequest.model, 'models/gemini-3-flash');
    assert.deepEqual(up.body.generateContentRequest.systemInstruction, { parts: [{ text: 'Be terse.' }] });
  });

  test('routed to OpenAI: counted by its input token counting, over the request as the Responses API takes it (Claude Code on GPT)', async () => {
    oa.reset();
    oa.enqueue({ usage: { input: 321, output: 0 } });
    const weather = { name: 'weather', description: 'Weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };
    const res = await client.beta.messages.countTokens({
      model: 'gpt-4o', system: 'Be terse.', tools: [weather], tool_choice: { type: 'auto' },
      messages: [question, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'Sunny' }] }],
    }).withResponse();
    assert.equal(res.data.input_tokens, 321);
    assert.equal(res.response.headers.get('x-switchyard-token-count'), null, 'not an estimate');
    const up = oa.last();
    assert.equal(up.path, '/v1/responses/input_tokens');
    assert.equal(up.headers.authorization, 'Bearer sk-up-openai-count-11bb');
    assert.deepEqual(Object.keys(up.body).sort(), ['input', 'instructions', 'model', 'tool_choice', 'tools']);
    assert.equal(up.body.model, 'gpt-4o');
    assert.equal(up.body.instructions, 'Be terse.');
    assert.deepEqual(up.body.tools.map((t: { type: string; name: string }) => [t.type, t.name]), [['function', 'weather']]);
    assert.deepEqual(up.body.input.map((i: { type: string }) => i.type), ['message', 'function_call', 'function_call_output']);
  });

  test("Claude Code's form with generation settings and stop sequences: counted without them; a codex model the same way", async () => {
    oa.reset();
    oa.enqueue({ usage: { input: 17, output: 0 } }, { usage: { input: 18, output: 0 } });
    const body = { max_tokens: 100, stream: true, temperature: 1, stop_sequences: ['END'], thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [question] };
    const a = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens?beta=true', { model: 'gpt-4o', ...body }, { 'x-api-key': VK });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(JSON.parse(a.text), { input_tokens: 17 });
    const b = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens?beta=true', { model: 'gpt-5.1-codex', ...body }, { 'x-api-key': VK });
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(JSON.parse(b.text), { input_tokens: 18 });
    assert.deepEqual(oa.received.map((r) => [r.path, r.body.model, 'stop' in r.body || 'max_output_tokens' in r.body || 'stream' in r.body]), [
      ['/v1/responses/input_tokens', 'gpt-4o', false],
      ['/v1/responses/input_tokens', 'gpt-5.1-codex', false],
    ]);
  });

  test('OpenAI-compatible servers count only with options.count_tokens: true; an openai provider can turn it off', async () => {
    oa.reset();
    oa.enqueue({ usage: { input: 42, output: 0 } });
    const counted = await client.messages.countTokens({ model: 'ocx/qwen3-coder', messages: [question] }).withResponse();
    assert.equal(counted.data.input_tokens, 42);
    assert.equal(counted.response.headers.get('x-switchyard-token-count'), null);
    assert.deepEqual(oa.received.map((r) => r.path), ['/v1/responses/input_tokens']);
    for (const model of ['off/gpt-4.1', 'oc/llama-3.3-70b']) {
      oa.reset();
      const res = await client.messages.countTokens({ model, messages: [question] }).withResponse();
      assert.equal(res.response.headers.get('x-switchyard-token-count'), 'estimate', model);
      assert.equal(oa.received.length, 0, model);
    }
  });

  test("OpenAI's refusal of a count reaches the client in Anthropic's shape", async () => {
    oa.reset();
    oa.enqueue({ error: { status: 400, message: "Invalid 'input': too many images" } });
    const res = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens', { model: 'gpt-4o', messages: [question] }, { 'x-api-key': VK });
    assertAnthropicError(res, 400, 'SY_ERR_UPSTREAM_CLIENT_ERROR', 'invalid_request_error');
  });

  test('routed to a provider without a counting API: the estimate, marked, and nothing upstream', async () => {
    oa.reset();
    const res = await client.messages.countTokens({ model: 'oc/llama-3.3-70b', messages: [{ role: 'user', content: 'x'.repeat(400) }] }).withResponse();
    assert.equal(res.data.input_tokens, 100, 'characters / 4');
    assert.equal(res.response.headers.get('x-switchyard-token-count'), 'estimate');
    assert.match(String(res.response.headers.get('x-switchyard-decision-id')), /^dec_/);
    assert.equal(oa.received.length, 0);
  });

  test('a rule can route counting on its own (endpoint == "count_tokens")', async () => {
    an.reset();
    an.enqueue({ usage: { input: 5, output: 0 } });
    const res = await client.messages.countTokens({ model: 'counted-cheaply', messages: [question] });
    assert.equal(res.input_tokens, 5);
    assert.equal(an.last().body.model, 'claude-haiku-4');
    // The rule does not apply to generation: the same model is unknown to /v1/messages.
    assertAnthropicError(await postJson(e2e.url, '/anthropic/v1/messages', { model: 'counted-cheaply', max_tokens: 5, messages: [question] }, { 'x-api-key': VK }), 404, 'SY_ERR_UNKNOWN_MODEL');
  });

  test("the provider's refusal reaches the client in Anthropic's shape", async () => {
    an.reset();
    an.enqueue({ error: { status: 400, message: 'messages: too many images' } });
    const res = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens', { model: 'an/claude-sonnet-4', messages: [question] }, { 'x-api-key': VK });
    assertAnthropicError(res, 400, 'SY_ERR_UPSTREAM_CLIENT_ERROR', 'invalid_request_error');
  });

  test('bad input is refused in the Anthropic dialect; no key is refused before anything else', async () => {
    const at = '/anthropic/v1/messages/count_tokens';
    assertAnthropicError(await postJson(e2e.url, at, { model: 'an/claude-sonnet-4' }, { 'x-api-key': VK }), 400, 'SY_ERR_BAD_REQUEST', 'invalid_request_error');
    assertAnthropicError(await postJson(e2e.url, at, { messages: [question] }, { 'x-api-key': VK }), 400, 'SY_ERR_BAD_REQUEST', 'invalid_request_error');
    assertAnthropicError(await postJson(e2e.url, at, { model: 'no-such-model', messages: [question] }, { 'x-api-key': VK }), 404, 'SY_ERR_UNKNOWN_MODEL');
    assertAnthropicError(await postJson(e2e.url, at, { model: 'an/claude-sonnet-4', messages: [question] }), 401, 'SY_ERR_UNAUTHORIZED', 'authentication_error');
  });

  test("counting is free: it does not use up the key's request rate limit", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens', { model: 'gpt-4o', messages: [question] }, { 'x-api-key': VK_LIMITED });
      assert.equal(res.status, 200, `count ${i + 1}`);
    }
    const first = await postJson(e2e.url, '/anthropic/v1/messages', { model: 'gpt-4o', max_tokens: 5, messages: [question] }, { 'x-api-key': VK_LIMITED });
    assert.equal(first.status, 200, 'the one request per minute is still there');
    assertAnthropicError(await postJson(e2e.url, '/anthropic/v1/messages', { model: 'gpt-4o', max_tokens: 5, messages: [question] }, { 'x-api-key': VK_LIMITED }), 429, 'SY_ERR_RATE_LIMITED');
  });

  test("the key's model allowlist applies to counting", async () => {
    an.reset();
    const res = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens', { model: 'an/claude-sonnet-4', messages: [question] }, { 'x-api-key': VK_MINI });
    assertAnthropicError(res, 403, 'SY_ERR_MODEL_NOT_ALLOWED');
    assert.equal(an.received.length, 0);
  });

  test('one audit event per count, endpoint count_tokens, with the attempt and no tokens or spend', async () => {
    an.reset();
    an.enqueue({ usage: { input: 99, output: 0 } });
    const res = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens', { model: 'an/claude-sonnet-4', messages: [question] }, { 'x-api-key': VK });
    const id = String(res.headers['x-switchyard-decision-id']);
    await e2e.gw.runtime.audit.flush();
    const { events } = await e2e.gw.runtime.audit.query({ decision_id: id });
    assert.equal(events.length, 1);
    const ev = events[0];
    assert.equal(ev.request.endpoint, 'count_tokens');
    assert.equal(ev.inputs.endpoint, 'count_tokens');
    assert.equal(ev.outcome.status, 200);
    assert.equal(ev.outcome.served_provider, 'an');
    assert.equal(ev.outcome.input_tokens, 0);
    assert.equal(ev.outcome.output_tokens, 0);
    assert.equal(ev.outcome.cost_usd, 0);
    assert.deepEqual(ev.attempts.map((a) => [a.provider, a.status]), [['an', 200]]);
  });
});
