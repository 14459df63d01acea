/**
 * Virtual keys end to end: with server.allow_unauthenticated false, a request without a
 * key (or with a wrong or disabled one) gets 401 in its dialect; the key is accepted as
 * `Authorization: Bearer` (OpenAI SDK), `x-api-key` (Anthropic SDK) or
 * `x-switchyard-key`; it never travels upstream, the provider key does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/governance/index.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import {
  assertAnthropicError, assertNeverUpstream, assertOpenAIError, postJson, raw, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE,
} from './helpers.js';

const VK = 'sk-sy-e2e-3c1f0a9b8d7e6f5a';
const VK_DISABLED = 'sk-sy-e2e-disabled-0000';
const VK_TEAM_OFF = 'sk-sy-e2e-team-off-1111';
const VK_MINI = 'sk-sy-e2e-mini-only-2222';
const UPSTREAM_KEY = 'sk-up-openai-keys-suite';

let oa: WireFake;
let an: WireFake;
let e2e: E2EGateway;

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const messages = { model: 'an/claude-sonnet-4', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] };

before(async () => {
  oa = await startWireFake({ format: 'openai', name: 'oa' });
  an = await startWireFake({ format: 'anthropic', name: 'an' });
  e2e = await startE2E({
    server: { allow_unauthenticated: false },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'], keys: [{ name: 'oa-main', value: 'env.OA_KEY' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'env.AN_KEY' }] },
    },
    governance: {
      customers: [{ id: 'acme' }],
      teams: [{ id: 'apps', customer: 'acme', tier: 'standard' }, { id: 'frozen', customer: 'acme', enabled: false }],
      virtual_keys: [
        { id: 'vk-e2e', key_hash: hashKey(VK), team: 'apps' },
        { id: 'vk-disabled', key_hash: hashKey(VK_DISABLED), team: 'apps', enabled: false },
        { id: 'vk-team-off', key_hash: hashKey(VK_TEAM_OFF), team: 'frozen' },
        { id: 'vk-mini', key_hash: hashKey(VK_MINI), team: 'apps', allowed_models: ['gpt-4o-mini'] },
      ],
    },
  }, { env: { OA_KEY: UPSTREAM_KEY, AN_KEY: 'sk-up-anthropic-keys-suite' } });
}, HOOK);

after(async () => {
  await e2e?.close();
  await oa?.close();
  await an?.close();
}, HOOK);

describe('without a valid key: 401 in the dialect, nothing upstream', SUITE, () => {
  test('no key on /v1/chat/completions (OpenAI shape)', async () => {
    const before = oa.history.length;
    assertOpenAIError(await postJson(e2e.url, '/v1/chat/completions', chat), 401, 'SY_ERR_UNAUTHORIZED');
    assert.equal(oa.history.length, before, 'nothing was sent upstream');
  });

  test('no key on /anthropic/v1/messages (Anthropic shape, authentication_error)', async () => {
    assertAnthropicError(await postJson(e2e.url, '/anthropic/v1/messages', messages), 401, 'SY_ERR_UNAUTHORIZED', 'authentication_error');
  });

  test('no key on /v1/embeddings and GET /v1/models', async () => {
    assertOpenAIError(await postJson(e2e.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }), 401, 'SY_ERR_UNAUTHORIZED');
    assertOpenAIError(await raw(e2e.url, '/v1/models'), 401, 'SY_ERR_UNAUTHORIZED');
  });

  test('an unknown key, in each of the three places', async () => {
    assertOpenAIError(await postJson(e2e.url, '/v1/chat/completions', chat, { authorization: 'Bearer sk-sy-wrong' }), 401, 'SY_ERR_UNAUTHORIZED');
    assertAnthropicError(await postJson(e2e.url, '/anthropic/v1/messages', messages, { 'x-api-key': 'sk-sy-wrong' }), 401, 'SY_ERR_UNAUTHORIZED', 'authentication_error');
    assertOpenAIError(await postJson(e2e.url, '/v1/chat/completions', chat, { 'x-switchyard-key': 'sk-sy-wrong' }), 401, 'SY_ERR_UNAUTHORIZED');
  });

  test('a disabled key, and a key whose team is disabled', async () => {
    assertOpenAIError(await postJson(e2e.url, '/v1/chat/completions', chat, { authorization: `Bearer ${VK_DISABLED}` }), 401, 'SY_ERR_UNAUTHORIZED');
    assertAnthropicError(await postJson(e2e.url, '/anthropic/v1/messages', messages, { 'x-api-key': VK_TEAM_OFF }), 401, 'SY_ERR_UNAUTHORIZED');
  });

  test('a malformed Authorization header (Basic) is not a key', async () => {
    assertOpenAIError(await postJson(e2e.url, '/v1/chat/completions', chat, { authorization: `Basic ${Buffer.from(`u:${VK}`).toString('base64')}` }), 401, 'SY_ERR_UNAUTHORIZED');
  });

  test('the SDKs surface it as AuthenticationError', async () => {
    const o = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'sk-sy-not-a-key', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    await assert.rejects(o.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.equal(e.code, 'SY_ERR_UNAUTHORIZED');
      return true;
    });
    const a = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'sk-sy-not-a-key', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    await assert.rejects(a.messages.create({ model: 'an/claude-sonnet-4', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof Anthropic.AuthenticationError);
      return true;
    });
  });
});

describe('with the virtual key: 200, and the key never goes upstream', SUITE, () => {
  test('OpenAI SDK (Authorization: Bearer)', async () => {
    oa.reset();
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: VK, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0].message.content, 'hello from oa');
    assert.equal(oa.last().headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    const models = await client.models.list();
    assert.ok(Array.isArray(models.data));
  });

  test('Anthropic SDK (x-api-key)', async () => {
    an.reset();
    const client = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: VK, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const msg = await client.messages.create({ model: 'an/claude-sonnet-4', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'hello from an');
    assert.equal(an.last().headers['x-api-key'], 'sk-up-anthropic-keys-suite');
  });

  test('Anthropic SDK streaming with the key', async () => {
    const client = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: VK, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const final = await client.messages.stream({ model: 'oa/gpt-4o', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.equal((final.content[0] as Anthropic.TextBlock).text, 'hello from oa');
  });

  test('x-switchyard-key, on both dialects and on embeddings', async () => {
    const o = await postJson(e2e.url, '/v1/chat/completions', chat, { 'x-switchyard-key': VK });
    assert.equal(o.status, 200, o.text);
    const a = await postJson(e2e.url, '/anthropic/v1/messages', messages, { 'x-switchyard-key': VK });
    assert.equal(a.status, 200, a.text);
    const e = await postJson(e2e.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }, { 'x-switchyard-key': VK });
    assert.equal(e.status, 200, e.text);
  });

  test('x-switchyard-key wins over a foreign Authorization header (e.g. another tool\'s token)', async () => {
    const res = await postJson(e2e.url, '/v1/chat/completions', chat, { 'x-switchyard-key': VK, authorization: 'Bearer sk-something-else' });
    assert.equal(res.status, 200, res.text);
  });

  test('the virtual key and the other presented credentials never reached any upstream', () => {
    for (const secret of [VK, VK_DISABLED, VK_TEAM_OFF, 'sk-sy-wrong', 'sk-sy-not-a-key', 'sk-something-else']) {
      assertNeverUpstream([oa, an], secret, `client credential ${secret}`);
    }
  });

  test('the audit log names the virtual key and team, never the key itself', async () => {
    await e2e.gw.runtime.audit.flush();
    const page = await e2e.gw.runtime.audit.query({ virtual_key: 'vk-e2e', limit: 100 });
    assert.ok(page.events.length >= 5, `events for vk-e2e: ${page.events.length}`);
    for (const ev of page.events) {
      assert.equal(ev.principal.virtual_key, 'vk-e2e');
      assert.equal(ev.principal.team, 'apps');
      assert.equal(ev.principal.customer, 'acme');
      const text = JSON.stringify(ev);
      assert.ok(!text.includes(VK), 'the key is not in the audit event');
      assert.ok(!text.includes(UPSTREAM_KEY), 'the provider key is not in the audit event');
    }
  });
});

describe('GET /v1/models per key', SUITE, () => {
  const ids = async (key: string) => {
    const r = await raw(e2e.url, '/v1/models', { headers: { authorization: `Bearer ${key}` } });
    assert.equal(r.status, 200, r.text);
    return (r.json.data as { id: string }[]).map((m) => m.id).sort();
  };

  test('each key sees the models its allowlists permit, the same on every call', async () => {
    // claude-sonnet-4 only as an/…: its one provider takes no unmatched traffic, and no rule routes it.
    const all = ['an/claude-sonnet-4', 'gpt-4o', 'gpt-4o-mini', 'oa/gpt-4o', 'oa/gpt-4o-mini', 'oa/text-embedding-3-small', 'text-embedding-3-small'];
    const mini = ['gpt-4o-mini', 'oa/gpt-4o-mini'];
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await ids(VK), all);
      assert.deepEqual(await ids(VK_MINI), mini);
    }
    assertOpenAIError(await raw(e2e.url, '/v1/models', { headers: { authorization: `Bearer ${VK_DISABLED}` } }), 401, 'SY_ERR_UNAUTHORIZED');
  });

  test('the Anthropic listing applies the same allowlists, and refuses in Anthropic\'s shape', async () => {
    const r = await raw(e2e.url, '/anthropic/v1/models', { headers: { 'x-api-key': VK_MINI } });
    assert.deepEqual((r.json.data as { id: string }[]).map((m) => m.id).sort(), ['gpt-4o-mini', 'oa/gpt-4o-mini']);
    assertAnthropicError(await raw(e2e.url, '/anthropic/v1/models/gpt-4o', { headers: { 'x-api-key': VK_MINI } }), 404, 'SY_ERR_UNKNOWN_MODEL', 'not_found_error');
    assertAnthropicError(await raw(e2e.url, '/anthropic/v1/models'), 401, 'SY_ERR_UNAUTHORIZED', 'authentication_error');
  });

  test('retrieving one model (GET /v1/models/{id}) applies the same allowlists', async () => {
    const auth = { authorization: `Bearer ${VK_MINI}` };
    const ok = await raw(e2e.url, '/v1/models/oa%2Fgpt-4o-mini', { headers: auth });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual([ok.json.id, ok.json.object, ok.json.owned_by], ['oa/gpt-4o-mini', 'model', 'oa']);
    assertOpenAIError(await raw(e2e.url, '/v1/models/gpt-4o', { headers: auth }), 404, 'SY_ERR_UNKNOWN_MODEL');
    assertOpenAIError(await raw(e2e.url, '/openai/v1/models/gpt-4o-mini'), 401, 'SY_ERR_UNAUTHORIZED');
  });
});
