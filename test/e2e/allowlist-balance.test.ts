/**
 * The caller's allowlists with the rest of routing: unmatched traffic is balanced over
 * the providers a key may use; a promoted fallback is one it may use; a caller that may
 * use none of the targets hears 403, not "wait"; the model list and error headers agree.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { hashKey } from '../../src/governance/index.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { postJson, raw, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ONLY_B = 'sk-sy-allow-only-b-7g8h9i';
const NOTHING = 'sk-sy-allow-nothing-1j2k3l';
const SPARE = 'sk-sy-allow-spare-4m5n6o';
const OPEN = 'sk-sy-allow-open-7p8q9r';
let a: WireFake, b: WireFake;
let e2e: E2EGateway;

before(async () => {
  [a, b] = await Promise.all([startWireFake({ format: 'openai', name: 'a' }), startWireFake({ format: 'openai', name: 'b' })]);
  e2e = await startE2E({
    server: { admin_token: 'admin-allow-token', expose_decision_headers: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      pa: { type: 'openai', base_url: `${a.url}/v1`, weight: 9, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-a' }] },
      pb: { type: 'openai', base_url: `${b.url}/v1`, weight: 1, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-b' }] },
      once: { type: 'mock', models: ['*'], weight: 0, rate_limit: { requests: 1, per: '1h' } },
      spare: { type: 'mock', models: ['*'], weight: 0 },
    },
    aliases: { smart: 'once/mock-s' },
    governance: {
      teams: [{ id: 'team-b', allowed_providers: ['pb'] }],
      virtual_keys: [
        { id: 'vk-b', key_hash: hashKey(ONLY_B), team: 'team-b' },
        { id: 'vk-none', key_hash: hashKey(NOTHING), allowed_models: ['claude-*'] },
        { id: 'vk-spare', key_hash: hashKey(SPARE), allowed_providers: ['once', 'spare'] },
        { id: 'vk-open', key_hash: hashKey(OPEN) },
      ],
    },
  }, {
    rules: { 'routes.yaml': { rules: [{ id: 'promote', when: 'model == "mock-p"', route: 'once/mock-p', fallbacks: ['pa/gpt-4o', 'spare/mock-p'] }] } },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([a?.close(), b?.close()]);
}, HOOK);

describe("unmatched traffic within the caller's allowlists", SUITE, () => {
  test('every request of a key allowed one provider goes there, whatever the weights', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: ONLY_B, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    for (let i = 0; i < 12; i++) {
      const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(res.choices[0].message.content, 'hello from b');
    }
    assert.equal(a.history.length, 0);
  });

  test('a key allowed none of them is refused 403 naming its scope, not told the model does not exist', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: NOTHING, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }), (e: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(e.status, 403);
      assert.match(e.message, /virtual_key "vk-none" may not use p[ab]\/gpt-4o/);
      return true;
    });
  });

  test('POST /admin/explain shows the same candidates and access', async () => {
    const res = await fetch(`${e2e.url}/admin/explain`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-allow-token', 'content-type': 'application/json' },
      body: JSON.stringify({ request: { model: 'gpt-4o', virtual_key: 'vk-b' }, state: { draw: 0 } }),
    });
    const body = await res.json() as { decision: { targets: { provider: string }[] }; access: unknown };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.decision.targets.map((t) => t.provider), ['pb']);
    assert.deepEqual(body.access, { refused: null, fallbacks_not_allowed: [] });
  });

  test('with the primary sitting out, the fallback promoted is the first the caller may use', async () => {
    const chat = (key: string, model: string) => postJson(e2e.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Hi' }] }, { authorization: `Bearer ${key}` });
    const first = await chat(OPEN, 'mock-p');
    assert.equal(first.headers['x-switchyard-served-by'], 'once/mock-p');
    // The provider's one request an hour is spent: the next goes on, and the provider sits out.
    assert.equal((await chat(OPEN, 'mock-p')).headers['x-switchyard-served-by'], 'pa/gpt-4o');
    const promoted = await chat(SPARE, 'mock-p');
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal(promoted.headers['x-switchyard-served-by'], 'spare/mock-p', 'pa/gpt-4o is not the key\'s to use');
  });

  test('a caller that may use none of the targets hears 403 even while they sit out, and the rule that routed it', async () => {
    const alias = await postJson(e2e.url, '/v1/chat/completions', { model: 'smart', messages: [{ role: 'user', content: 'Hi' }] }, { authorization: `Bearer ${NOTHING}` });
    assert.equal(alias.status, 403, alias.text);
    assert.equal(alias.json.error.code, 'SY_ERR_MODEL_NOT_ALLOWED');
    assert.equal(alias.headers['retry-after'], undefined);
    const ruled = await postJson(e2e.url, '/v1/chat/completions', { model: 'mock-p', messages: [{ role: 'user', content: 'Hi' }] }, { authorization: `Bearer ${NOTHING}` });
    assert.equal(ruled.status, 403, ruled.text);
    assert.equal(ruled.headers['x-switchyard-rule-id'], 'promote');
  });

  test('the model list holds the aliases a caller may use only', async () => {
    const ids = async (key: string) => (await new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: key, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS }).models.list()).data.map((m) => m.id);
    assert.ok((await ids(OPEN)).includes('smart'));
    assert.ok(!(await ids(NOTHING)).includes('smart'));
    assert.ok(!(await ids(ONLY_B)).includes('smart'));
  });
});

describe('an alias to a model the caller may not use', SUITE, () => {
  const KEY = 'sk-sy-allow-wild-0s1t2u';
  let gw: E2EGateway;

  before(async () => {
    gw = await startE2E({
      providers: {
        wild: { type: 'mock', models: ['*'], weight: 1 },
        kept: { type: 'mock', models: ['kept-model'], weight: 0 },
      },
      aliases: { sneaky: 'kept/kept-model' },
      governance: { virtual_keys: [{ id: 'vk-wild', key_hash: hashKey(KEY), allowed_providers: ['wild'] }] },
    });
  }, HOOK);

  after(async () => {
    await gw?.close();
  }, HOOK);

  test('is unknown to GET /v1/models/{id}, as a request for it is refused', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const chat = await postJson(gw.url, '/v1/chat/completions', { model: 'sneaky', messages: [{ role: 'user', content: 'Hi' }] }, auth);
    assert.equal(chat.status, 403, chat.text);
    const byId = await raw(gw.url, '/v1/models/sneaky', { headers: auth });
    assert.equal(byId.status, 404, byId.text);
    assert.equal(byId.json.error.code, 'SY_ERR_UNKNOWN_MODEL');
    const anthropic = await raw(gw.url, '/anthropic/v1/models/sneaky', { headers: auth });
    assert.equal(anthropic.status, 404, anthropic.text);
    // Any other name the wildcard provider serves is still there.
    const other = await raw(gw.url, '/v1/models/whatever', { headers: auth });
    assert.equal(other.status, 200, other.text);
    assert.equal(other.json.owned_by, 'wild');
  });
});
