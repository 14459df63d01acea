/** Router semantics: ordering, scopes, shadow mode, disabled rules, missing headers, numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter, explain } from '../../src/rules/index.js';
import { bundleOf, ctx, PRINCIPALS, text } from './helpers.js';

const rule = (id: string, when: string, extra = '') => `  - id: ${id}\n    when: '${when}'\n    route: openai/gpt-4o-mini\n${extra ? `    ${extra.trim().split('\n').join('\n    ')}\n` : ''}`;

describe('ordering', () => {
  it('priority ascending, then scope specificity, then file name and position', () => {
    const bundle = bundleOf({
      'rules/b.yaml': `rules:\n${rule('b-global-50', 'true', 'priority: 50')}${rule('b-team-50', 'true', 'priority: 50\nscope: {team: ml-research}')}`,
      'rules/a.yaml': `rules:\n${rule('a-global-50', 'true', 'priority: 50')}${rule('a-vk-50', 'true', 'priority: 50\nscope: {virtual_key: vk-app}')}${rule('a-customer-50', 'true', 'priority: 50\nscope: {customer: acme}')}${rule('a-global-10', 'true', 'priority: 10')}`,
    });
    assert.deepEqual(bundle.rules.map((r) => r.id), ['a-global-10', 'a-vk-50', 'b-team-50', 'a-customer-50', 'a-global-50', 'b-global-50']);
    const router = createRouter(bundle);
    assert.equal(router.decide(ctx(PRINCIPALS['vk-app'])).rule_id, 'a-global-10');
  });

  it('the first enforcing match wins and later enforcing rules are not evaluated', () => {
    const bundle = bundleOf({
      'rules/a.yaml': `rules:\n${rule('first', 'tier == "premium"', 'priority: 1')}${rule('second', 'true', 'priority: 2')}${rule('boom', 'headers["nope"] == "x"', 'priority: 3')}`,
    });
    const d = createRouter(bundle).decide(ctx({ tier: 'premium' }));
    assert.equal(d.rule_id, 'first');
    assert.deepEqual(d.errors, [], 'the erroring rule after the winner was never evaluated');
    assert.equal(createRouter(bundle).decide(ctx()).rule_id, 'second');
  });

  it('the same inputs always give the same decision', () => {
    const bundle = bundleOf({ 'rules/a.yaml': `rules:\n${rule('x', 'model == "gpt-4o"')}` });
    const a = createRouter(bundle, { rng: () => 0.3 });
    const b = createRouter(bundle, { rng: () => 0.3 });
    for (const c of [ctx(), ctx({ model: 'gpt-4o-mini' }), ctx({ model: 'claude-sonnet-4' })]) {
      assert.deepEqual({ ...b.decide(c), cached: false }, { ...a.decide(c), cached: false });
    }
  });
});

describe('scopes', () => {
  const bundle = bundleOf({
    'rules/a.yaml': `rules:\n${rule('for-acme', 'true', 'scope: {customer: acme}')}${rule('for-support', 'true', 'scope: {team: support}\npriority: 100')}${rule('for-solo', 'true', 'scope: {virtual_key: vk-solo}')}${rule('global', 'true', 'priority: 200')}`,
  });
  const router = createRouter(bundle);
  it('a rule applies only to requests of its customer, team or virtual key', () => {
    assert.equal(router.decide(ctx(PRINCIPALS['vk-support'])).rule_id, 'for-support', 'team beats customer at equal priority');
    assert.equal(router.decide(ctx(PRINCIPALS['vk-app'])).rule_id, 'for-acme');
    assert.equal(router.decide(ctx(PRINCIPALS['vk-solo'])).rule_id, 'for-solo');
    assert.equal(router.decide(ctx()).rule_id, 'global');
  });
  it('the decision records the rule scope and priority', () => {
    const d = router.decide(ctx(PRINCIPALS['vk-support']));
    assert.equal(d.scope, 'team:support');
    assert.equal(d.priority, 100);
  });
});

describe('shadow mode', () => {
  const bundle = bundleOf({
    'rules/a.yaml': `rules:\n${rule('trial-before', 'true', 'mode: shadow\npriority: 1')}${rule('real', 'tier == "premium"', 'priority: 5')}${rule('trial-after', 'model == "gpt-4o"', 'mode: shadow\npriority: 9')}${rule('trial-false', 'false', 'mode: shadow')}`,
  });
  const router = createRouter(bundle);
  it('shadow rules never route; every matching one, before or after the winner, is reported', () => {
    const d = router.decide(ctx({ tier: 'premium' }));
    assert.equal(d.rule_id, 'real');
    assert.deepEqual(d.shadow_matches, ['trial-before', 'trial-after']);
  });
  it('with no enforcing match, traffic is balanced and shadow matches are still reported', () => {
    const d = router.decide(ctx());
    assert.equal(d.via, 'balance');
    assert.equal(d.rule_id, null);
    assert.deepEqual(d.shadow_matches, ['trial-before', 'trial-after']);
  });
});

describe('disabled rules', () => {
  it('are skipped, and explain says so', () => {
    const bundle = bundleOf({ 'rules/a.yaml': `rules:\n${rule('off', 'true', 'enabled: false\npriority: 1')}${rule('on', 'true')}` });
    const router = createRouter(bundle);
    assert.equal(router.decide(ctx()).rule_id, 'on');
    assert.deepEqual(explain(router, ctx()).rules.map((r) => [r.rule_id, r.status]), [['off', 'disabled'], ['on', 'matched']]);
  });
});

describe('missing headers', () => {
  const bundle = bundleOf({
    'rules/a.yaml': text(`
      rules:
        - id: negated
          when: '!(headers["x-tier"] == "premium")'
          route: anthropic/claude-haiku-4
          priority: 1
        - id: guarded-in
          when: '"x-tier" in headers && headers["x-tier"] != "premium"'
          route: gemini/gemini-2.5-flash
          priority: 2
        - id: guarded-optional
          when: 'headers[?"x-tier"].orValue("none") == "none"'
          route: groq/llama-3.3-70b-versatile
          priority: 3
    `),
  });
  const router = createRouter(bundle);

  it('reading an absent header is an evaluation error: the rule does not match, even negated, and the error is recorded', () => {
    const d = router.decide(ctx({ model: 'gpt-4o-mini' }));
    assert.notEqual(d.rule_id, 'negated');
    assert.deepEqual(d.errors, [{ rule_id: 'negated', message: 'No such key: x-tier' }]);
  });
  it('`"x" in headers` and `headers[?"x"]` are the guards', () => {
    assert.equal(router.decide(ctx()).rule_id, 'guarded-optional');
    assert.equal(router.decide(ctx({ headers: { 'x-tier': 'basic' } })).rule_id, 'negated');
    const premium = router.decide(ctx({ headers: { 'x-tier': 'premium' } }));
    assert.equal(premium.rule_id, null);
    assert.deepEqual(premium.errors, []);
  });
  it('a header read with a default is checked before CEL runs: the default stands for a missing header', () => {
    const b = bundleOf({ 'rules/a.yaml': `rules:\n${rule('canary', 'headers[?"x-canary"].orValue("off") == "on"')}${rule('stable', 'headers.?x_track.orValue("stable") in ["stable", "lts"]')}` });
    const [canary, stable] = b.rules;
    assert.ok(canary.guard !== null && stable.guard !== null);
    // The default cannot match: a request without the header skips the rule's CEL.
    assert.equal(canary.guard(ctx()), false);
    assert.equal(canary.guard(ctx({ headers: { 'x-canary': 'off' } })), false);
    assert.equal(canary.guard(ctx({ headers: { 'x-canary': 'on' } })), true);
    // The default matches: CEL decides.
    assert.equal(stable.guard(ctx()), true);
    assert.equal(stable.guard(ctx({ headers: { x_track: 'lts' } })), true);
    assert.equal(stable.guard(ctx({ headers: { x_track: 'beta' } })), false);
    const router = createRouter(b);
    assert.equal(router.decide(ctx({ headers: { 'x-canary': 'on' } })).rule_id, 'canary');
    assert.equal(router.decide(ctx({ headers: { x_track: 'beta' } })).rule_id, null);
    assert.equal(router.decide(ctx()).rule_id, 'stable');
  });
  it('explain shows the error with its message', () => {
    const trace = explain(router, ctx()).rules;
    assert.deepEqual(trace.map((r) => [r.rule_id, r.status, r.message]), [
      ['negated', 'error', 'No such key: x-tier'],
      ['guarded-in', 'false', undefined],
      ['guarded-optional', 'matched', undefined],
    ]);
  });
  it('header names are matched lowercase, and "constructor" is just a missing key', () => {
    const b = bundleOf({ 'rules/a.yaml': `rules:\n${rule('proto', 'headers["constructor"] == "x"')}` });
    const d = createRouter(b).decide(ctx());
    assert.equal(d.rule_id, null);
    assert.deepEqual(d.errors, [{ rule_id: 'proto', message: 'No such key: constructor' }]);
  });
});

describe('numbers', () => {
  const cases: [string, Partial<Parameters<typeof ctx>[0]>, boolean][] = [
    ['budget_used > 85', { budget_used: 90 }, true],
    ['budget_used > 85', { budget_used: 85 }, false],
    ['budget_used >= 85.5', { budget_used: 85.5 }, true],
    ['budget_used == 90', { budget_used: 90 }, true],
    ['90 == budget_used', { budget_used: 90 }, true],
    ['budget_used != 90', { budget_used: 90.5 }, true],
    ['budget_used + 10 > 95', { budget_used: 90 }, true],
    ['budget_used / 2 == 45', { budget_used: 90 }, true],
    ['budget_used in [90, 95]', { budget_used: 95 }, true],
    ['budget_used in [90, 95]', { budget_used: 92 }, false],
    ['params.max_tokens in [1000, 2000]', { params: { max_tokens: 1000 } }, true],
    ['params.max_tokens in [1000, 2000]', { params: { max_tokens: 1500 } }, false],
    ['params.max_tokens in [1000.0, 2000.0]', { params: { max_tokens: 2000 } }, true],
    ['tokens_used < 50 && requests_used <= 10', { tokens_used: 12.25, requests_used: 10 }, true],
    ['params.max_tokens > 4000', { params: { max_tokens: 4096 } }, true],
    ['params.max_tokens > 4000', { params: { max_tokens: 4000 } }, false],
    ['params.max_tokens == 4096', { params: { max_tokens: 4096 } }, true],
    ['params.max_tokens * 2 >= 8192', { params: { max_tokens: 4096 } }, true],
    ['params.temperature < 0.5', { params: { temperature: 0.2 } }, true],
    ['params.temperature == 1', { params: { temperature: 1 } }, true],
    ['params.tools > 0 && params.messages >= 3', { params: { tools: 2, messages: 3 } }, true],
    ['int(params.max_tokens) == 4096', { params: { max_tokens: 4096 } }, true],
    ['now > timestamp("2025-01-01T00:00:00Z") && now.getHours("UTC") == 10', {}, true],
  ];
  for (const [when, over, expected] of cases) {
    it(`${when} → ${expected}`, () => {
      const router = createRouter(bundleOf({ 'rules/a.yaml': `rules:\n${rule('n', when)}` }));
      const d = router.decide(ctx(over));
      assert.deepEqual(d.errors, []);
      assert.equal(d.rule_id, expected ? 'n' : null);
    });
  }
});

describe('matches: RE2, as CEL specifies', () => {
  const cases: [string, Partial<Parameters<typeof ctx>[0]>, boolean][] = [
    ['model.matches("^gpt-4")', { model: 'gpt-4o' }, true],
    ['model.matches("4o")', { model: 'gpt-4o' }, true],
    ['model.matches("^4o")', { model: 'gpt-4o' }, false],
    ['model.matches("(?i)^GPT")', { model: 'gpt-4o' }, true],
    ['headers[?"x-q"].orValue("").matches(headers[?"x-p"].orValue("^$"))', { headers: { 'x-q': 'abc', 'x-p': 'b+' } }, true],
  ];
  for (const [when, over, expected] of cases) {
    it(`${when} → ${expected}`, () => {
      const d = createRouter(bundleOf({ 'rules/a.yaml': `rules:\n${rule('m', when)}` })).decide(ctx(over));
      assert.deepEqual(d.errors, []);
      assert.equal(d.rule_id, expected ? 'm' : null);
    });
  }

  // A backtracking RegExp takes about 2^n steps for this pattern on n "a"s and a "!": with
  // n = 40 the test would run for days, and the gateway's event loop with it.
  it('takes linear time: a pattern with nested repetition on a hostile header', { timeout: 20_000 }, () => {
    const router = createRouter(bundleOf({ 'rules/a.yaml': `rules:\n${rule('redos', 'headers[?"x-q"].orValue("").matches("^(a+)+$")')}` }));
    const d = router.decide(ctx({ headers: { 'x-q': `${'a'.repeat(40)}!` } }));
    assert.deepEqual([d.rule_id, d.errors], [null, []]);
    assert.equal(router.decide(ctx({ headers: { 'x-q': 'a'.repeat(40) } })).rule_id, 'redos');
  });

  it('a pattern from the request that RE2 refuses is an evaluation error: the rule does not match', () => {
    const d = createRouter(bundleOf({ 'rules/a.yaml': `rules:\n${rule('dyn', 'model.matches(headers[?"x-p"].orValue(""))')}` })).decide(ctx({ headers: { 'x-p': '(?=x)' } }));
    assert.equal(d.rule_id, null);
    assert.match(d.errors[0]?.message ?? '', /invalid regular expression "\(\?=x\)"/);
  });
});
