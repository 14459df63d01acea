/**
 * POST /admin/reload re-reads the config file and applies its governance (principals,
 * budgets, rate limits, allowlists, pricing) with the rules: a key added to the file is
 * served without a restart, and the budgets of the in-memory counter store keep their
 * spend. A config that does not load, or that changes anything else (a provider), is
 * refused as a whole; a request in flight across a reload settles as it was admitted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';
import { hashKey } from '../../src/governance/index.js';

const ADMIN = 'adm-reload-cfg-5b2e91';
const VK_A = 'sk-sy-reload-e2e-key-aaaa';
const VK_B = 'sk-sy-reload-e2e-key-bbbb';
const admin = { authorization: `Bearer ${ADMIN}` };
/** $ per token: input 1000, output 2000 per million. */
const PRICE = { input: 1000, output: 2000 };

const providers = {
  local: { type: 'mock', models: ['mock-model'] },
  // Answers after a second: a request to it is in flight across a reload.
  slow: { type: 'mock', weight: 0, models: ['slow-model'], options: { latency_ms: 1200 } },
};
const vkA = { id: 'vk-a', key_hash: hashKey(VK_A), team: 'apps', budgets: [{ limit_usd: 1, period: '1h' }] };
const vkB = { id: 'vk-b', key_hash: hashKey(VK_B), team: 'apps' };
const config = (governance: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  server: { admin_token: 'env.ADMIN_TOKEN', expose_decision_headers: true },
  providers,
  governance: {
    pricing: { 'mock-model': PRICE, 'slow-model': PRICE },
    teams: [{ id: 'apps', budgets: [{ limit_usd: 10, period: '1d' }] }],
    virtual_keys: [vkA],
    ...governance,
  },
  ...more,
});

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E(config({}), { env: { ADMIN_TOKEN: ADMIN } });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

const ask = (key: string, model = 'mock-model') => postJson(e2e.url, '/v1/chat/completions', { model, max_tokens: 16, messages: [{ role: 'user', content: 'hello reload' }] }, { authorization: `Bearer ${key}` });
const costOf = (res: { json: { usage: { prompt_tokens: number; completion_tokens: number } } }, price = PRICE) => (res.json.usage.prompt_tokens * price.input + res.json.usage.completion_tokens * price.output) / 1e6;
const reload = () => raw(e2e.url, '/admin/reload', { method: 'POST', headers: admin });
const budgets = async (): Promise<Map<string, { limit_usd: number; spent_usd: number; reserved_usd: number }>> => {
  const res = await raw(e2e.url, '/admin/budgets', { headers: admin });
  assert.equal(res.status, 200, res.text);
  return new Map(res.json.budgets.map((b: { level: string; id: string }) => [`${b.level}:${b.id}`, b]));
};
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a}, expected ${b}`);
const reloads = async (result: string) => Number(new RegExp(`^switchyard_rule_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec((await raw(e2e.url, '/metrics')).text)?.[1] ?? 0);

