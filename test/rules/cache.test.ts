/**
 * Cache agreement: the router with its index, shape cache, guards and decision memo
 * (small, so entries are evicted) decides exactly as the naive router (every rule in
 * order, nothing cached) on random rule sets, requests and states.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FallbackReason } from '../../src/errors.js';
import type { RoutingContext } from '../../src/decision.js';
import { createRouter, type RuleBundle } from '../../src/rules/index.js';
import { MEMO_KEY_MAX_CHARS } from '../../src/rules/router.js';
import { CONFIG, compileTree, ctx, PRINCIPALS } from './helpers.js';

const CONDITIONS = [
  'tier == "premium"', 'tier == "gold"', 'model == "gpt-4o"', 'model in ["gpt-4o", "gpt-4o-mini"]', '"claude-sonnet-4" == model',
  'endpoint == "chat"', 'endpoint != "embeddings"', 'endpoint == "count_tokens"', 'headers["x-tier"] == "premium"', '"x-tier" in headers',
  'headers[?"x-team"].orValue("") == "a"', 'headers[?"x-team"].orValue("b") == "b"', 'headers.?x_flag.orValue("off") in ["on", "x"]', 'headers.x_flag == "on"', 'budget_used > 50', 'tokens_used >= 20 || requests_used > 90',
  'params.max_tokens > 1000', 'has(params.max_tokens) && params.max_tokens > 1000', 'params.temperature == 1', 'stream',
  '!stream', 'now.getHours("UTC") < 12', 'true', 'false', 'size(headers) > 1', 'team == "support"', 'virtual_key == "vk-app"',
  'provider == "mock"', 'customer == "acme" && headers["x-team"] == "b"', 'has(params.max_tokens) && 1 / params.max_tokens < 0',
];
const SCOPES = ['global', '{customer: acme}', '{team: support}', '{team: ml-research}', '{virtual_key: vk-app}', '{customer: globex}'];
const ROUTES = ['openai/gpt-4o', 'anthropic/claude-sonnet-4', 'gemini/gemini-2.5-pro', 'groq/llama-3.3-70b-versatile', 'openai/gpt-4o-mini#oa-mini'];

const ruleArb = fc.record({
  conds: fc.array(fc.constantFrom(...CONDITIONS), { minLength: 1, maxLength: 3 }),
  join: fc.constantFrom(' && ', ' || '),
  negate: fc.boolean(),
  scope: fc.constantFrom(...SCOPES),
  priority: fc.integer({ min: 1, max: 4 }),
  shadow: fc.boolean(),
  enabled: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
  route: fc.constantFrom(...ROUTES),
  weighted: fc.boolean(),
});

type RuleSpec = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never;

function ruleFile(rules: RuleSpec[]): string {
  const lines = ['rules:'];
  rules.forEach((r, i) => {
    const when = `${r.negate ? '!(' : '('}${r.conds.join(r.join)})`;
    lines.push(`  - id: r${i}`, `    when: '${when}'`, `    scope: ${r.scope}`, `    priority: ${r.priority}`, `    mode: ${r.shadow ? 'shadow' : 'enforce'}`, `    enabled: ${r.enabled}`);
    if (r.weighted) lines.push('    targets: [{provider: gemini, model: gemini-2.5-pro, weight: 2}, {provider: openai, model: gpt-4o, weight: 1}]');
    else lines.push(`    route: ${r.route}`);
    lines.push('    fallbacks: [anthropic/claude-haiku-4, groq/llama-3.3-70b-versatile]');
  });
  return `${lines.join('\n')}\n`;
}

const requestArb = fc.record({
  principal: fc.constantFrom<keyof typeof PRINCIPALS | 'none'>('vk-app', 'vk-support', 'vk-solo', 'none'),
  model: fc.constantFrom('gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'claude-haiku-4', 'gemini-2.5-pro', 'fast', 'default-chat', 'nope'),
  mockProvider: fc.boolean(),
  endpoint: fc.constantFrom<RoutingContext['endpoint']>('chat', 'embeddings', 'messages', 'count_tokens'),
  stream: fc.boolean(),
  xTier: fc.option(fc.constantFrom('premium', 'basic'), { nil: undefined }),
  xTeam: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
  xFlag: fc.option(fc.constant('on'), { nil: undefined }),
  tierOverride: fc.option(fc.constantFrom('premium', 'gold', ''), { nil: undefined }),
  maxTokens: fc.option(fc.constantFrom(0, 500, 1000, 1001, 4096, -0), { nil: undefined }),
  temperature: fc.option(fc.constantFrom(0, 0.5, 1, null), { nil: undefined }),
  budget: fc.constantFrom(0, 12.5, 50, 50.5, 99),
  tokens: fc.constantFrom(0, 20, 80),
  requests: fc.constantFrom(0, 95),
  hour: fc.constantFrom(3, 11, 12, 20),
  draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  unavailable: fc.subarray(['openai', 'anthropic', 'gemini#ge-main', 'groq', 'openai#oa-main']),
});

type RequestSpec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function contextOf(r: RequestSpec): { c: RoutingContext; draw: number; unavailable: Map<string, FallbackReason> } {
  const headers: Record<string, string> = {};
  if (r.xTier !== undefined) headers['x-tier'] = r.xTier;
  if (r.xTeam !== undefined) headers['x-team'] = r.xTeam;
  if (r.xFlag !== undefined) headers.x_flag = r.xFlag;
  const principal = r.principal === 'none' ? { virtual_key: '', team: '', customer: '', tier: '' } : PRINCIPALS[r.principal];
  const params: RoutingContext['params'] = {};
  if (r.maxTokens !== undefined) params.max_tokens = r.maxTokens;
  if (r.temperature !== undefined) params.temperature = r.temperature;
  const c = ctx({
    ...principal,
    tier: r.tierOverride ?? headers['x-tier'] ?? principal.tier,
    headers,
    model: r.mockProvider ? 'anything' : r.model,
    provider: r.mockProvider ? 'mock' : '',
    endpoint: r.endpoint,
    stream: r.stream,
    params,
    budget_used: r.budget,
    tokens_used: r.tokens,
    requests_used: r.requests,
    now: new Date(Date.UTC(2025, 5, 2, r.hour, 0, 0)),
  });
  return { c, draw: r.draw, unavailable: new Map(r.unavailable.map((u) => [u, 'cooldown' as FallbackReason])) };
}

/** One-input changes of a request. */
const VARIATIONS: ((r: RequestSpec) => Partial<RequestSpec>)[] = [
  (r) => ({ stream: !r.stream }),
  (r) => ({ xTier: r.xTier === 'premium' ? undefined : 'premium' }),
  (r) => ({ xTeam: r.xTeam === 'a' ? 'b' : 'a' }),
  (r) => ({ xFlag: r.xFlag === undefined ? 'on' : undefined }),
  (r) => ({ tierOverride: r.tierOverride === 'gold' ? 'premium' : 'gold' }),
  (r) => ({ maxTokens: r.maxTokens === 4096 ? 0 : 4096 }),
  (r) => ({ maxTokens: r.maxTokens === 0 ? -0 : 0 }),
  (r) => ({ temperature: r.temperature === 1 ? null : 1 }),
  (r) => ({ budget: r.budget > 50 ? 12.5 : 99, hour: r.hour < 12 ? 20 : 3 }),
];

