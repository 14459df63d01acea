/**
 * DispatchOptions.admission: before the first call to a target on a provider other than
 * the one admitted, dispatch moves the request's admission there. A provider-level
 * refusal passes the target over (recorded like a cooldown); any other error ends the
 * request; with no target left, the refusal is the answer.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { DispatchError, type FallbackAdmission } from '../../src/dispatch/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, plan, provider, rejection, signal, target } from './helpers.js';

let a: FakeUpstream;
let b: FakeUpstream;
let c: FakeUpstream;

before(async () => {
  [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => startFakeUpstream({ name })));
});
after(async () => {
  await Promise.all([a, b, c].map((f) => f.close()));
});
beforeEach(() => {
  for (const f of [a, b, c]) {
    f.reset();
    f.setDefault('ok');
  }
});

/** Records each move; refuses the providers it is told to, or makes a move wait. */
class FakeAdmission implements FallbackAdmission {
  readonly moves: string[] = [];
  readonly refusals = new Map<string, unknown>();
  wait: Promise<void> | null = null;

  moveTo(t: { provider: string; model: string }): void | Promise<void> {
    this.moves.push(`${t.provider}/${t.model}`);
    const err = this.refusals.get(t.provider);
    if (err !== undefined) throw err;
    if (this.wait !== null) return this.wait;
  }
}

const spent = (id: string, level = 'provider') =>
  new SwitchyardError('SY_ERR_BUDGET_EXCEEDED', `Budget for ${level} "${id}" is spent`, { retryAfter: 3600, details: { level, id } });
const limited = (id: string) =>
  new SwitchyardError('SY_ERR_RATE_LIMITED', `Rate limit: provider "${id}" allows 1 requests per 1m`, { retryAfter: 42, details: { level: 'provider', id, limit: 'requests' } });

function providers() {
  return { pa: provider('a', { url: a.url }), pb: provider('b', { url: b.url }), pc: provider('c', { url: c.url }) };
}

