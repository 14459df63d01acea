/**
 * `GET /v1/models` (and Anthropic's) for providers allowed by glob: the gateway asks the
 * provider for its own list, keeps what the globs (and the caller's allowlists) admit,
 * and leaves out a provider that cannot answer rather than failing the listing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/governance/index.js';
import { closedPort } from '../fakes/upstream.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ALL = 'sk-sy-models-all-1a2b3c';
const CLAUDE = 'sk-sy-models-claude-4d5e6f';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
const gets = (f: WireFake): number => f.history.filter((r) => r.method === 'GET').length;

before(async () => {
  [oa, an, gm] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E({
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    server: { admin_token: 'admin-models-token' },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o*'], keys: [{ name: 'k', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-*', 'claude-haiku-4'], keys: [{ name: 'k', value: 'sk-up-an' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash'], keys: [{ name: 'k', value: 'sk-up-gm' }] },
      down: { type: 'openai-compatible', base_url: `http://127.0.0.1:${await closedPort()}/v1`, weight: 0, models: ['llama-*'], keys: [{ name: 'k', value: 'sk-up-down' }] },
    },
    governance: {
      virtual_keys: [
        { id: 'vk-all', key_hash: hashKey(ALL) },
        { id: 'vk-claude', key_hash: hashKey(CLAUDE), allowed_models: ['claude-*'] },
      ],
    },
  }, {
    rules: {
      'routes.yaml': {
        rules: [
          // Routes a plain request for a name only a weight-0 provider serves: listed bare.
          { id: 'flash', when: 'model == "gemini-2.5-flash"', route: 'gm/gemini-2.5-flash' },
          // Routes one only with a header: a plain request is refused, so not listed bare.
          { id: 'haiku-by-header', when: 'model == "claude-haiku-4" && headers[?"x-lane"].orValue("") == "fast"', route: 'an/claude-haiku-4' },
        ],
      },
    },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

describe('GET /v1/models with providers allowed by glob', SUITE, () => {
  test("lists what each provider's own list and globs admit, concrete names as they are; a provider that cannot answer is left out", async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: ALL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const ids = (await client.models.list()).data.map((m) => m.id).sort();
    // Bare names only weight-0 providers serve are listed only when a rule routes a plain request for them.
    assert.deepEqual(ids, [
      'an/claude-haiku-4', 'an/claude-sonnet-4-5',
      'gemini-2.5-flash', 'gm/gemini-2.5-flash', 'gpt-4o', 'gpt-4o-mini', 'oa/gpt-4o', 'oa/gpt-4o-mini',
    ]);
    assert.deepEqual([gets(oa), gets(an), gets(gm)], [1, 1, 0], 'a provider allowed by concrete names only is not asked');
    assert.equal((await client.models.retrieve('gpt-4o-mini')).owned_by, 'oa');
    // Asked once for a while, whoever asks next.
    const anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: CLAUDE, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const page = await anthropic.models.list({ limit: 100 });
    assert.deepEqual(page.data.map((m) => m.id).sort(), ['an/claude-haiku-4', 'an/claude-sonnet-4-5'], "the key's allowlist applies");
    assert.deepEqual([gets(oa), gets(an), gets(gm)], [1, 1, 0]);
  });

  test('one model by id: also one a glob admits that no list names, by name or as provider/model, for a key that may use it', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: ALL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    assert.equal((await client.models.retrieve('an/claude-sonnet-5')).owned_by, 'an');
    assert.equal((await client.models.retrieve('gemini-2.5-flash')).owned_by, 'gm', 'a rule routes it');
    // Bare, only a weight-0 provider serves it and no rule routes a plain request: not one to use.
    await assert.rejects(client.models.retrieve('claude-sonnet-5'), (e: InstanceType<typeof OpenAI.NotFoundError>) => e.status === 404);
    await assert.rejects(client.models.retrieve('gm/claude-sonnet-5'), (e: InstanceType<typeof OpenAI.NotFoundError>) => e.status === 404);
    await assert.rejects(client.models.retrieve('claude-opus-5'), (e: InstanceType<typeof OpenAI.NotFoundError>) => e.status === 404);
    const anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: CLAUDE, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    assert.equal((await anthropic.models.retrieve('an/claude-sonnet-5')).id, 'an/claude-sonnet-5');
    await assert.rejects(anthropic.models.retrieve('gpt-4o-2026'), (e: InstanceType<typeof Anthropic.NotFoundError>) => e.status === 404, "the key's allowlist applies");
  });

  test('a bare name served only by weight-0 providers, unlisted, is refused naming the provider/model that works', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: ALL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    await assert.rejects(client.chat.completions.create({ model: 'claude-haiku-4', messages: [{ role: 'user', content: 'Hi' }] }), (e: InstanceType<typeof OpenAI.NotFoundError>) => {
      assert.equal(e.status, 404);
      assert.match(e.message, /served only by providers that take no unmatched traffic \(weight 0: an\), and no rule routes it: ask for an\/claude-haiku-4/);
      return true;
    });
    const res = await client.chat.completions.create({ model: 'an/claude-haiku-4', messages: [{ role: 'user', content: 'Hi' }] });
    assert.ok(res.choices[0].message.content);
    // The rule that needs a header routes it bare, as the listing says a plain request is not.
    const routed = await client.chat.completions.create({ model: 'claude-haiku-4', messages: [{ role: 'user', content: 'Hi' }] }, { headers: { 'x-lane': 'fast' } });
    assert.equal(routed.choices[0].message.content, 'hello from an');
  });

  test('a reload that changes which bare names a rule routes changes the listing', async () => {
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: ALL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const bare = async () => (await client.models.list()).data.map((m) => m.id).filter((id) => !id.includes('/')).sort();
    assert.deepEqual(await bare(), ['gemini-2.5-flash', 'gpt-4o', 'gpt-4o-mini']);
    e2e.writeRule('routes.yaml', { rules: [{ id: 'claude', when: 'model.startsWith("claude-")', route: 'an/claude-sonnet-4-5' }] });
    const token = { authorization: 'Bearer admin-models-token' };
    const reload = await fetch(`${e2e.url}/admin/reload`, { method: 'POST', headers: token });
    assert.equal(reload.status, 200, await reload.text());
    assert.deepEqual(await bare(), ['claude-haiku-4', 'claude-sonnet-4-5', 'gpt-4o', 'gpt-4o-mini']);
  });

  test('a model only the provider listed is served like any other', async () => {
    oa.reset();
    const client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: ALL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(res.choices[0].message.content, 'hello from oa');
    assert.equal(oa.last().body.model, 'gpt-4o-mini');
  });
});
