/** restartChanges: which parts of a new config a reload cannot apply. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartChanges } from '../../src/server/reload.js';
import type { GatewayConfig } from '../../src/types/gateway-config.js';

const base: GatewayConfig = {
  server: { port: 8080 },
  providers: { a: { type: 'mock' }, b: { type: 'mock', weight: 2 } },
  governance: { virtual_keys: [{ id: 'vk', key_hash: 'sha256:00' }], pricing: { m: { input: 1, output: 2 } }, store: { type: 'memory' } },
};

test('principals, budgets and prices are reloadable; nothing else is', () => {
  const governance = { ...base.governance, teams: [{ id: 't', budgets: [{ limit_usd: 5, period: '1d' }] }], pricing: { m: { input: 3, output: 4 } }, unknown_price: 'block' as const };
  assert.deepEqual(restartChanges(base, { ...base, governance }), []);
  assert.deepEqual(restartChanges(base, { ...base, $schema: './x.json' }), []);
  assert.deepEqual(restartChanges(base, { ...base, providers: { a: { type: 'mock', weight: 3 }, c: { type: 'mock' } }, server: { port: 9090 } }), ['providers.a', 'providers.b', 'providers.c', 'server']);
  assert.deepEqual(restartChanges(base, { ...base, governance: { ...base.governance, store: { type: 'redis' }, key_secret: 'k'.repeat(32) } }), ['governance.store', 'governance.key_secret']);
  assert.deepEqual(restartChanges(base, { ...base, logging: { level: 'debug' } }), ['logging']);
});
