import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { createGovernance, MemoryStore } from '../../src/governance/index.js';
import type { GovernanceConfig, ProviderConfig, RateLimit } from '../../src/types/gateway-config.js';
import { CENT, CENT_USAGE, gatewayConfig, keyEntry, MOCK } from './fixtures.js';
import { FakeClock } from './helpers.js';

function setup(limit: { key?: RateLimit; team?: RateLimit }, providers?: Record<string, ProviderConfig>) {
  const app = keyEntry('vk-app', { team: 'ml', rate_limit: limit.key });
  const peer = keyEntry('vk-peer', { team: 'ml' });
  const clock = new FakeClock(Date.parse('2025-01-15T12:00:00Z'));
  const store = new MemoryStore();
  const governance: GovernanceConfig = { teams: [{ id: 'ml', rate_limit: limit.team }], virtual_keys: [app.entry, peer.entry] };
  const cfg = gatewayConfig(governance, providers);
  const gov = createGovernance(cfg, { store, clock: clock.fn, refreshMs: 0 });
  return {
    gov, clock, store, cfg,
    principal: gov.authenticate({ 'x-api-key': app.key }),
    peer: gov.authenticate({ 'x-api-key': peer.key }),
  };
}

async function rateLimited(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SwitchyardError);
    assert.equal(err.code, 'SY_ERR_RATE_LIMITED');
    assert.equal(err.status, 429);
    return err;
  }
  assert.fail('expected SY_ERR_RATE_LIMITED');
}

