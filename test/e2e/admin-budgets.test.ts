/**
 * GET /admin/budgets: every budget the config sets, each once, with its spend read from
 * the counter store, narrowed by `level` and `id`; bad parameters are 400s naming them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOpenAIError, postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';
import { hashKey } from '../../src/governance/index.js';

const ADMIN = 'adm-budgets-8c1e5f';
const VK = 'sk-sy-budgets-e2e-key-0001';
const admin = { authorization: `Bearer ${ADMIN}` };
let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({
    server: { admin_token: 'env.ADMIN_TOKEN' },
    providers: { local: { type: 'mock', models: ['mock-model'], budgets: [{ limit_usd: 5, period: '1d' }] } },
    governance: {
      pricing: { 'mock-model': { input: 1000, output: 2000 } },
      customers: [{ id: 'acme', budgets: [{ limit_usd: 100, period: '1M' }] }],
      teams: [{ id: 'apps', customer: 'acme', budgets: [{ limit_usd: 10, period: '1d' }] }, { id: 'idle', customer: 'acme' }],
      virtual_keys: [{ id: 'vk-app', key_hash: hashKey(VK), team: 'apps', budgets: [{ limit_usd: 1, period: '1h', on_exhausted: 'allow' }] }],
    },
  }, { env: { ADMIN_TOKEN: ADMIN } });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

test('lists each budget once, with the spend of the requests served', SUITE, async () => {
  const res = await postJson(e2e.url, '/v1/chat/completions', { model: 'mock-model', max_tokens: 16, messages: [{ role: 'user', content: 'hello budgets' }] }, { authorization: `Bearer ${VK}` });
  assert.equal(res.status, 200, res.text);
  const usage = res.json.usage as { prompt_tokens: number; completion_tokens: number };
  const cost = (usage.prompt_tokens * 1000 + usage.completion_tokens * 2000) / 1e6;

  const all = await raw(e2e.url, '/admin/budgets', { headers: admin });
  assert.equal(all.status, 200, all.text);
  const rows = all.json.budgets as { level: string; id: string; limit_usd: number; spent_usd: number; reserved_usd: number; remaining_usd: number; resets_at: string | null; on_exhausted: string }[];
  // The customer's budget applies to both teams' chains and the key's, and is listed once.
  assert.deepEqual(rows.map((b) => `${b.level}:${b.id}:${b.limit_usd}`), ['customer:acme:100', 'team:apps:10', 'virtual_key:vk-app:1', 'provider:local:5']);
  for (const b of rows) {
    assert.ok(Math.abs(b.spent_usd - cost) < 1e-9, `${b.level} ${b.id} spent ${b.spent_usd}, charged ${cost}`);
    assert.equal(b.reserved_usd, 0);
    assert.ok(Math.abs(b.remaining_usd - (b.limit_usd - cost)) < 1e-9);
    assert.ok(b.resets_at !== null && Date.parse(b.resets_at) > Date.now());
  }
  assert.equal(rows[2].on_exhausted, 'allow');

  const team = await raw(e2e.url, '/admin/budgets?level=team&id=apps', { headers: admin });
  assert.deepEqual(team.json.budgets.map((b: { id: string }) => b.id), ['apps']);
  const none = await raw(e2e.url, '/admin/budgets?id=nobody', { headers: admin });
  assert.deepEqual(none.json.budgets, []);
});

test('bad parameters and a missing credential are refused', SUITE, async () => {
  assertOpenAIError(await raw(e2e.url, '/admin/budgets'), 401, 'SY_ERR_ADMIN_UNAUTHORIZED');
  const level = await raw(e2e.url, '/admin/budgets?level=tenant', { headers: admin });
  assertOpenAIError(level, 400, 'SY_ERR_BAD_REQUEST');
  assert.equal(level.json.error.param, 'level');
  assertOpenAIError(await raw(e2e.url, '/admin/budgets?team=apps', { headers: admin }), 400, 'SY_ERR_BAD_REQUEST');
  assertOpenAIError(await raw(e2e.url, '/admin/budgets?id=a&id=b', { headers: admin }), 400, 'SY_ERR_BAD_REQUEST');
});