function withCaches(bundle: RuleBundle, shapes: number, decisions: number): RuleBundle {
  return { ...bundle, settings: { ...bundle.settings, shapeCacheSize: shapes, decisionCacheSize: decisions } };
}

describe('cached and uncached routers agree', () => {
  it('on random rule sets, requests and states (property)', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), fc.array(requestArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), (rules, requests, size) => {
        const compiled = compileTree({ 'rules/r.yaml': ruleFile(rules) });
        assert.ok(compiled.bundle, compiled.rendered);
        const naive = createRouter(compiled.bundle, { naive: true });
        const small = createRouter(withCaches(compiled.bundle, size, size + 1));
        const big = createRouter(compiled.bundle);
        // Every request, then variants differing in one input each (so that memo keys that
        // leave out an input would collide), then everything again from the memo.
        const variants = requests.flatMap((r) => [r, ...VARIATIONS.map((v) => ({ ...r, ...v(r) }))]);
        for (const r of [...variants, ...variants]) {
          const { c, draw, unavailable } = contextOf(r);
          const expected = { ...naive.decide(c, { draw, unavailable }), cached: false };
          assert.deepEqual({ ...small.decide(c, { draw, unavailable }), cached: false }, expected);
          assert.deepEqual({ ...big.decide(c, { draw, unavailable }), cached: false }, expected);
        }
      }),
      { numRuns: 60, seed: 424242 },
    );
  });

  it('the memo answers repeated requests of stable rules (decision.cached)', () => {
    const compiled = compileTree({ 'rules/r.yaml': "rules:\n  - id: a\n    when: 'headers[\"x-tier\"] == \"premium\"'\n    route: openai/gpt-4o\n  - id: b\n    when: budget_used > 50\n    route: anthropic/claude-sonnet-4\n" });
    const router = createRouter(compiled.bundle!);
    const c = ctx({ headers: { 'x-tier': 'premium' } });
    assert.equal(router.decide(c).cached, false);
    const again = router.decide(c, { draw: 0.7 });
    assert.equal(again.cached, true);
    assert.equal(again.rule_id, 'a');
    assert.equal(again.inputs.draw, 0.7, 'the draw is applied fresh');
    assert.equal(router.decide(ctx({ budget_used: 60 })).rule_id, 'b', 'volatile rules are evaluated fresh');
    assert.equal(router.decide(ctx({ budget_used: 10 })).rule_id, null);
  });

  it(`keeps at most ${MEMO_KEY_MAX_CHARS} characters of request values per entry: longer ones are evaluated fresh`, () => {
    // A header a rule reads may be 16 KB: 10,000 entries (the default) of such values
    // held 160 MB. Values over the limit are left out of the memo, never miscounted.
    const compiled = compileTree({ 'rules/r.yaml': "rules:\n  - id: a\n    when: 'headers[\"x-team\"].startsWith(\"red\") && headers[\"x-env\"] == \"prod\"'\n    route: openai/gpt-4o\n" });
    const router = createRouter(compiled.bundle!);
    const at = (chars: number) => ctx({ headers: { 'x-team': `red${'x'.repeat(chars - 7)}`, 'x-env': 'prod' } });
    router.decide(at(MEMO_KEY_MAX_CHARS));
    assert.equal(router.decide(at(MEMO_KEY_MAX_CHARS)).cached, true, 'at the limit');
    router.decide(at(MEMO_KEY_MAX_CHARS + 1));
    const fresh = router.decide(at(MEMO_KEY_MAX_CHARS + 1));
    assert.equal(fresh.cached, false, 'one character over');
    assert.equal(fresh.rule_id, 'a');
  });

  /** CONFIG with `n` more virtual keys in team support; every fifth may use only gemini and groq. */
  const manyKeys = (n: number) => CONFIG.replace('  virtual_keys:\n', `  virtual_keys:\n${Array.from({ length: n }, (_, i) =>
    `    - {id: vk-${i}, team: support, key_hash: "sha256:${i.toString(16).padStart(64, '0')}"${i % 5 === 4 ? ', allowed_providers: [gemini, groq]' : ''}}\n`).join('')}`);
  const keyCtx = (i: number, over: Partial<RoutingContext> = {}) => ctx({ virtual_key: `vk-${i}`, team: 'support', customer: 'acme', tier: 'gold', headers: { 'x-tier': 'premium' }, ...over });

  it('callers no rule names share their shape: a shape cache smaller than the keys still answers from the memo', () => {
    const rules = "rules:\n  - id: a\n    when: 'headers[\"x-tier\"] == \"premium\"'\n    route: openai/gpt-4o\n  - id: b\n    when: budget_used > 50\n    route: anthropic/claude-sonnet-4\n";
    const compiled = compileTree({ 'rules/r.yaml': rules }, manyKeys(20));
    assert.ok(compiled.bundle, compiled.rendered);
    const router = createRouter(withCaches(compiled.bundle, 4, 100));
    const plain = [0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13];
    for (const i of plain) router.decide(keyCtx(i));
    for (const i of plain) {
      const d = router.decide(keyCtx(i));
      assert.equal(d.cached, true, `vk-${i}`);
      assert.equal(d.rule_id, 'a');
      assert.equal(d.inputs.virtual_key, `vk-${i}`);
    }
  });

  it('keys sharing shapes decide as the naive router when rules read the key, team or customer in `when`', () => {
    const rules = [
      'rules:',
      "  - {id: by-key, when: 'virtual_key == \"vk-2\"', route: gemini/gemini-2.5-pro}",
      "  - {id: by-team, when: 'team == \"ml-research\"', route: groq/llama-3.3-70b-versatile}",
      "  - {id: by-customer, when: 'customer in [\"globex\"]', route: anthropic/claude-haiku-4}",
      "  - {id: rest, when: 'true', route: openai/gpt-4o}",
    ].join('\n');
    const compiled = compileTree({ 'rules/r.yaml': `${rules}\n` }, manyKeys(4));
    assert.ok(compiled.bundle, compiled.rendered);
    const naive = createRouter(compiled.bundle, { naive: true });
    const cached = [createRouter(withCaches(compiled.bundle, 1, 4)), createRouter(compiled.bundle)];
    const callers: Partial<RoutingContext>[] = [
      { virtual_key: 'vk-app', team: 'ml-research', customer: 'acme' },
      { virtual_key: 'vk-support', team: 'support', customer: 'acme' },
      { virtual_key: 'vk-solo', team: '', customer: 'globex' },
      ...[0, 1, 2, 3].map((i) => ({ virtual_key: `vk-${i}`, team: 'support', customer: 'acme' })),
    ];
    const requests = callers.map((c) => ctx(c));
    for (const c of [...requests, ...requests.reverse(), ...requests]) {
      const expected = naive.decide(c, { draw: 0.3 }).rule_id;
      for (const router of cached) assert.equal(router.decide(c, { draw: 0.3 }).rule_id, expected, `${c.virtual_key}`);
    }
  });

  it('keys sharing shapes decide as the naive router: allowlists, key and team scopes, fall-through', () => {
    const rules = [
      'rules:',
      "  - {id: only-vk-3, scope: {virtual_key: vk-3}, when: 'true', route: gemini/gemini-2.5-pro}",
      "  - {id: support-stream, scope: {team: support}, when: 'stream', route: groq/llama-3.3-70b-versatile}",
      "  - {id: premium, when: 'headers[?\"x-tier\"].orValue(\"\") == \"premium\" && model == \"gpt-4o\"', route: openai/gpt-4o}",
      "  - {id: tight, when: 'budget_used > 50', route: anthropic/claude-haiku-4}",
    ].join('\n');
    const compiled = compileTree({ 'rules/r.yaml': `${rules}\n` }, manyKeys(10));
    assert.ok(compiled.bundle, compiled.rendered);
    const naive = createRouter(compiled.bundle, { naive: true });
    const cached = [createRouter(withCaches(compiled.bundle, 1, 4)), createRouter(compiled.bundle)];
    const requests: RoutingContext[] = [];
    for (let i = 0; i < 10; i++) {
      for (const model of ['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4']) {
        requests.push(keyCtx(i, { model }), keyCtx(i, { model, headers: {} }), keyCtx(i, { model, stream: true }), keyCtx(i, { model, budget_used: 60 }));
      }
    }
    for (const c of [...requests, ...requests.reverse()]) {
      const expected = { ...naive.decide(c, { draw: 0.3 }), cached: false };
      for (const router of cached) assert.deepEqual({ ...router.decide(c, { draw: 0.3 }), cached: false }, expected);
    }
    // The key with an allowlist falls through to the models it may use, whoever came before it.
    const wide = cached[1].decide(keyCtx(5, { model: 'gpt-4o', headers: {} }), { draw: 0.01 });
    const narrow = cached[1].decide(keyCtx(4, { model: 'gpt-4o', headers: {} }), { draw: 0.01 });
    assert.equal(wide.selected?.provider, 'openai');
    assert.equal(narrow.selected?.provider, 'gemini');
  });
});
