/** Targets, weighted targets, pinned keys, fallbacks, unavailable targets and the fall-through. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter } from '../../src/rules/index.js';
import type { FallbackReason } from '../../src/errors.js';
import { bundleOf, CONFIG, ctx, PRINCIPALS, text } from './helpers.js';

const bundle = bundleOf({
  'rules/a.yaml': text(`
    rules:
      - id: premium
        when: tier == "premium"
        route: anthropic/claude-sonnet-4
        fallbacks: [openai/gpt-4o, gemini/gemini-2.5-pro#ge-main]
        fallback_on: [rate_limited, overloaded]
      - id: split
        when: headers[?"x-split"].hasValue()
        targets:
          - {provider: gemini, model: gemini-2.5-pro, weight: 3}
          - {provider: openai, model: gpt-4o, weight: 1}
          - {provider: groq, model: llama-3.3-70b-versatile, weight: 0}
        fallbacks: [anthropic/claude-sonnet-4]
      - id: pinned-spare
        when: headers[?"x-spare"].hasValue()
        route: openai/gpt-4o#oa-spare
  `),
});
const unavailable = (...names: string[]) => new Map<string, FallbackReason>(names.map((n) => [n, 'cooldown']));
const spent = (...names: string[]) => new Map<string, FallbackReason>(names.map((n) => [n, 'budget_exceeded']));

describe('rule targets', () => {
  const router = createRouter(bundle);
  it('route: the one target, a key chosen among the eligible ones, fallbacks in order with their classes', () => {
    const d = router.decide(ctx({ tier: 'premium' }), { draw: 0.5 });
    assert.equal(d.via, 'rule');
    assert.deepEqual(d.selected, { provider: 'anthropic', model: 'claude-sonnet-4', key: 'an-main' });
    assert.deepEqual(d.targets, [{ provider: 'anthropic', model: 'claude-sonnet-4', key: 'an-main', weight: 1 }]);
    assert.deepEqual(d.fallbacks, [{ provider: 'openai', model: 'gpt-4o', key: null }, { provider: 'gemini', model: 'gemini-2.5-pro', key: 'ge-main' }]);
    assert.deepEqual(d.fallback_on, ['rate_limited', 'overloaded']);
    assert.equal(d.inputs.draw, 0.5);
  });

  it('fallback_on defaults to routing.default_fallback_on, else the built-in classes', () => {
    const d = router.decide(ctx({ headers: { 'x-split': '1' } }), { draw: 0 });
    assert.deepEqual(d.fallback_on, ['rate_limited', 'server_error', 'timeout', 'connection_error', 'stream_error', 'overloaded']);
  });

  it('routing.default_fallback_on from the config applies to rules without fallback_on, and to balancing', () => {
    const b = bundleOf({ 'rules/a.yaml': "rules:\n  - id: a\n    when: tier == 'x'\n    route: openai/gpt-4o\n" }, `${CONFIG}routing: {default_fallback_on: [timeout, cooldown]}\n`);
    const r = createRouter(b);
    assert.deepEqual(r.decide(ctx({ tier: 'x' })).fallback_on, ['timeout', 'cooldown']);
    assert.deepEqual(r.decide(ctx()).fallback_on, ['timeout', 'cooldown']);
  });

  it('weighted targets: normalized weights, the draw picks; weight 0 is standby', () => {
    const h = { headers: { 'x-split': '1' } };
    assert.deepEqual(router.decide(ctx(h), { draw: 0 }).targets.map((t) => [t.provider, t.key, t.weight]), [
      ['gemini', 'ge-main', 0.75], ['openai', 'oa-main', 0.25], ['groq', 'gr-main', 0],
    ]);
    assert.equal(router.decide(ctx(h), { draw: 0.74 }).selected?.provider, 'gemini');
    assert.equal(router.decide(ctx(h), { draw: 0.76 }).selected?.provider, 'openai');
    const standby = router.decide(ctx(h), { draw: 0.9, unavailable: unavailable('gemini', 'openai') });
    assert.equal(standby.selected?.provider, 'groq', 'a weight-0 target serves when no weighted one can');
    assert.deepEqual(standby.inputs.unavailable, ['gemini:cooldown', 'openai:cooldown']);
  });

  it('a pinned key is used even with weight 0; an unpinned target never draws a weight-0 key', () => {
    assert.deepEqual(router.decide(ctx({ headers: { 'x-spare': '1' } }), { draw: 0.99 }).selected, { provider: 'openai', model: 'gpt-4o', key: 'oa-spare' });
    for (const draw of [0, 0.5, 0.99]) {
      assert.equal(router.decide(ctx({ headers: { 'x-split': '1' } }), { draw: 0.8 + draw * 0.19 }).selected?.key, 'oa-main');
    }
  });

  it('unavailable targets are skipped for the primary choice and listed in inputs.unavailable', () => {
    const d = router.decide(ctx({ headers: { 'x-split': '1' } }), { draw: 0.1, unavailable: unavailable('gemini') });
    assert.deepEqual(d.selected, { provider: 'openai', model: 'gpt-4o', key: 'oa-main' });
    assert.deepEqual(d.targets.map((t) => [t.provider, t.weight]), [['openai', 1], ['groq', 0]]);
    assert.deepEqual(d.inputs.unavailable, ['gemini:cooldown']);
  });

  it('when every target is unavailable, the first available fallback serves and the rest stay fallbacks', () => {
    const d = router.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: unavailable('anthropic', 'openai') });
    assert.equal(d.rule_id, 'premium');
    assert.deepEqual(d.selected, { provider: 'gemini', model: 'gemini-2.5-pro', key: 'ge-main' });
    assert.deepEqual(d.fallbacks, []);
    assert.deepEqual(d.inputs.unavailable, ['anthropic:cooldown', 'openai:cooldown']);
  });

  it('a key can be unavailable on its own (provider#key)', () => {
    const d = router.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: unavailable('anthropic#an-main') });
    assert.deepEqual(d.selected, { provider: 'openai', model: 'gpt-4o', key: 'oa-main' });
    assert.deepEqual(d.inputs.unavailable, ['anthropic#an-main:cooldown']);
  });

  it('nothing available at all: the rule still decides, with no selection and reason no_route', () => {
    const d = router.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: spent('anthropic', 'openai', 'gemini') });
    assert.equal(d.rule_id, 'premium');
    assert.equal(d.selected, null);
    assert.equal(d.reason, 'no_route');
  });

  it('every target cooling down: panic, the rule routes as if none were, and says so', () => {
    const d = router.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: unavailable('anthropic', 'openai', 'gemini') });
    assert.equal(d.rule_id, 'premium');
    assert.equal(d.panic, true);
    assert.deepEqual(d.selected, { provider: 'anthropic', model: 'claude-sonnet-4', key: 'an-main' });
    assert.deepEqual(d.fallbacks.map((f) => f.provider), ['openai', 'gemini']);
    assert.deepEqual(d.inputs.unavailable, ['anthropic:cooldown', 'openai:cooldown', 'gemini:cooldown']);
  });

  it('panic passes over a cooldown only: a spent budget still rules a target out', () => {
    const mixed = new Map<string, FallbackReason>([['anthropic', 'budget_exceeded'], ['openai', 'cooldown'], ['gemini', 'cooldown']]);
    const d = router.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: mixed });
    assert.equal(d.panic, true);
    assert.deepEqual(d.selected, { provider: 'openai', model: 'gpt-4o', key: 'oa-main' });
    const one = router.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: unavailable('anthropic') });
    assert.equal(one.panic, undefined, 'a fallback was available: no panic');
  });

  it('with dispatch.cooldown.panic false, every target cooling down is no route', () => {
    const strict = createRouter({ ...bundle, settings: { ...bundle.settings, panic: false } });
    const d = strict.decide(ctx({ tier: 'premium' }), { draw: 0, unavailable: unavailable('anthropic', 'openai', 'gemini') });
    assert.equal(d.selected, null);
    assert.equal(d.reason, 'no_route');
  });
});

describe('unmatched traffic', () => {
  const router = createRouter(bundle);
  it('is balanced over the providers that allow the model, by provider then key weight', () => {
    const d = router.decide(ctx({ model: 'gpt-4o' }), { draw: 0 });
    assert.equal(d.via, 'balance');
    assert.deepEqual(d.targets.map((t) => [t.provider, t.key, t.weight]), [['openai', 'oa-main', 0.666667], ['gemini', 'ge-main', 0.333333]]);
    assert.deepEqual(d.fallbacks, [{ provider: 'gemini', model: 'gpt-4o', key: null }]);
    const mini = router.decide(ctx({ model: 'gpt-4o-mini' }), { draw: 0.9 });
    assert.deepEqual(mini.targets.map((t) => [t.key, t.weight]), [['oa-main', 0.75], ['oa-mini', 0.25]]);
    assert.equal(mini.selected?.key, 'oa-mini', 'the draw is rescaled within the chosen provider for the key');
  });

  it("is balanced only over the providers the caller's allowlists allow; with none allowed the plan stays whole (the gateway answers 403)", () => {
    // vk-solo's customer globex may use gemini only; vk-support's team may use gpt-4o-mini only.
    const limited = createRouter(bundleOf({ 'rules/none.yaml': 'rules: []\n' }, CONFIG
      .replace('{id: globex}', '{id: globex, allowed_providers: [gemini]}')
      .replace('{id: vk-support, team: support,', '{id: vk-support, team: support, allowed_models: [gpt-4o-mini],')));
    for (const draw of [0, 0.5, 0.99]) {
      const d = limited.decide(ctx({ ...PRINCIPALS['vk-solo'], model: 'gpt-4o' }), { draw });
      assert.deepEqual([d.via, d.selected?.provider, d.targets.map((t) => t.provider), d.fallbacks], ['balance', 'gemini', ['gemini'], []]);
    }
    assert.deepEqual(limited.decide(ctx({ model: 'gpt-4o' }), { draw: 0 }).targets.map((t) => t.provider), ['openai', 'gemini'], 'a caller without allowlists gets every provider');
    const refused = limited.decide(ctx({ ...PRINCIPALS['vk-support'], model: 'gpt-4o' }), { draw: 0 });
    assert.deepEqual(refused.targets.map((t) => t.provider), ['openai', 'gemini'], 'nothing allowed: every provider stays, for the 403');
  });

  it('provider/model restricts to that provider, even one with weight 0 (via pinned)', () => {
    const d = router.decide(ctx({ provider: 'mock', model: 'anything' }), { draw: 0.3 });
    assert.equal(d.via, 'pinned');
    assert.deepEqual(d.selected, { provider: 'mock', model: 'anything', key: null });
  });

  it('aliases resolve to a provider/model (pinned) or to another model (balanced)', () => {
    assert.deepEqual(router.decide(ctx({ model: 'fast' })).selected, { provider: 'groq', model: 'llama-3.3-70b-versatile', key: 'gr-main' });
    const d = router.decide(ctx({ model: 'default-chat' }), { draw: 0 });
    assert.equal(d.via, 'balance');
    assert.equal(d.selected?.model, 'gpt-4o-mini');
  });

  it('a model nothing allows: via none, reason model_not_allowed, no exception', () => {
    for (const c of [ctx({ model: 'gpt-9' }), ctx({ provider: 'anthropic', model: 'gpt-4o' }), ctx({ provider: 'legacy', model: 'gpt-4o' })]) {
      const d = router.decide(c);
      assert.equal(d.via, 'none');
      assert.equal(d.reason, 'model_not_allowed');
      assert.equal(d.selected, null);
    }
  });

  it('every candidate unavailable: via none, reason no_route', () => {
    const d = router.decide(ctx({ model: 'claude-haiku-4' }), { unavailable: spent('anthropic') });
    assert.equal(d.via, 'none');
    assert.equal(d.reason, 'no_route');
  });

  it('every candidate cooling down: balanced as if none were (panic)', () => {
    const d = router.decide(ctx({ model: 'claude-haiku-4' }), { unavailable: unavailable('anthropic') });
    assert.equal(d.via, 'balance');
    assert.equal(d.panic, true);
    assert.equal(d.selected?.provider, 'anthropic');
    assert.deepEqual(d.inputs.unavailable, ['anthropic:cooldown']);
  });

  it('the decision carries the inputs snapshot and the revision', () => {
    const c = ctx({ headers: { 'x-a': '1' }, params: { max_tokens: 10 }, budget_used: 12.5 });
    const d = router.decide(c, { draw: 0.25 });
    assert.deepEqual(d.inputs, {
      headers: { 'x-a': '1' }, tier: '', team: '', customer: '', virtual_key: '', model: 'gpt-4o', provider: '', endpoint: 'chat',
      stream: false, params: { max_tokens: 10 }, budget_used: 12.5, tokens_used: 0, requests_used: 0, now: '2025-06-02T10:00:00.000Z', draw: 0.25,
    });
    assert.equal(d.revision, bundle.revision);
    // Contexts are per request and never mutated after decide (decision.ts), so the
    // record shares the context's maps rather than copying them on the hot path.
    assert.equal(d.inputs.headers, c.headers);
    assert.equal(d.inputs.params, c.params);
  });

  it('the injected rng supplies the draw when none is given', () => {
    const draws = [0.1, 0.9];
    const r = createRouter(bundle, { rng: () => draws.shift()! });
    assert.equal(r.decide(ctx()).inputs.draw, 0.1);
    assert.equal(r.decide(ctx()).inputs.draw, 0.9);
  });
});
