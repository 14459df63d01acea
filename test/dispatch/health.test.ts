/**
 * Cooldown / circuit breaking: ejection after consecutive failures, growing cooldowns,
 * the maximum ejected share, one probe after the cooldown, and how the dispatcher skips
 * and records cooled-down targets.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DispatchError } from '../../src/dispatch/index.js';
import { Health } from '../../src/dispatch/health.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, FakeClock, plan, provider, rejection, signal, target } from './helpers.js';

const SETTINGS = { consecutiveFailures: 3, baseMs: 1000, maxMs: 5000, maxEjectedPercent: 50 };

describe('Health (unit)', () => {
  it('ejects after N consecutive failures; a success in between resets the count', () => {
    const clock = new FakeClock();
    const h = new Health(SETTINGS, clock, () => 4);
    h.failure('a');
    h.failure('a');
    h.success('a');
    h.failure('a');
    h.failure('a');
    assert.equal(h.admit('a'), 'ok');
    h.failure('a');
    assert.equal(h.admit('a'), 'cooldown');
    assert.deepEqual([...h.unavailable()], [['a', 'cooldown']]);
  });

  it('after the cooldown, one probe: success re-admits, others wait meanwhile', () => {
    const clock = new FakeClock();
    const h = new Health(SETTINGS, clock, () => 4);
    for (let i = 0; i < 3; i++) h.failure('a');
    clock.advance(999);
    assert.ok(h.unavailable().has('a'));
    clock.advance(1);
    assert.ok(!h.unavailable().has('a'), 'half-open: the router may send one request');
    assert.equal(h.admit('a'), 'probe');
    assert.equal(h.admit('a'), 'cooldown', 'only one probe at a time');
    assert.ok(h.unavailable().has('a'));
    h.success('a');
    assert.equal(h.admit('a'), 'ok');
    assert.equal(h.unavailable().size, 0);
  });

  it('a failed probe re-ejects at once, for twice as long, up to the cap', () => {
    const clock = new FakeClock();
    const h = new Health(SETTINGS, clock, () => 4);
    for (let i = 0; i < 3; i++) h.failure('a');
    const cooldowns: number[] = [];
    for (let round = 0; round < 4; round++) {
      cooldowns.push(h.retryInMs('a'));
      clock.advance(h.retryInMs('a'));
      assert.equal(h.admit('a'), 'probe');
      h.failure('a');
    }
    assert.deepEqual(cooldowns, [1000, 2000, 4000, 5000]);
  });

  it('never ejects more than the maximum share of a pool', () => {
    const clock = new FakeClock();
    const h = new Health(SETTINGS, clock, (pool) => (pool === '' ? 3 : 2));
    for (const id of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) h.failure(id);
    assert.deepEqual([...h.unavailable().keys()], ['a'], '50% of 3 providers: one');
    for (const id of ['p#k1', 'p#k2']) for (let i = 0; i < 3; i++) h.failure(id);
    assert.deepEqual([...h.unavailable().keys()], ['a', 'p#k1'], '50% of 2 keys: one');
  });

  it('a pool of one is never emptied by the breaker', () => {
    const h = new Health({ ...SETTINGS, maxEjectedPercent: 100 }, new FakeClock(), () => 1);
    for (let i = 0; i < 10; i++) h.failure('solo');
    assert.equal(h.admit('solo'), 'ok');
  });

  it('a probe released without a verdict lets the next request probe', () => {
    const clock = new FakeClock();
    const h = new Health(SETTINGS, clock, () => 4);
    for (let i = 0; i < 3; i++) h.failure('a');
    clock.advance(1000);
    assert.equal(h.admit('a'), 'probe');
    h.release('a');
    assert.ok(!h.unavailable().has('a'));
    assert.equal(h.admit('a'), 'probe');
  });
});

describe('a provider at 100% failure through the dispatcher', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let c: FakeUpstream;
  before(async () => {
    a = await startFakeUpstream({ name: 'a', defaultFault: 'status:500' });
    b = await startFakeUpstream({ name: 'b' });
    c = await startFakeUpstream({ name: 'c' });
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), c.close()]);
  });
  beforeEach(() => {
    a.reset();
    a.setDefault('status:500');
    b.reset();
    b.setDefault('ok');
  });

  const cooldown = { consecutive_failures: 3, base_ms: 10_000, max_ms: 60_000, max_ejected_percent: 50 };

  it('is ejected, skipped (recorded as cooldown), probed after the cooldown and re-admitted', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const pc = provider('c', { url: c.url });
    const d = dispatcher({ providers: [pa, pb, pc], clock, dispatch: { retries_per_target: 0, cooldown } });
    const p = plan(target(pa), [target(pb)]);

    for (let i = 0; i < 3; i++) {
      const r = await d.chat(chatRequest(), p, { signal: signal() });
      assert.equal(r.served.provider, 'b');
    }
    assert.equal(a.calls, 3);
    assert.deepEqual([...d.health.unavailable()], [['a', 'cooldown']]);

    const skipped = await d.chat(chatRequest(), p, { signal: signal() });
    assert.equal(skipped.served.provider, 'b');
    assert.deepEqual(skipped.attempts.map((x) => [x.provider, x.status, x.latency_ms, x.fallback_reason]), [['a', 0, 0, 'cooldown'], ['b', 200, 0, null]]);
    assert.equal(a.calls, 3, 'no call to a cooled-down provider');

    clock.advance(10_000);
    assert.equal(d.health.unavailable().size, 0, 'cooldown over: the next request probes');
    a.setDefault('ok');
    const probe = await d.chat(chatRequest(), p, { signal: signal() });
    assert.equal(probe.served.provider, 'a');
    assert.equal(a.calls, 4);
    assert.equal(d.health.isOut('a'), false, 're-admitted');
    await d.close();
  });

  it('a failed probe sends it back for a longer cooldown', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const pc = provider('c', { url: c.url });
    const d = dispatcher({ providers: [pa, pb, pc], clock, dispatch: { retries_per_target: 0, cooldown } });
    const p = plan(target(pa), [target(pb)]);
    for (let i = 0; i < 3; i++) await d.chat(chatRequest(), p, { signal: signal() });
    clock.advance(10_000);
    const r = await d.chat(chatRequest(), p, { signal: signal() });
    assert.deepEqual(r.attempts.map((x) => [x.provider, x.fallback_reason]), [['a', 'server_error'], ['b', null]]);
    assert.equal(a.calls, 4);
    clock.advance(10_000);
    assert.ok(d.health.unavailable().has('a'), 'second cooldown is 20 s');
    clock.advance(10_000);
    assert.ok(!d.health.unavailable().has('a'));
    await d.close();
  });

  it('a same-target retry is not made once the failure ejected the provider', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const pc = provider('c', { url: c.url });
    const d = dispatcher({ providers: [pa, pb, pc], clock, dispatch: { retries_per_target: 5, cooldown } });
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(r.attempts.map((x) => [x.provider, x.fallback_reason]), [['a', 'server_error'], ['a', 'server_error'], ['a', 'server_error'], ['b', null]]);
    await d.close();
  });

  it('when every target of a plan is cooling down: SY_ERR_NO_ROUTE with Retry-After', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const pc = provider('c', { url: c.url });
    const d = dispatcher({ providers: [pa, pb, pc], clock, dispatch: { retries_per_target: 0, cooldown } });
    for (let i = 0; i < 3; i++) await rejection(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    clock.advance(4_000);
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_NO_ROUTE');
    assert.equal(err.retryAfter, 6);
    assert.deepEqual(err.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 0, 'cooldown']]);
    await d.close();
  });

  it('a plan decided in panic tries its cooling targets, and leaves the breaker to its probe', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url, keys: ['k1'] });
    const pb = provider('b', { url: b.url });
    const pc = provider('c', { url: c.url });
    const d = dispatcher({ providers: [pa, pb, pc], clock, dispatch: { retries_per_target: 0, cooldown } });
    for (let i = 0; i < 3; i++) await rejection(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(d.health.isOut('a'), true);
    const panic = { ...plan(target(pa)), panic: true };

    a.setDefault('ok');
    const r = await d.chat(chatRequest(), panic, { signal: signal() });
    assert.deepEqual(r.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 200, null]]);
    a.setDefault('status:500');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), panic, { signal: signal() }));
    assert.deepEqual(err.attempts.map((x) => [x.provider, x.status]), [['a', 500]]);
    assert.equal(a.calls, 5);
    assert.equal(d.health.isOut('a'), true, 'still out: a success in panic is not the probe');
    clock.advance(10_000);
    assert.equal(d.health.unavailable().has('a'), false, 'nor does a failure in panic lengthen the cooldown');
    await d.close();
  });

  it('keys cool down on their own: 429s on one key send traffic to the other', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url, keys: ['k1', 'k2'] });
    const d = dispatcher({ providers: [pa], clock, dispatch: { retries_per_target: 0, cooldown } });
    for (let i = 0; i < 3; i++) {
      a.script(['status:429', 'ok']);
      const r = await d.chat(chatRequest(), plan(target(pa, 'gpt-test', 'k1')), { signal: signal() });
      assert.equal(r.served.key, 'k2');
    }
    assert.deepEqual([...d.health.unavailable()], [['a#k1', 'cooldown']]);
    assert.equal(d.health.isOut('a'), false, 'the provider itself stays in');
    a.script(['ok']);
    const r = await d.chat(chatRequest(), plan(target(pa, 'gpt-test', 'k1')), { signal: signal() });
    assert.deepEqual(r.attempts.map((x) => [x.key, x.status]), [['k2', 200]], 'the cooled key is passed over');
    await d.close();
  });
});