describe('reloading the config', SUITE, () => {
  let spentA = 0;
  let spentTeam = 0;

  test('a key added to the file is served after a reload; the running keys keep their spend', async () => {
    const first = await ask(VK_A);
    assert.equal(first.status, 200, first.text);
    spentA = spentTeam = costOf(first);
    assert.equal((await ask(VK_B)).status, 401, 'not in the config yet');
    const revision = (await raw(e2e.url, '/readyz')).json.revision.hash;

    e2e.writeConfig(config({ virtual_keys: [{ ...vkA, budgets: [{ limit_usd: 2, period: '1h' }] }, vkB] }));
    const ok = await reload();
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.ok, true);
    assert.notEqual(ok.json.revision.hash, revision, 'the revision is that of the new config');

    const second = await ask(VK_B);
    assert.equal(second.status, 200, second.text);
    spentTeam += costOf(second);
    const b = await budgets();
    assert.equal(b.get('virtual_key:vk-a')?.limit_usd, 2, 'the raised limit is in force');
    near(b.get('virtual_key:vk-a')!.spent_usd, spentA, 'vk-a keeps its spend');
    near(b.get('team:apps')!.spent_usd, spentTeam, 'the team counts both keys');

    // Audit events carry the revision that decided them.
    await e2e.gw.runtime.audit.flush();
    const event = await raw(e2e.url, `/admin/audit?decision_id=${String(second.headers['x-switchyard-decision-id'])}`, { headers: admin });
    assert.equal(event.json.events[0].config_revision.hash, ok.json.revision.hash);
  });

  test('a config that does not load is refused; the running keys and budgets stay', async () => {
    const failed = await reloads('failed');
    e2e.writeConfig(config({ virtual_keys: [vkA, vkB, { id: 'vk-c', key_hash: hashKey('sk-sy-reload-e2e-key-cccc'), team: 'nobody' }] }));
    const bad = await reload();
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.json.ok, false);
    assert.ok(bad.json.issues.some((i: { severity: string; text: string }) => i.severity === 'error' && /nobody/.test(i.text)), JSON.stringify(bad.json.issues));
    assert.equal(await reloads('failed'), failed + 1);
    assert.equal((await ask('sk-sy-reload-e2e-key-cccc')).status, 401);
    const a = await ask(VK_A);
    assert.equal(a.status, 200, a.text);
    spentA += costOf(a);
    spentTeam += costOf(a);
    assert.equal((await ask(VK_B)).status, 200);
    spentTeam = (await budgets()).get('team:apps')!.spent_usd;
    assert.equal((await budgets()).get('virtual_key:vk-a')?.limit_usd, 2);
  });

  test('a config that changes a provider is refused as a whole, naming it and the restart it takes', async () => {
    const added = { id: 'vk-c', key_hash: hashKey('sk-sy-reload-e2e-key-cccc'), team: 'apps' };
    e2e.writeConfig(config({ virtual_keys: [vkA, vkB, added] }, { providers: { ...providers, local: { ...providers.local, weight: 3 } } }));
    const refused = await reload();
    assert.equal(refused.status, 422, refused.text);
    assert.match(String(refused.json.hint), /takes a restart/);
    const texts = refused.json.issues.map((i: { code: string; text: string }) => `${i.code} ${i.text}`);
    assert.equal(texts.length, 1, texts.join('\n'));
    assert.match(texts[0], /^needs_restart .*switchyard\.yaml:\d+:\d+: error\[needs_restart\]: providers\.local changed/);
    assert.equal((await ask('sk-sy-reload-e2e-key-cccc')).status, 401, 'nothing of that config was applied');
    e2e.writeConfig(config({ virtual_keys: [vkA, vkB] }));
  });

  test('a rule scoped to a team the config does not have yet is refused; the team and the rule reload together', async () => {
    e2e.writeRule('teams.yaml', { rules: [{ id: 'ops-slow', when: 'true', route: 'slow/slow-model', scope: { team: 'ops' } }] });
    const refused = await reload();
    assert.equal(refused.status, 422, refused.text);
    assert.ok(refused.json.issues.some((i: { code: string }) => i.code === 'unknown_scope'), refused.text);
    assert.equal(refused.json.hint, undefined, 'adding the team to the config is enough: no restart');
    const ops = { id: 'vk-ops', key_hash: hashKey('sk-sy-reload-e2e-key-dddd'), team: 'ops' };
    e2e.writeConfig(config({ teams: [{ id: 'apps', budgets: [{ limit_usd: 10, period: '1d' }] }, { id: 'ops' }], virtual_keys: [vkA, vkB, ops] }));
    assert.equal((await reload()).status, 200);
    const res = await ask('sk-sy-reload-e2e-key-dddd');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-switchyard-served-by'], 'slow/slow-model');
    rmSync(join(e2e.dir, 'rules', 'teams.yaml'));
  });

  test("a key's allowlist changed by a reload applies to its requests and its model list at once", async () => {
    const models = async () => (await raw(e2e.url, '/v1/models', { headers: { authorization: `Bearer ${VK_B}` } })).json.data.map((m: { id: string }) => m.id).sort();
    assert.ok((await models()).includes('slow/slow-model'));
    e2e.writeConfig(config({ virtual_keys: [vkA, { ...vkB, allowed_models: ['mock-model'] }] }));
    assert.equal((await reload()).status, 200);
    assert.deepEqual(await models(), ['local/mock-model', 'mock-model']);
    assert.equal((await ask(VK_B, 'slow/slow-model')).status, 403);
  });

  test('a request in flight across a reload settles at the prices and on the budgets it was admitted under', async () => {
    const before = await budgets();
    const inFlight = ask(VK_A, 'slow/slow-model');
    // Admitted (and reserved on), waiting for the slow upstream.
    for (let i = 0; i < 100 && (await budgets()).get('team:apps')!.reserved_usd === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok((await budgets()).get('team:apps')!.reserved_usd > 0, 'the request was admitted');
    // vk-a is withdrawn and the model's price doubled.
    e2e.writeConfig(config({ pricing: { 'mock-model': PRICE, 'slow-model': { input: 2000, output: 4000 } }, virtual_keys: [vkB] }));
    const ok = await reload();
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await ask(VK_A)).status, 401, 'the withdrawn key is refused from now on');

    const res = await inFlight;
    assert.equal(res.status, 200, res.text);
    const after = await budgets();
    near(after.get('team:apps')!.spent_usd, before.get('team:apps')!.spent_usd + costOf(res), 'charged at the price it was admitted under');
    assert.equal(after.get('team:apps')!.reserved_usd, 0, 'no reservation left behind');
    assert.equal(after.has('virtual_key:vk-a'), false);
  });
});
