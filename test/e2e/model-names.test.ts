/**
 * A model name is kept by the gateway's caches (the router's shapes and fall-through
 * plans, the price and per-model option memos) and as a metric label: each bounded in
 * names, so a name itself must be bounded too, or a client sending long ones (the body
 * may be 32 MiB) grows the process by their length times every cache's size.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MODEL_NAME_CHARS } from '../../src/wire/validate.js';
import { assertAnthropicError, assertOpenAIError, postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({ server: { allow_unauthenticated: true }, providers: { mk: { type: 'mock', models: ['*'], options: { latency_ms: 0 } } } });
}, HOOK);

after(() => e2e?.close(), HOOK);

const name = (chars: number): string => 'm'.repeat(chars);
const anthropic = { 'anthropic-version': '2023-06-01' };

describe('a model name', SUITE, () => {
  test(`of ${MAX_MODEL_NAME_CHARS} characters is served on every endpoint`, async () => {
    const model = name(MAX_MODEL_NAME_CHARS);
    const res = await Promise.all([
      postJson(e2e.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }),
      postJson(e2e.url, '/v1/responses', { model, input: 'hi' }),
      postJson(e2e.url, '/v1/embeddings', { model, input: 'hi' }),
      postJson(e2e.url, '/anthropic/v1/messages', { model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, anthropic),
    ]);
    for (const r of res) assert.equal(r.status, 200, r.text);
  });

  test('any longer is refused 400 naming `model`, before it is routed, counted or labelled', async () => {
    const model = name(MAX_MODEL_NAME_CHARS + 1);
    const openai = [
      await postJson(e2e.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }),
      await postJson(e2e.url, '/v1/responses', { model, input: 'hi' }),
      await postJson(e2e.url, '/v1/embeddings', { model, input: 'hi' }),
    ];
    for (const r of openai) {
      assertOpenAIError(r, 400, 'SY_ERR_BAD_REQUEST');
      assert.equal(r.json.error.param, 'model');
      assert.match(r.json.error.message, new RegExp(`at most ${MAX_MODEL_NAME_CHARS} characters`));
    }
    const a = await postJson(e2e.url, '/anthropic/v1/messages', { model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, anthropic);
    assertAnthropicError(a, 400, 'SY_ERR_BAD_REQUEST', 'invalid_request_error');
    const counted = await postJson(e2e.url, '/anthropic/v1/messages/count_tokens', { model, messages: [{ role: 'user', content: 'hi' }] }, anthropic);
    assertAnthropicError(counted, 400, 'SY_ERR_BAD_REQUEST', 'invalid_request_error');
    const metrics = (await raw(e2e.url, '/metrics')).text;
    assert.ok(!metrics.includes(model), 'no series names it');
  });

  test('any longer is no model GET /v1/models/{id} knows', async () => {
    assert.equal((await raw(e2e.url, `/v1/models/${name(MAX_MODEL_NAME_CHARS)}`)).status, 200);
    assertOpenAIError(await raw(e2e.url, `/v1/models/${name(MAX_MODEL_NAME_CHARS + 1)}`), 404, 'SY_ERR_UNKNOWN_MODEL');
  });
});
