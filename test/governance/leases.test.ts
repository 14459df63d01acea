/**
 * Leases of requests in flight: a running gateway renews them, so a long request keeps
 * its reservation and concurrency slot, and those of a gateway that died (which renews
 * nothing) come back to the others within one lease.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { createGovernance, MemoryStore } from '../../src/governance/index.js';
import { CENT, CENT_USAGE, gatewayConfig, keyEntry, MOCK } from './fixtures.js';
import { FakeClock } from './helpers.js';

const LEASE_MS = 60_000;

function gateways() {
  const app = keyEntry('vk-app', { rate_limit: { concurrency: 1 }, budgets: [{ limit_usd: 100, period: '1d' }] });
  const cfg = gatewayConfig({ virtual_keys: [app.entry] });
  const clock = new FakeClock(Date.parse('2025-01-15T12:00:00Z'));
  const store = new MemoryStore();
  // Two gateways on one store; their renewal timers off, renewLeases() is called instead.
  const make = () => createGovernance(cfg, { store, clock: clock.fn, refreshMs: 0, renewMs: 0, leaseMs: LEASE_MS });
  const [a, b] = [make(), make()];
  return { a, b, clock, key: { 'x-api-key': app.key } };
}

async function refusedForSlot(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err) => err instanceof SwitchyardError && err.code === 'SY_ERR_RATE_LIMITED' && err.details?.limit === 'concurrency');
}

describe('leases', () => {
  it('a request served for longer than a lease keeps its slot while its gateway renews it', async () => {
    const { a, b, clock, key } = gateways();
    const long = await a.admit(a.authenticate(key), MOCK, CENT);
    for (let i = 0; i < 30; i++) {
      clock.advance(LEASE_MS / 3);
      await a.renewLeases();
    }
    await refusedForSlot(b.admit(b.authenticate(key), MOCK, CENT));
    await long.settle(CENT_USAGE, MOCK);
    await (await b.admit(b.authenticate(key), MOCK, CENT)).release();
  });

  it("a gateway that stops renewing (it died) gives its requests' slots back within one lease, uncharged", async () => {
    const { a, b, clock, key } = gateways();
    await a.admit(a.authenticate(key), MOCK, CENT);
    clock.advance(LEASE_MS - 1);
    await b.renewLeases();
    await refusedForSlot(b.admit(b.authenticate(key), MOCK, CENT));
    clock.advance(1);
    const next = await b.admit(b.authenticate(key), MOCK, CENT);
    // The dead gateway's request is not charged: only the new one's $0.01 is held.
    const [budget] = await b.budgets(b.authenticate(key));
    assert.deepEqual([budget.spent_usd, budget.reserved_usd], [0, 0.01]);
    await next.release();
  });

  it('a settled or released request is renewed no more', async () => {
    const { a, clock, key } = gateways();
    await (await a.admit(a.authenticate(key), MOCK, CENT)).settle(CENT_USAGE, MOCK);
    await (await a.admit(a.authenticate(key), MOCK, CENT)).release();
    assert.equal(a.openLeases, 0);
    clock.advance(LEASE_MS);
    await a.renewLeases();
  });
});
