/** `switchyard test`: case output with diffs, coverage, the summary line, JUnit XML, exit codes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/command.js';
import { CONFIG, tempTree, text } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

async function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env, cwd };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const RULES = text(`
  rules:
    - id: premium
      when: tier == "premium"
      route: anthropic/claude-sonnet-4
      fallbacks: [openai/gpt-4o]
    - id: long
      when: has(params.max_tokens) && params.max_tokens > 4000
      route: gemini/gemini-2.5-pro
    - id: trial
      when: stream
      route: groq/llama-3.3-70b-versatile
      mode: shadow
`);

const PASSING = text(`
  tests:
    - name: premium via the virtual key's team
      request: {model: gpt-4o, virtual_key: vk-app}
      expect: {rule: premium, via: rule, provider: anthropic, model: claude-sonnet-4, key: an-main, fallbacks: [openai/gpt-4o]}
    - name: streaming is a shadow match only
      request: {model: gpt-4o-mini, stream: true}
      expect: {rule: null, via: balance, provider: openai, shadow: [trial]}
`);

const FAILING = text(`
  tests:
    - name: wrong provider and fallbacks
      request: {model: gpt-4o, headers: {x-tier: premium}}
      expect: {rule: premium, provider: openai, fallbacks: []}
    - name: right
      request: {model: claude-haiku-4}
      expect: {via: balance}
`);

function tree(tests: Record<string, string>, rules = RULES): string {
  return tempTree({ 'switchyard.yaml': CONFIG, 'rules/policy.yaml': rules, ...tests });
}

/** Well-formed XML: one root, tags nested and closed, attributes quoted, only known entities. */
function assertWellFormedXml(xml: string): void {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  while (s.length) {
    const lt = s.indexOf('<');
    const textPart = lt < 0 ? s : s.slice(0, lt);
    assert.doesNotMatch(textPart, /&(?!(amp|lt|gt|quot|apos);)/, `bad entity in text: ${textPart.slice(0, 60)}`);
    if (stack.length === 0) assert.equal(textPart.trim(), '', 'text outside the root element');
    if (lt < 0) break;
    s = s.slice(lt);
    const m = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(s);
    assert.ok(m, `malformed tag near: ${s.slice(0, 80)}`);
    const [whole, close, name, attrs, selfClose] = m;
    assert.doesNotMatch(attrs, /&(?!(amp|lt|gt|quot|apos);)/, `bad entity in attributes of <${name}>`);
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
    s = s.slice(whole.length);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
}

describe('switchyard test', () => {
  it('passing cases: ✓ lines, coverage with the unreached rule, the summary line, exit 0', async () => {
    const dir = tree({ 'rules/policy.test.yaml': PASSING });
    const r = await run(['test'], dir);
    assert.equal(r.stdout, text(`
      rules/policy.test.yaml
        ✓ premium via the virtual key's team
        ✓ streaming is a shadow match only

      coverage: 2/3 rules reached (66.7%)
        not reached: long  (rules/policy.yaml:6:9)

      2 passed, 0 failed
    `));
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
  });

  it("`refused` checks the caller's allowlists after the decision; a case passing on routing alone says the gateway would refuse it", async () => {
    // vk-support may use Claude models only: premium routes it to Claude, and balance picks openai.
    const config = CONFIG.replace('{id: vk-support, team: support,', '{id: vk-support, team: support, allowed_models: ["claude-*"],');
    const dir = tempTree({
      'switchyard.yaml': config,
      'rules/policy.yaml': RULES,
      'rules/policy.test.yaml': text(`
        tests:
          - name: premium is allowed
            request: {model: gpt-4o, virtual_key: vk-support, tier: premium}
            expect: {rule: premium, refused: null}
          - name: balanced to a model the key may not use
            request: {model: gpt-4o-mini, virtual_key: vk-support}
            expect: {via: balance, provider: openai}
          - name: the same, checked
            request: {model: gpt-4o-mini, virtual_key: vk-support}
            expect: {via: balance, refused: SY_ERR_MODEL_NOT_ALLOWED}
          - name: wrongly expected allowed
            request: {model: gpt-4o-mini, virtual_key: vk-support}
            expect: {refused: null}
      `),
    });
    const r = await run(['test'], dir);
    assert.equal(r.stdout, text(`
      rules/policy.test.yaml
        ✓ premium is allowed
        ✓ balanced to a model the key may not use
            note: the gateway answers 403 SY_ERR_MODEL_NOT_ALLOWED after this decision (virtual_key "vk-support" may not use openai/gpt-4o-mini); expect \`refused\` to check it
        ✓ the same, checked
        ✗ wrongly expected allowed  (rules/policy.test.yaml:11:11)
            refused  - expected null
                     + actual   "SY_ERR_MODEL_NOT_ALLOWED"

      coverage: 1/3 rules reached (33.3%)
        not reached: long  (rules/policy.yaml:6:9)
        not reached: trial  (rules/policy.yaml:9:9)

      3 passed, 1 failed
    `));
    assert.equal(r.code, 1);
  });

  it('a failing case shows expected and actual for each differing field; exit 1', async () => {
    const dir = tree({ 'rules/policy.test.yaml': FAILING });
    const r = await run(['test', '--config', 'switchyard.yaml'], dir);
    assert.equal(r.stdout, text(`
      rules/policy.test.yaml
        ✗ wrong provider and fallbacks  (rules/policy.test.yaml:2:11)
            provider   - expected "openai"
                       + actual   "anthropic"
            fallbacks  - expected []
                       + actual   ["openai/gpt-4o"]
        ✓ right

      coverage: 1/3 rules reached (33.3%)
        not reached: long  (rules/policy.yaml:6:9)
        not reached: trial  (rules/policy.yaml:9:9)

      1 passed, 1 failed
    `));
    assert.equal(r.code, 1);
  });

  it('--fail-under-coverage: exit 1 below the threshold, 0 at or above it', async () => {
    const dir = tree({ 'rules/policy.test.yaml': PASSING });
    const below = await run(['test', '--fail-under-coverage', '80'], dir);
    assert.equal(below.code, 1);
    assert.match(below.stderr, /coverage 66\.7% is below the required 80%/);
    assert.equal((await run(['test', '--fail-under-coverage', '60'], dir)).code, 0);
    const json = JSON.parse((await run(['test', '--fail-under-coverage', '80', '--json'], dir)).stdout);
    assert.deepEqual([json.ok, json.coverage.required, json.coverage.below_required], [false, 80, true], '--json says why it failed');
  });

  it('--json prints {ok: false, issues} when it stops before its tests', async () => {
    const broken = await run(['test', '--json'], tree({ 'rules/policy.test.yaml': PASSING }, "rules:\n  - id: x\n    when: tier ==\n    route: openai/gpt-4o\n"));
    assert.equal(broken.code, 1);
    const out = JSON.parse(broken.stdout);
    assert.deepEqual([out.ok, out.stopped], [false, 'the rules do not compile']);
    assert.equal(out.issues[0].code, 'cel_syntax');
  });

  it('--reporter junit --output writes well-formed JUnit XML; failures carry the diff', async () => {
    const dir = tree({ 'rules/policy.test.yaml': FAILING, 'rules/more.test.yaml': PASSING.replace('premium via', 'a & b <premium> "via"') });
    const r = await run(['test', '--reporter', 'junit', '--output', 'out/junit.xml', '--fail-under-coverage', '100'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /2 passed|3 passed/, 'the spec report still goes to stdout');
    const xml = readFileSync(join(dir, 'out', 'junit.xml'), 'utf8');
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuites name="switchyard test" tests="5" failures="2"/);
    assert.match(xml, /<testcase name="a &amp; b &lt;premium&gt; &quot;via&quot; the virtual key&apos;s team" classname="rules\/more.test.yaml"/);
    assert.match(xml, /<failure message="provider: expected &quot;openai&quot;, got &quot;anthropic&quot;; fallbacks: expected \[\], got \[&quot;openai\/gpt-4o&quot;\]" type="AssertionError">/);
    assert.match(xml, /<testcase name="coverage ≥ 100%" classname="coverage" time="0.000">\n\s*<failure message="coverage 66.7% is below 100%"/);
    assert.match(xml, /<property name="coverage.unreached" value="long"\/>/);
  });

  it('--reporter junit: a run that stops before its cases still writes a report saying why', async () => {
    // A CI job publishing the report found none when a pull request broke a rule, and
    // showed "no test report" rather than the error.
    const broken = tree({ 'rules/policy.test.yaml': PASSING }, "rules:\n  - id: x\n    when: tier ==\n    route: openai/gpt-4o\n");
    const r = await run(['test', '--reporter', 'junit', '--output', 'out/junit.xml'], broken);
    assert.equal(r.code, 1);
    const xml = readFileSync(join(broken, 'out', 'junit.xml'), 'utf8');
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuites name="switchyard test" tests="1" failures="0" errors="1"/);
    assert.match(xml, /<testcase name="the rules do not compile" classname="switchyard test" time="0.000">\n\s*<error message="the rules do not compile" type="CompileError">rules\/policy\.yaml:3:\d+: error\[cel_syntax\]/);
    const invalid = tree({ 'rules/policy.test.yaml': 'tests:\n  - {name: x, request: {model: gpt-4o}, expect: {rul: x}}\n' });
    const r2 = await run(['test', '--reporter', 'junit'], invalid);
    assert.equal(r2.code, 2);
    assertWellFormedXml(r2.stdout);
    assert.match(r2.stdout, /<error message="the test files have errors" type="InvalidInput">rules\/policy\.test\.yaml:2:\d+: error\[schema\]: unknown property &quot;rul&quot;/);
  });

  it('rule files listed one by one in rules.paths bring the test files beside them', async () => {
    // Each listed file used to be read as a test file itself ("missing the required
    // property tests", exit 2), and the tests beside it were never found.
    const dir = tempTree({
      'switchyard.yaml': CONFIG.replace('rules: {paths: [rules/]}', 'rules: {paths: [rules/a.yaml, rules/more/b.yml]}'),
      'rules/a.yaml': 'rules:\n  - {id: a, when: \'model == "x"\', route: openai/gpt-4o}\n',
      'rules/a.test.yaml': 'tests:\n  - {name: x goes by a, request: {model: x}, expect: {rule: a}}\n',
      'rules/more/b.yml': 'rules:\n  - {id: b, when: \'model == "y"\', route: openai/gpt-4o}\n',
      'rules/more/b.test.yml': 'tests:\n  - {name: y goes by b, request: {model: y}, expect: {rule: b}}\n',
      // Not listed: neither its rules nor its tests are in this run.
      'rules/c.yaml': 'rules:\n  - {id: c, when: \'model == "z"\', route: openai/gpt-4o}\n',
      'rules/c.test.yaml': 'tests:\n  - {name: z goes by c, request: {model: z}, expect: {rule: c}}\n',
    });
    const r = await run(['test', '--fail-under-coverage', '100'], dir);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /✓ x goes by a/);
    assert.match(r.stdout, /✓ y goes by b/);
    assert.doesNotMatch(r.stdout, /goes by c/);
    assert.match(r.stdout, /\n2 passed, 0 failed\n$/);
    rmSync(join(dir, 'rules/a.test.yaml'));
    rmSync(join(dir, 'rules/more/b.test.yml'));
    const none = await run(['test'], dir);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'no rule test files beside the rule files switchyard.yaml lists (the tests of routing.yaml are in routing.test.yaml)\n');
  });

  it('--reporter junit without --output prints the XML', async () => {
    const r = await run(['test', '--reporter', 'junit'], tree({ 'rules/policy.test.yaml': PASSING }));
    assert.equal(r.code, 0);
    assertWellFormedXml(r.stdout);
  });

  it('--json: results, diffs and coverage as data', async () => {
    const r = await run(['test', '--json'], tree({ 'rules/policy.test.yaml': FAILING }));
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.summary, { passed: 1, failed: 1 });
    assert.deepEqual(out.results[0].diffs, [
      { field: 'provider', expected: 'openai', actual: 'anthropic' },
      { field: 'fallbacks', expected: [], actual: ['openai/gpt-4o'] },
    ]);
    assert.deepEqual(out.coverage.unreached.map((u: { rule_id: string }) => u.rule_id), ['long', 'trial']);
    assert.equal(r.code, 1);
  });

  it('test files can be named on the command line', async () => {
    const dir = tree({ 'rules/policy.test.yaml': FAILING, 'other/ok.test.yaml': PASSING });
    const r = await run(['test', 'other/ok.test.yaml'], dir);
    assert.match(r.stdout, /2 passed, 0 failed\n$/);
    assert.equal(r.code, 0);
  });

  it('invalid fixtures are located errors, exit 2; unknown principals and rule ids too', async () => {
    const dir = tree({
      'rules/policy.test.yaml': text(`
        tests:
          - name: typo
            request: {model: gpt-4o, virtual_key: vk-ap}
            expect: {rule: premum, provder: x}
      `),
    });
    const r = await run(['test'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, text(`
      rules/policy.test.yaml:4:28: error[schema]: unknown property "provder" in tests[0].expect; did you mean "provider"?
        4 |     expect: {rule: premum, provder: x}
          |                            ^
    `));
    const r2 = await run(['test'], tree({ 'rules/policy.test.yaml': text(`
      tests:
        - name: typo
          request: {model: gpt-4o, virtual_key: vk-ap}
          expect: {rule: premum}
    `) }));
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /policy.test.yaml:3:43: error\[unknown_principal\]: unknown virtual key "vk-ap"; did you mean "vk-app"\?/);
    assert.match(r2.stderr, /policy.test.yaml:4:20: error\[unknown_rule\]: no rule has the id "premum"; did you mean "premium"\?/);
    // A key with another team's name: no live request is that caller.
    const mixed = await run(['test'], tree({ 'rules/policy.test.yaml': text(`
      tests:
        - name: mixed
          request: {model: gpt-4o, virtual_key: vk-app, team: support, customer: acme}
          expect: {rule: premium}
    `) }));
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /policy.test.yaml:3:57: error\[unknown_principal\]: virtual key "vk-app" belongs to team "ml-research", not "support": a live request's team comes from its key/);
    assert.doesNotMatch(mixed.stderr, /not "acme"/, 'its own customer is fine');
    const r3 = await run(['test'], tree({ 'rules/policy.test.yaml': text(`
      tests:
        - name: cooldowns
          request: {model: gpt-4o}
          state: {cooldown: [anthropc, "openai#oa-mani", openai/oa-main, anthropic]}
          expect: {via: balance}
    `) }));
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /policy.test.yaml:4:\d+: error\[unknown_cooldown\]: cooldown names unknown provider "anthropc"; did you mean "anthropic"\?/);
    assert.match(r3.stderr, /error\[unknown_cooldown\]: provider "openai" has no key "oa-mani"; did you mean "oa-main"\?/);
    assert.equal(r3.stderr.match(/unknown_cooldown/g)?.length, 2, 'openai/oa-main and anthropic are fine');
  });

  it('rules that do not compile: their issues, exit 1; no test files: exit 1; bad usage: exit 2', async () => {
    const broken = await run(['test'], tree({ 'rules/policy.test.yaml': PASSING }, "rules:\n  - id: x\n    when: tier ==\n    route: openai/gpt-4o\n"));
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /rules\/policy.yaml:3:\d+: error\[cel_syntax\]/);
    const none = await run(['test'], tree({}));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no rule test files/);
    const embedded = await run(['test'], tempTree({}));
    assert.equal(embedded.code, 1);
    assert.match(embedded.stderr, /^no rule test files: no config file was found \(switchyard\.yaml, switchyard\.yml, switchyard\.json in \S+, SWITCHYARD_CONFIG or --config\) and the embedded default names no rules; name test files or folders as arguments, or the config with --config\n$/);
    assert.equal((await run(['test', '--reporter', 'tap'], tree({}))).code, 2);
    assert.equal((await run(['test', '--fail-under-coverage', 'lots'], tree({}))).code, 2);
    assert.equal((await run(['test', '--output', 'x.xml'], tree({}))).code, 2);
  });

  it('the example policy passes with full coverage, without provider secrets', async () => {
    const r = await run(['test', '--config', 'switchyard.example.yaml', '--fail-under-coverage', '100'], ROOT);
    assert.match(r.stdout, /coverage: (\d+)\/\1 rules reached \(100%\)/);
    assert.match(r.stdout, /\n\d+ passed, 0 failed\n$/);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
