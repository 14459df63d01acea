/** explain(): per-rule statuses in evaluation order, consistent with decide; `switchyard explain`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/command.js';
import { contextFromRequest, createRouter, explain } from '../../src/rules/index.js';
import { bundleOf, CONFIG, ctx, PRINCIPALS, tempTree, text } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

const RULES = text(`
  rules:
    - id: budget
      when: budget_used > 85
      route: openai/gpt-4o-mini
      priority: 10
    - id: support
      scope: {team: support}
      when: "true"
      route: anthropic/claude-haiku-4
      fallbacks: [groq/llama-3.3-70b-versatile]
      priority: 20
    - id: premium
      when: headers["x-tier"] == "premium"
      route: anthropic/claude-sonnet-4
      fallbacks: [openai/gpt-4o, gemini/gemini-2.5-pro]
      priority: 20
    - id: trial
      when: params.max_tokens > 1000
      route: gemini/gemini-2.5-flash
      mode: shadow
      priority: 30
    - id: late
      when: model == "claude-haiku-4"
      route: openai/gpt-4o
      priority: 40
    - id: off
      when: "true"
      route: openai/gpt-4o
      enabled: false
`);

describe('explain()', () => {
  const router = createRouter(bundleOf({ 'rules/a.yaml': RULES }));

  it('every rule in evaluation order with its status; the outcome is the decision', () => {
    const e = explain(router, ctx({ ...PRINCIPALS['vk-app'], headers: { 'x-tier': 'premium' }, params: { max_tokens: 4000 } }), { draw: 0.2 });
    assert.deepEqual(e.rules.map((r) => [r.rule_id, r.status]), [
      ['budget', 'false'], ['support', 'out_of_scope'], ['premium', 'matched'], ['trial', 'shadow_matched'], ['late', 'not_reached'], ['off', 'disabled'],
    ]);
    assert.equal(e.decision.rule_id, 'premium');
    assert.deepEqual(e.decision.shadow_matches, ['trial']);
    assert.equal(e.decision.inputs.draw, 0.2);
    assert.deepEqual(e.rules[2].targets, ['anthropic/claude-sonnet-4']);
  });

  it('evaluation errors with their message; shadow rules after the winner are still evaluated', () => {
    const e = explain(router, ctx());
    assert.deepEqual(e.rules.map((r) => [r.rule_id, r.status, r.message]), [
      ['budget', 'false', undefined], ['support', 'out_of_scope', undefined], ['premium', 'error', 'No such key: x-tier'],
      ['trial', 'error', 'No such key: max_tokens'], ['late', 'false', undefined], ['off', 'disabled', undefined],
    ]);
    assert.deepEqual(e.decision.errors, [{ rule_id: 'premium', message: 'No such key: x-tier' }, { rule_id: 'trial', message: 'No such key: max_tokens' }]);
  });

  it('agrees with decide on every status (winner, shadow matches, errors)', () => {
    const contexts = [ctx(), ctx({ model: 'claude-haiku-4' }), ctx({ budget_used: 90 }), ctx(PRINCIPALS['vk-support']), ctx({ headers: { 'x-tier': 'premium' } }), ctx({ params: { max_tokens: 5000 } })];
    for (const c of contexts) {
      const e = explain(router, c, { draw: 0 });
      const d = router.decide(c, { draw: 0 });
      assert.equal(e.rules.find((r) => r.status === 'matched')?.rule_id ?? null, d.rule_id);
      assert.deepEqual(e.rules.filter((r) => r.status === 'shadow_matched').map((r) => r.rule_id), d.shadow_matches);
      assert.deepEqual(e.rules.filter((r) => r.status === 'error').map((r) => ({ rule_id: r.rule_id, message: r.message })), d.errors);
    }
  });
});

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {}, cwd };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe("explain(): the caller's allowlists", () => {
  // vk-app (team ml-research) may use Claude and Gemini models only; team support (vk-support's) only openai and groq.
  const config = CONFIG
    .replace('{id: support, customer: acme}', '{id: support, customer: acme, allowed_providers: [openai, groq]}')
    .replace('{id: vk-app, team: ml-research,', '{id: vk-app, team: ml-research, allowed_models: ["claude-*", "gemini/*"],');
  const router = createRouter(bundleOf({ 'rules/a.yaml': RULES }, config));

  it('a selected target the caller may not use is the 403 the gateway answers, naming the scope', () => {
    const e = explain(router, ctx({ ...PRINCIPALS['vk-app'], model: 'claude-haiku-4' }), { draw: 0 });
    assert.equal(e.decision.rule_id, 'late');
    assert.deepEqual(e.access, { refused: { status: 403, code: 'SY_ERR_MODEL_NOT_ALLOWED', message: 'virtual_key "vk-app" may not use openai/gpt-4o' }, fallbacks_not_allowed: [] });
    const support = explain(router, ctx(PRINCIPALS['vk-support']), { draw: 0 });
    assert.equal(support.decision.rule_id, 'support');
    assert.equal(support.access.refused?.message, 'team "support" may not use anthropic/claude-haiku-4', "a scope further up the key's chain");
  });

  it('fallbacks the caller may not use are named as dropped; an allowed selection is not refused', () => {
    const e = explain(router, ctx({ ...PRINCIPALS['vk-app'], headers: { 'x-tier': 'premium' } }), { draw: 0 });
    assert.equal(e.decision.rule_id, 'premium');
    assert.deepEqual(e.access, { refused: null, fallbacks_not_allowed: ["openai/gpt-4o"] });
    assert.deepEqual(explain(router, ctx(PRINCIPALS['vk-solo']), { draw: 0 }).access, { refused: null, fallbacks_not_allowed: [] }, 'no allowlist applies');
  });
});

describe('the context explain and rule tests build', () => {
  it('has the headers a live request gives the rules: lowercase, credentials removed', () => {
    const { ctx: c } = contextFromRequest(bundleOf({ 'rules/a.yaml': RULES }), { model: 'gpt-4o', headers: { Authorization: 'Bearer sk-x', 'X-Api-Key': 'k', Cookie: 'c=1', 'X-Tier': 'gold' } }, {}, { now: new Date(0) });
    assert.deepEqual(c.headers, { 'x-tier': 'gold' });
  });
});

describe('switchyard explain', () => {
  const dir = tempTree({
    'switchyard.yaml': CONFIG,
    'rules/a.yaml': RULES,
    'req.json': JSON.stringify({ model: 'gpt-4o', virtual_key: 'vk-support', params: { max_tokens: 2000 } }),
    'state.yaml': 'budget_used: 12.5\nnow: 2025-06-02T10:00:00Z\ndraw: 0.25\ncooldown: [anthropic]\n',
    'balance.json': JSON.stringify({ model: 'gpt-4o', headers: { 'x-tier': 'basic' } }),
    'bad.json': '{"model": "gpt-4o", "virtualkey": "vk-app"}',
  });

  it('prints each rule with its result, then the outcome: selected, targets, fallbacks, draw, skipped', async () => {
    const r = await run(['explain', '--request', 'req.json', '--state', 'state.yaml'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, text(`
      Request: chat gpt-4o · virtual key vk-support (team support, customer acme) · tier "gold"
      State: budget_used 12.5 · tokens_used 0 · requests_used 0 · now 2025-06-02T10:00:00.000Z

      Rules, in evaluation order:
        #  rule     scope         prio  mode     result                        where
        1  budget   global          10  enforce  false                         rules/a.yaml:2:9
        2  support  team:support    20  enforce  MATCHED                       rules/a.yaml:6:9
        3  premium  global          20  enforce  not reached                   rules/a.yaml:12:9
        4  trial    global          30  shadow   shadow-matched (not routing)  rules/a.yaml:17:9
        5  late     global          40  enforce  not reached                   rules/a.yaml:22:9
        6  off      global         100  enforce  disabled                      rules/a.yaml:26:9

      Outcome: rule support (priority 20, team:support)
        selected   groq/llama-3.3-70b-versatile#gr-main
        fallbacks  none
        draw       0.250000
        skipped    anthropic:cooldown
        shadow     trial
        revision   REV
    `).replace('REV', createRouter(bundleOf({ 'rules/a.yaml': RULES })).bundle.revision.hash));
  });

  it('unmatched traffic: the balancer candidates with normalized weights', async () => {
    const r = await run(['explain', '--request', 'balance.json', '--state', 'state.yaml'], dir);
    assert.match(r.stdout, /Outcome: no rule matched: weighted balancing\n {2}selected {3}openai\/gpt-4o#oa-main\n {2}candidates openai\/gpt-4o#oa-main 0\.667, gemini\/gpt-4o#ge-main 0\.333\n {2}fallbacks {2}gemini\/gpt-4o {2}\(on rate_limited, server_error, timeout, connection_error, stream_error, overloaded\)\n {2}draw {7}0\.250000\n/);
  });

  it('--json: the per-rule trace and the decision', async () => {
    const r = await run(['explain', '--request', 'req.json', '--state', 'state.yaml', '--json'], dir);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.rules.map((x: { status: string }) => x.status), ['false', 'matched', 'not_reached', 'shadow_matched', 'not_reached', 'disabled']);
    assert.equal(out.rules[1].location.file, 'rules/a.yaml');
    assert.equal(out.decision.rule_id, 'support');
    assert.equal(out.decision.inputs.draw, 0.25);
  });

  it("the caller's allowlists: the 403 after the decision and the fallbacks dropped, in text and --json", async () => {
    const limited = tempTree({
      'switchyard.yaml': CONFIG.replace('{id: globex}', '{id: globex, allowed_providers: [openai, anthropic]}'),
      'rules/a.yaml': RULES,
      'req.json': JSON.stringify({ model: 'gpt-4o', virtual_key: 'vk-solo', headers: { 'x-tier': 'premium' } }),
      'pinned.json': JSON.stringify({ model: 'gemini/gemini-2.5-pro', virtual_key: 'vk-solo' }),
    });
    const r = await run(['explain', '--request', 'req.json'], limited);
    assert.match(r.stdout, /\n {2}selected {3}anthropic\/claude-sonnet-4#an-main\n[^]*\n {2}dropped {4}gemini\/gemini-2\.5-pro \(fallbacks the caller's allowlists refuse\)\n {2}revision/);
    assert.doesNotMatch(r.stdout, /refused/);
    const pinned = await run(['explain', '--request', 'pinned.json'], limited);
    assert.match(pinned.stdout, /\n {2}refused {4}403 SY_ERR_MODEL_NOT_ALLOWED: customer "globex" may not use gemini\/gemini-2\.5-pro \(the caller's allowlists\)\n/);
    const json = JSON.parse((await run(['explain', '--request', 'pinned.json', '--json'], limited)).stdout);
    assert.deepEqual(json.access.refused, { status: 403, code: 'SY_ERR_MODEL_NOT_ALLOWED', message: 'customer "globex" may not use gemini/gemini-2.5-pro' });
  });

  it('invalid input is located, exit 2; missing --request is bad usage', async () => {
    const r = await run(['explain', '--request', 'bad.json'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.json:1:21: error\[schema\]: unknown property "virtualkey" in the top level; did you mean "virtual_key"\?/);
    assert.equal((await run(['explain'], dir)).code, 2);
    assert.equal((await run(['explain', '--request', 'nope.json'], dir)).code, 2);
  });

  it('a caller the config does not have is bad usage, as in a rule test: the gateway would refuse it', async () => {
    const d = tempTree({ 'switchyard.yaml': CONFIG, 'rules/a.yaml': RULES, 'ghost.json': JSON.stringify({ model: 'gpt-4o', virtual_key: 'vk-suport' }) });
    const r = await run(['explain', '--request', 'ghost.json'], d);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown virtual key "vk-suport"; did you mean "vk-support"\?: the gateway refuses such a caller \(401\)/);
  });

  it('never prints a secret (keys appear by name only)', async () => {
    const secrets = { OPENAI_API_KEY: 'sk-SECRET-1', OPENAI_API_KEY_2: 'sk-SECRET-2', ANTHROPIC_API_KEY: 'sk-SECRET-3', GEMINI_API_KEY: 'SECRET-4', GROQ_API_KEY: 'SECRET-5', SWITCHYARD_ADMIN_TOKEN: 'SECRET-6' };
    const req = tempTree({ 'r.json': JSON.stringify({ model: 'gpt-4o-mini', virtual_key: 'vk-app' }), 's.json': '{"budget_used": 99}' });
    for (const argv of [
      ['explain', '--config', 'switchyard.example.yaml', '--request', resolve(req, 'r.json'), '--state', resolve(req, 's.json')],
      ['explain', '--config', 'switchyard.example.yaml', '--request', resolve(req, 'r.json'), '--json'],
      ['test', '--config', 'switchyard.example.yaml', '--json'],
      ['test', '--config', 'switchyard.example.yaml', '--reporter', 'junit'],
    ]) {
      let out = '';
      const io: CommandIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, env: secrets, cwd: ROOT };
      assert.equal(await main(argv, io), 0, out);
      assert.doesNotMatch(out, /SECRET/, argv.join(' '));
      if (argv[0] === 'explain') assert.match(out, /openai-primary|anthropic-main/, 'key names are shown');
    }
  });

  it('works on the example config without provider secrets', async () => {
    const req = tempTree({ 'r.json': JSON.stringify({ model: 'gpt-4o', headers: { 'x-tier': 'premium' } }) });
    const r = await run(['explain', '--config', resolve(ROOT, 'switchyard.example.yaml'), '--request', resolve(req, 'r.json')], ROOT);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Outcome: rule premium-tier/);
  });
});
