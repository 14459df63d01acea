/**
 * The retry budget and provider-isolated concurrency: queue policies error / block / drop,
 * the deadline on queued work, client aborts of queued work, and isolation between providers.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { DispatchError } from '../../src/dispatch/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, FakeClock, plan, provider, rejection, signal, target } from './helpers.js';

let a: FakeUpstream;
let b: FakeUpstream;

before(async () => {
  a = await startFakeUpstream({ name: 'a' });
  b = await startFakeUpstream({ name: 'b' });
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});
beforeEach(() => {
  for (const f of [a, b]) {
    f.reset();
    f.setDefault('ok');
  }
});

describe('retry budget', () => {
  it('once spent, a provider already called is not called again; a fallback to another provider still is', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    // The breaker is kept out of the way: a fails every call here.
    const d = dispatcher({ providers: [pa, pb], clock, dispatch: { retry_budget: { ratio: 0, min_per_second: 2 }, cooldown: { consecutive_failures: 100, base_ms: 10_000, max_ms: 300_000, max_ejected_percent: 50 } } });
    a.setDefault('status:500');
    const p = plan(target(pa), [target(pb)]);

    for (let i = 0; i < 2; i++) {
      const r = await d.chat(chatRequest(), p, { signal: signal() });
      assert.equal(r.served.provider, 'b');
      assert.deepEqual(r.attempts.map((x) => [x.provider, x.status]), [['a', 500], ['a', 500], ['b', 200]], 'the retry of a spends the budget, the fallback to b does not');
    }

    // Same budget window (the fake clock has only moved by the backoff sleeps): a is not
    // called again, and b, which this request has not called, serves it.
    const third = await d.chat(chatRequest(), p, { signal: signal() });
    assert.deepEqual(third.attempts.map((x) => [x.provider, x.status]), [['a', 500], ['b', 200]]);
    assert.equal(a.calls, 5);

    // With no other provider to go to, the failure is returned.
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.match(err.message, /retry budget exhausted/);
    assert.deepEqual(err.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 500, null]]);
    assert.equal(a.calls, 6);

    clock.advance(1_000);
    const again = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(again.attempts.map((x) => x.provider), ['a', 'a', 'b'], 'refilled: a is retried again');
    await d.close();
  });

  it('the ratio scales the budget with live traffic', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock, dispatch: { retries_per_target: 1, retry_budget: { ratio: 0.5, min_per_second: 0 } } });
    const p = plan(target(pa));
    // 4 good requests make room for 2 retries (+ the failing requests' own share).
    for (let i = 0; i < 4; i++) await d.chat(chatRequest(), p, { signal: signal() });
    a.setDefault('status:500');
    for (let i = 0; i < 6; i++) await rejection(d.chat(chatRequest(), p, { signal: signal() }));
    // After k failing requests: retries ≤ 0.5 × (4 + k) → 5 of the 6 are retried once.
    assert.equal(a.calls, 4 + 6 + 5);
    await d.close();
  });
});


describe('provider queues', () => {
  const limited = (policy: 'error' | 'block' | 'drop', queue = 0) =>
    provider('a', { url: a.url, concurrency: { max_in_flight: 1, queue_size: queue, queue_policy: policy } });

  it('error: a full provider is passed over as `overloaded` and the fallback serves', async () => {
    const pa = limited('error');
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.script(['delay:200']);
    const p = plan(target(pa), [target(pb)]);
    const busy = d.chat(chatRequest(), p, { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const r = await d.chat(chatRequest(), p, { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(r.attempts.map((x) => [x.provider, x.status, x.latency_ms, x.fallback_reason]), [['a', 0, 0, 'overloaded'], ['b', 200, 0, null]]);
    assert.equal((await busy).served.provider, 'a');
    assert.equal(a.calls, 1);
    await d.close();
  });

  it('error with nothing to fall back to: SY_ERR_OVERLOADED', async () => {
    const pa = limited('error');
    const d = dispatcher({ providers: [pa] });
    a.script(['delay:200']);
    const busy = d.chat(chatRequest(), plan(target(pa)), { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_OVERLOADED');
    assert.equal(err.status, 503);
    await busy;
    await d.close();
  });

  it('error with a queue: waiting requests are served in turn, the one past the queue is turned away', async () => {
    const pa = limited('error', 1);
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.script(['delay:150', 'ok']);
    const p = plan(target(pa), [target(pb)]);
    const first = d.chat(chatRequest(), p, { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const queued = d.chat(chatRequest(), p, { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const third = await d.chat(chatRequest(), p, { signal: signal() });
    assert.equal(third.served.provider, 'b');
    assert.equal(third.attempts[0].fallback_reason, 'overloaded');
    assert.equal((await first).served.provider, 'a');
    assert.equal((await queued).served.provider, 'a');
    assert.equal(a.calls, 2);
    await d.close();
  });

  it('drop: SY_ERR_RATE_LIMITED (429) with Retry-After, no fallback', async () => {
    const pa = limited('drop');
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.script(['delay:200']);
    const p = plan(target(pa), [target(pb)]);
    const busy = d.chat(chatRequest(), p, { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const err = await rejection<DispatchError>(d.chat(chatRequest(), p, { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_RATE_LIMITED');
    assert.equal(err.status, 429);
    assert.equal(err.retryAfter, 1);
    assert.equal(err.attempts.length, 1);
    assert.equal(b.calls, 0);
    await busy;
    await d.close();
  });

  it('block: waits for the slot even past the queue size', async () => {
    const pa = limited('block', 0);
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.script(['delay:100', 'ok']);
    const p = plan(target(pa), [target(pb)]);
    const busy = d.chat(chatRequest(), p, { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const r = await d.chat(chatRequest(), p, { signal: signal() });
    assert.equal(r.served.provider, 'a');
    assert.ok(performance.now() - t0 >= 50, 'it waited for the first request');
    assert.equal(b.calls, 0);
    await busy;
    await d.close();
  });

  it('block: waits no longer than the total deadline, then SY_ERR_OVERLOADED', async () => {
    const pa = limited('block', 0);
    const d = dispatcher({ providers: [pa], clock: 'real', dispatch: { timeouts: { attempt_ms: 5000, response_ms: 5000, idle_ms: 5000, total_ms: 200 } } });
    // A committed stream holds its slot until it ends (the total deadline stops at the commit point).
    a.script(['stall:1']);
    const holder = new AbortController();
    const busy = await d.chat(chatRequest(true), plan(target(pa)), { signal: holder.signal });
    assert.equal(busy.kind, 'stream');
    const t0 = performance.now();
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    const took = performance.now() - t0;
    assert.equal(err.code, 'SY_ERR_OVERLOADED');
    assert.deepEqual(err.attempts.map((x) => [x.status, x.fallback_reason]), [[0, 'overloaded']]);
    assert.ok(took >= 150 && took < 1000, `waited ${took} ms`);
    holder.abort();
    await d.close();
  });

  it('a client abort removes queued work; the slot goes to the next in line', async () => {
    const pa = limited('block', 0);
    const d = dispatcher({ providers: [pa] });
    a.script(['delay:150', 'ok']);
    const p = plan(target(pa));
    const busy = d.chat(chatRequest(), p, { signal: signal() });
    await new Promise((r) => setTimeout(r, 20));
    const ctl = new AbortController();
    const leaving = d.chat(chatRequest(), p, { signal: ctl.signal });
    const staying = d.chat(chatRequest(), p, { signal: signal() });
    ctl.abort();
    const err = await rejection<DispatchError>(leaving);
    assert.equal(err.clientAborted, true);
    assert.equal((await busy).served.provider, 'a');
    assert.equal((await staying).served.provider, 'a');
    assert.equal(a.calls, 2, 'the aborted request never reached the upstream');
    await d.close();
  });

  it('one saturated provider never delays another', async () => {
    const pa = limited('block', 0);
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.setDefault('delay:200');
    const order: string[] = [];
    const held = [0, 1].map((i) => d.chat(chatRequest(), plan(target(pa)), { signal: signal() }).then(() => order.push(`a${i}`)));
    await new Promise((r) => setTimeout(r, 20));
    const r = await d.chat(chatRequest(), plan(target(pb)), { signal: signal() });
    order.push('b');
    assert.equal(r.served.provider, 'b');
    await Promise.all(held);
    assert.deepEqual(order, ['b', 'a0', 'a1'], 'b answered while a was still busy with its queue');
    await d.close();
  });
});