describe('rate limits', () => {
  it('requests per window: a burst of the limit, then 429 with Retry-After, refilled evenly', async () => {
    const { gov, principal, clock } = setup({ key: { requests: 3, per: '1m' } });
    for (let i = 0; i < 3; i++) await (await gov.admit(principal, MOCK, CENT)).settle(CENT_USAGE, MOCK);
    assert.equal((await gov.capacity(principal)).requests_used, 100);
    const err = await rateLimited(gov.admit(principal, MOCK, CENT));
    assert.equal(err.retryAfter, 20);
    assert.deepEqual(err.details, { level: 'virtual_key', id: 'vk-app', limit: 'requests', per: '1m' });
    assert.match(err.message, /allows 3 requests per 1m/);
    clock.advance(19_000);
    assert.equal((await rateLimited(gov.admit(principal, MOCK, CENT))).retryAfter, 1);
    clock.advance(1_000);
    await (await gov.admit(principal, MOCK, CENT)).release();
    clock.advance(60_000);
    assert.equal((await gov.capacity(principal)).requests_used, 0);
  });

  it('tokens per window: the input estimate is taken at admission and corrected to the real total at settlement', async () => {
    const { gov, principal } = setup({ key: { tokens: 10_000, per: '1m' } });
    const a = await gov.admit(principal, MOCK, CENT);
    assert.equal((await gov.capacity(principal)).tokens_used, 20);
    await a.settle(CENT_USAGE, MOCK);
    assert.equal((await gov.capacity(principal)).tokens_used, 60);
    const err = await rateLimited(gov.admit(principal, MOCK, { inputTokens: 5000 }));
    assert.equal(err.retryAfter, 6);
    assert.equal(err.details?.limit, 'tokens');
    const small = await gov.admit(principal, MOCK, { inputTokens: 4000 });
    await small.release();
    assert.equal((await gov.capacity(principal)).tokens_used, 60, 'release returns the estimate');
  });

  it('a request larger than the whole token window waits for an empty window instead of never passing', async () => {
    const { gov, principal, clock } = setup({ key: { tokens: 1000, per: '1m' } });
    await (await gov.admit(principal, MOCK, { inputTokens: 5000, maxTokens: 10 })).settle({ inputTokens: 5000, outputTokens: 10 }, MOCK);
    const err = await rateLimited(gov.admit(principal, MOCK, { inputTokens: 10 }));
    assert.ok(err.retryAfter !== undefined && err.retryAfter > 240, `retry after ${err.retryAfter}s covers the debt`);
    clock.advance(err.retryAfter * 1000);
    await (await gov.admit(principal, MOCK, { inputTokens: 10 })).release();
  });

  it('concurrency per key: refused while the slots are taken, freed by settle and by release', async () => {
    const { gov, principal } = setup({ key: { concurrency: 2 } });
    const a = await gov.admit(principal, MOCK, CENT);
    const b = await gov.admit(principal, MOCK, CENT);
    const err = await rateLimited(gov.admit(principal, MOCK, CENT));
    assert.equal(err.retryAfter, 1);
    assert.deepEqual(err.details, { level: 'virtual_key', id: 'vk-app', limit: 'concurrency', max_in_flight: 2 });
    await a.settle(CENT_USAGE, MOCK);
    const c = await gov.admit(principal, MOCK, CENT);
    await rateLimited(gov.admit(principal, MOCK, CENT));
    await b.release();
    await c.release();
    await Promise.all([gov.admit(principal, MOCK, CENT), gov.admit(principal, MOCK, CENT)]);
  });

  it('a team limit is shared by its keys; a key limit is not', async () => {
    const { gov, principal, peer } = setup({ team: { requests: 2, per: '1h' } });
    await (await gov.admit(principal, MOCK, CENT)).release();
    await (await gov.admit(peer, MOCK, CENT)).release();
    const err = await rateLimited(gov.admit(peer, MOCK, CENT));
    assert.equal(err.details?.level, 'team');
    assert.equal(err.retryAfter, 1800);
  });

  it('an exhausted provider window marks the provider rate_limit_exceeded until it refills', async () => {
    const { gov, principal, clock } = setup({}, { local: { type: 'mock', rate_limit: { requests: 2, per: '1m' } } });
    await (await gov.admit(principal, MOCK, CENT)).release();
    await (await gov.admit(principal, MOCK, CENT)).release();
    assert.equal(gov.unavailableProviders().size, 0);
    const err = await rateLimited(gov.admit(principal, MOCK, CENT));
    assert.equal(err.details?.level, 'provider');
    assert.deepEqual([...gov.unavailableProviders()], [['local', 'rate_limit_exceeded']]);
    clock.advance(29_999);
    assert.equal(gov.unavailableProviders().size, 1);
    clock.advance(1);
    assert.equal(gov.unavailableProviders().size, 0);
  });

  it('refresh() finds full provider windows filled by other instances', async () => {
    const { gov, principal, store, clock, cfg } = setup({}, { local: { type: 'mock', rate_limit: { requests: 1, per: '10s' } } });
    const other = createGovernance(cfg, { store, clock: clock.fn, refreshMs: 0 });
    await (await gov.admit(principal, MOCK, CENT)).release();
    await other.refresh();
    assert.deepEqual([...other.unavailableProviders()], [['local', 'rate_limit_exceeded']]);
    clock.advance(10_000);
    await other.refresh();
    assert.equal(other.unavailableProviders().size, 0);
  });

  it('after a fallback, the serving provider\'s windows count the request', async () => {
    const { gov, principal } = setup({}, {
      local: { type: 'mock', rate_limit: { requests: 5, tokens: 100_000, per: '1m' } },
      other: { type: 'mock', rate_limit: { requests: 1, per: '1m' } },
    });
    await (await gov.admit(principal, MOCK, CENT)).settle(CENT_USAGE, { provider: 'other', model: 'mock-model' });
    await gov.refresh();
    assert.deepEqual([...gov.unavailableProviders()], [['other', 'rate_limit_exceeded']]);
  });

  it('an admission reports the tightest request and token windows of key and team, refilled as time passes; a refusal, as they stand', async () => {
    // The key: 7 requests a minute (one back every 60000/7 ms) and 3000 tokens; the team: 4 requests a minute.
    const { gov, principal, clock } = setup({ key: { requests: 7, tokens: 3000, per: '1m' }, team: { requests: 4, per: '1m' } });
    const t0 = clock.now;
    const a = await gov.admit(principal, MOCK, CENT);
    // The team has 3 left, the key 6: the team's is shown. The key's tokens: the 2000 input tokens taken.
    assert.deepEqual(a.rateLimits(t0), { requests: { limit: 4, remaining: 3, resetAt: t0 + 15_000 }, tokens: { limit: 3000, remaining: 1000, resetAt: t0 + 40_000 } });
    // Refilled evenly: 15 s later the team is whole again.
    assert.deepEqual(a.rateLimits(t0 + 15_000)?.requests, { limit: 4, remaining: 4, resetAt: t0 + 15_000 });
    await a.settle({ inputTokens: 0, outputTokens: 0 }, MOCK);
    for (let i = 0; i < 3; i++) await (await gov.admit(principal, MOCK, { inputTokens: 0, maxTokens: 0 })).release();
    // Team 0 left, key 3 left: the team. Its next unit is back in 15 s, whole in 60.
    const refused = await rateLimited(gov.admit(principal, MOCK, { inputTokens: 0, maxTokens: 0 }));
    assert.equal(refused.retryAfter, 15);
    assert.deepEqual(refused.limits?.at(t0)?.requests, { limit: 4, remaining: 0, resetAt: t0 + 60_000 });
    // Equal units left (one each): the one whole again later is shown.
    const { gov: g2, principal: p2, clock: c2 } = setup({ key: { requests: 2, per: '1m' }, team: { requests: 2, per: '2m' } });
    const b = await g2.admit(p2, MOCK, { inputTokens: 0, maxTokens: 0 });
    assert.deepEqual(b.rateLimits(c2.now), { requests: { limit: 2, remaining: 1, resetAt: c2.now + 60_000 }, tokens: null });
    // No limit: nothing to report.
    const { gov: g3, peer } = setup({});
    assert.equal((await g3.admit(peer, MOCK, CENT)).rateLimits(c2.now), null);
  });
});
