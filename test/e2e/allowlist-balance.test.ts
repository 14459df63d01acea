/**
 * Unmatched traffic and the caller's allowlists: a key that may use only one of the
 * providers serving a model is balanced over that one, never to a 403 for the others;
 * explain says the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { hashKey } from '../../src/governance/index.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ONLY_B = 'sk-sy-allow-only-b-7g8h9i';
const NOTHING = 'sk-sy-allow-nothing-1j2k3l';
let a: WireFake, b: WireFake;
let e2e: E2EGateway;

before(async () => {
  [a, b] = await Promise.all([startWireFake({ format: 'openai', name: 'a' }), startWireFake({ format: 'openai', name: 'b' })]);
  e2e = await startE2E({
    server: { admin_token: 'admin-allow-token' },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      pa: { type: 'openai', base_url: `${a.url}/v1`, weight: 9, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-a' }] },
      pb: { type: 'openai', base_url: `${b.url}/v1`, weight: 1, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-b' }] },
    },
    governance: {
      teams: [{ id: 'team-b', allowed_providers: ['pb'] }],
      virtual_keys: [
        { id: 'vk-b', key_hash: hashKey(ONLY_B), team: 'team-b' },
        { id: 'vk-none', key_hash: hashKey(NOTHING), allowed_models: ['claude-*'] },
      ],
    },
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
      assert.match(e.message, /virtual_key "vk-none" may not use pa\/gpt-4o/);
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
});
