/**
 * The budget under load: 1,000 concurrent admit → settle at a $1.00 budget where each
 * request costs exactly $0.01. Committed spend must never exceed the limit and exactly
 * 100 requests must pass: in memory, in Redis, and with 3 processes sharing one Redis.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, RedisStore } from '../../src/governance/index.js';
import { burst, burstAcross, burstGovernance, burstSpend, warmUp, type BurstResult } from './fixtures/burst.js';
import { burstInProcesses } from './fixtures/processes.js';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from './helpers.js';

function check(results: BurstResult[], spend: { spent: number; reserved: number }): void {
  const ok = results.reduce((n, r) => n + r.ok, 0);
  const refused = results.reduce((n, r) => n + r.refused, 0);
  assert.deepEqual(results.flatMap((r) => r.errors), []);
  assert.equal(ok, 100);
  assert.equal(ok + refused, results.reduce((n, r) => n + r.ok + r.refused, 0));
  assert.ok(spend.spent <= 1, `spent $${spend.spent} > $1.00`);
  assert.equal(spend.spent, 1);
  assert.equal(spend.reserved, 0);
}

describe('1,000 concurrent requests at a $1.00 budget, $0.01 each', () => {
  it('memory store', async () => {
    const gov = burstGovernance(new MemoryStore());
    const r = await burst(gov, 1000);
    check([r], await burstSpend(gov));
  });

  it('Redis store, one process', { skip: REDIS_SKIP }, async () => {
    const prefix = uniquePrefix('burst1');
    const gov = burstGovernance(new RedisStore({ url: REDIS_URL, prefix }));
    try {
      const r = await burst(gov, 1000);
      check([r], await burstSpend(gov));
    } finally {
      await gov.close();
      await deletePrefix(prefix);
    }
  });

  it('Redis store, three gateways in one process (separate connections)', { skip: REDIS_SKIP }, async () => {
    const prefix = uniquePrefix('burst3c');
    const govs = [0, 1, 2].map(() => burstGovernance(new RedisStore({ url: REDIS_URL, prefix })));
    try {
      await Promise.all(govs.map(warmUp));
      const results = await burstAcross(govs, 1000, 30);
      assert.ok(results.every((r) => r.ok > 0), 'the gateways interleave');
      check(results, await burstSpend(govs[0]));
    } finally {
      await Promise.all(govs.map((g) => g.close()));
      await deletePrefix(prefix);
    }
  });

  it('Redis store, three Node processes sharing one Redis', { skip: REDIS_SKIP, timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('burst3p');
    const gov = burstGovernance(new RedisStore({ url: REDIS_URL, prefix }));
    try {
      const results = await burstInProcesses(REDIS_URL, prefix, [334, 333, 333]);
      for (const r of results) assert.ok(r.ok + r.refused > 0);
      check(results, await burstSpend(gov));
    } finally {
      await gov.close();
      await deletePrefix(prefix);
    }
  });
});