describe('moving the admission to a fallback provider', () => {
  it('is never asked while the primary serves', async () => {
    const { pa, pb } = providers();
    const d = dispatcher({ providers: [pa, pb] });
    const admission = new FakeAdmission();
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal(), admission });
    assert.equal(r.served.provider, 'a');
    assert.deepEqual(admission.moves, []);
    await d.close();
  });

  it('is asked once per provider, before its first call', async () => {
    const { pa, pb } = providers();
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    b.script(['status:500', 'ok']);
    const admission = new FakeAdmission();
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb, 'm1'), target(pb, 'm2')]), { signal: signal(), admission });
    assert.deepEqual(r.served, { provider: 'b', model: 'm2', key: 'b-key' });
    assert.deepEqual(admission.moves, ['b/m1'], 'another model of the provider it moved to needs no move');
    await d.close();
  });

  it("a provider's refusal passes its target over without a call, and the next target serves", async () => {
    const { pa, pb, pc } = providers();
    const d = dispatcher({ providers: [pa, pb, pc], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    for (const [err, reason] of [[spent('b'), 'budget_exceeded'], [limited('b'), 'rate_limit_exceeded']] as const) {
      const admission = new FakeAdmission();
      admission.refusals.set('b', err);
      const r = await d.chat(chatRequest(), plan(target(pa), [target(pb), target(pc)]), { signal: signal(), admission });
      assert.equal(r.served.provider, 'c');
      assert.deepEqual(r.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 500, 'server_error'], ['b', 0, reason], ['c', 200, null]]);
      assert.equal(r.attempts[1].error, err.message);
      assert.deepEqual(admission.moves, ['b/gpt-test', 'c/gpt-test']);
    }
    assert.equal(b.calls, 0);
    await d.close();
  });

  it('with no target left, the refusal is the answer, with its Retry-After', async () => {
    const { pa, pb } = providers();
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    for (const [err, code, retryAfter] of [[spent('b'), 'SY_ERR_BUDGET_EXCEEDED', 3600], [limited('b'), 'SY_ERR_RATE_LIMITED', 42]] as const) {
      const admission = new FakeAdmission();
      admission.refusals.set('b', err);
      const e = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal(), admission }));
      assert.ok(e instanceof DispatchError);
      assert.equal(e.code, code);
      assert.equal(e.status, 429);
      assert.equal(e.retryAfter, retryAfter);
      assert.deepEqual(e.details, err.details);
      assert.match(e.message, /earlier: a\/gpt-test: /);
      assert.deepEqual(e.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 500, 'server_error'], ['b', 0, code === 'SY_ERR_BUDGET_EXCEEDED' ? 'budget_exceeded' : 'rate_limit_exceeded']]);
    }
    assert.equal(b.calls, 0);
    await d.close();
  });

  it("any other error ends the request with it: the principal's own limit, a store that is down", async () => {
    const { pa, pb, pc } = providers();
    const d = dispatcher({ providers: [pa, pb, pc], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    const errors = [
      spent('ml', 'team'),
      new SwitchyardError('SY_ERR_UNAVAILABLE', 'The budget and rate-limit store is unavailable', { retryAfter: 1 }),
    ];
    for (const err of errors) {
      const admission = new FakeAdmission();
      admission.refusals.set('b', err);
      const e = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb), target(pc)]), { signal: signal(), admission }));
      assert.ok(e instanceof DispatchError);
      assert.equal(e.code, err.code);
      assert.equal(e.status, err.status);
      assert.equal(e.retryAfter, err.retryAfter);
      assert.deepEqual(e.attempts.map((x) => [x.provider, x.status]), [['a', 500]]);
      assert.deepEqual(admission.moves, ['b/gpt-test']);
    }
    const admission = new FakeAdmission();
    admission.refusals.set('b', new TypeError('boom'));
    const e = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal(), admission }));
    assert.equal(e.code, 'SY_ERR_INTERNAL');
    assert.equal(b.calls + c.calls, 0);
    await d.close();
  });

  it('a refusal leaves the admission where it was: back on the admitted provider, nothing is moved', async () => {
    const { pa, pb } = providers();
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.script(['status:500', 'ok']);
    const admission = new FakeAdmission();
    admission.refusals.set('b', spent('b'));
    const r = await d.chat(chatRequest(), plan(target(pa, 'm1'), [target(pb), target(pa, 'm2')]), { signal: signal(), admission });
    assert.deepEqual(r.served, { provider: 'a', model: 'm2', key: 'a-key' });
    assert.deepEqual(admission.moves, ['b/gpt-test']);
    await d.close();
  });

  it('moving back to a provider admitted before asks again: the move in between replaced it', async () => {
    const { pa, pb, pc } = providers();
    const d = dispatcher({ providers: [pa, pb, pc], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    b.setDefault('status:500');
    c.setDefault('status:500');
    const admission = new FakeAdmission();
    await rejection(d.chat(chatRequest(), plan(target(pa), [target(pb), target(pc), target(pa, 'm2')]), { signal: signal(), admission }));
    assert.deepEqual(admission.moves, ['b/gpt-test', 'c/gpt-test', 'a/m2']);
    await d.close();
  });

  it('a client gone while the move waits ends the request, and the fallback is not called', async () => {
    const { pa, pb } = providers();
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    const admission = new FakeAdmission();
    let moved!: () => void;
    admission.wait = new Promise<void>((r) => (moved = r));
    const ac = new AbortController();
    const pending = d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: ac.signal, admission });
    for (let i = 0; i < 400 && admission.moves.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(admission.moves, ['b/gpt-test']);
    ac.abort();
    moved();
    const e = await rejection<DispatchError>(pending);
    assert.equal(e.clientAborted, true);
    assert.equal(b.calls, 0);
    await d.close();
  });

  it("a refused provider's queue slot is given back", async () => {
    const { pa, pc } = providers();
    const pb = provider('b', { url: b.url, concurrency: { max_in_flight: 1, queue_size: 0, queue_policy: 'error' } });
    const d = dispatcher({ providers: [pa, pb, pc], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    const admission = new FakeAdmission();
    admission.refusals.set('b', limited('b'));
    for (let i = 0; i < 3; i++) {
      const r = await d.chat(chatRequest(), plan(target(pa), [target(pb), target(pc)]), { signal: signal(), admission });
      assert.equal(r.served.provider, 'c');
      assert.equal(r.attempts[1].fallback_reason, 'rate_limit_exceeded', 'not overloaded: its slot was given back');
    }
    const r = await d.chat(chatRequest(), plan(target(pb)), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    await d.close();
  });
});
