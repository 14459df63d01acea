/**
 * Compile errors: a corpus of broken rule files, each with every issue it must produce,
 * rendered exactly as `switchyard validate` prints them (file:line:col, caret).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTree, text } from './helpers.js';

const CASES: Record<string, Record<string, string>> = {
  'yaml syntax': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: "true"
       route: openai/gpt-4o
  `) },
  'json syntax': { 'rules/a.json': '{"rules": [{"id": "x", "when": "true",, "route": "openai/gpt-4o"}]}\n' },
  'unknown key and schema': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: "true"
        rout: openai/gpt-4o
      - id: y
        when: "true"
        route: gpt-4o
        priority: high
        mode: enforced
        scope: {group: a}
  `) },
  'quoted with escapes': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: "tier == \\"premium\\" && tierr == \\"x\\""
        route: openai/gpt-4o
  `) },
  'single quoted': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: 'headers["x-tier"] == 1'
        route: openai/gpt-4o
  `) },
  'folded': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: >-
          tier == "premium"
          && budget_usd > 85
        route: openai/gpt-4o
  `) },
  'not bool': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: budget_used + 1
        route: openai/gpt-4o
      - id: y
        when: params.stream
        route: openai/gpt-4o
  `) },
  'regular expressions': { 'rules/a.yaml': text(`
    rules:
      - id: lookahead
        when: model.matches("^gpt(?=-4)")
        route: openai/gpt-4o
      - id: unclosed
        when: tier == "x" || model.matches("[unclosed")
        route: openai/gpt-4o
      - id: fine
        when: model.matches("(?i)^GPT-4") && model.matches(headers[?"x-p"].orValue(""))
        route: openai/gpt-4o
  `) },
  'credential headers (warning)': { 'rules/a.yaml': text(`
    rules:
      - id: by-key
        when: '"authorization" in headers || headers[?"x-api-key"].hasValue()'
        route: openai/gpt-4o
  `) },
  'conditions that cannot work (warnings)': { 'rules/a.yaml': text(`
    rules:
      - id: pinned-model
        when: model == "openai/gpt-4o"
        route: openai/gpt-4o
      - id: no-fallback
        when: tier == "x"
        route: openai/gpt-4o
        fallbacks: [anthropic/claude-sonnet-4]
        fallback_on: []
      - id: never
        when: 1 == 2
        route: openai/gpt-4o
      - id: always
        when: 1 == 1
        route: openai/gpt-4o
      - id: hidden
        when: tier == "y"
        route: openai/gpt-4o
      - id: repeats
        when: tier == "z"
        route: openai/gpt-4o
        fallbacks: [anthropic/claude-sonnet-4, openai/gpt-4o, anthropic/claude-sonnet-4, openai/gpt-4o#oa-spare]
        priority: 1
  `) },
  'conditions no request meets (warnings)': { 'rules/a.yaml': text(`
    rules:
      - id: two-models
        when: model == "gpt-4o" && tier == "x" && model == "gpt-4o-mini"
        route: openai/gpt-4o
      - id: no-such-endpoint
        when: endpoint == "completions"
        route: openai/gpt-4o
      - id: one-endpoint-exists
        when: endpoint in ["completions", "chat"]
        route: openai/gpt-4o
  `) },
  'unquoted when, dashed header': { 'rules/a.yaml': text(`
    rules:
      - id: x
        when: true
        route: openai/gpt-4o
      - id: y
        when: headers.x-tier == "a"
        route: openai/gpt-4o
  `) },
  'targets': { 'rules/a.yaml': text(`
    rules:
      - id: a
        when: "true"
        route: opneai/gpt-4o
        fallbacks: [anthropic/gpt-4o, legacy/gpt-4o, openai/gpt-4o#oa-mini, openai/gpt-4o#nope]
      - id: b
        when: "true"
        targets:
          - {provider: gemini, model: gemini-2.5-pro, weight: 2}
          - {provider: openai, model: gpt-5}
      - id: c
        when: "true"
      - id: d
        when: "true"
        route: openai/gpt-4o
        targets: [{provider: openai, model: gpt-4o}]
  `) },
  'duplicates and scopes': {
    'rules/a.yaml': text(`
      rules:
        - id: same
          when: "true"
          route: openai/gpt-4o
          scope: {team: ml-reserch}
    `),
    'rules/b.yaml': text(`
      rules:
        - id: same
          when: "true"
          route: openai/gpt-4o
          scope: {virtual_key: vk-nope}
    `),
  },
  'shadowed (warning)': { 'rules/a.yaml': text(`
    rules:
      - id: catch-all
        when: "true || tier == 'x'"
        route: openai/gpt-4o
        scope: {team: support}
        priority: 5
      - id: never
        when: model == "gpt-4o"
        route: anthropic/claude-sonnet-4
        scope: {virtual_key: vk-support}
      - id: other-team
        when: "true"
        route: openai/gpt-4o
        scope: {team: ml-research}
      - id: trial
        when: "true"
        route: openai/gpt-4o
        mode: shadow
        scope: {team: support}
      - id: upper
        when: headers["X-Tier"] == "premium"
        route: openai/gpt-4o
  `) },
  // A test file not named *.test.yaml is read as rules: say so, and the name it needs.
  'misnamed test file': {
    'rules/a.yaml': 'rules: [{id: x, when: "true", route: openai/gpt-4o}]\n',
    'rules/a_tests.yaml': text(`
      tests:
        - name: x routes
          request: {model: gpt-4o}
          expect: {rule: x}
    `),
  },
  // Any other data file in a rule folder: the error says why it was read.
  'not a rule file': {
    'rules/a.yaml': 'rules: [{id: x, when: "true", route: openai/gpt-4o}]\n',
    'rules/requests/premium.json': '{"model": "gpt-4o"}\n',
  },
};

const EXPECTED: Record<string, { ok: boolean; rendered: string }> = {
  "yaml syntax": {
    ok: false,
    rendered: `
rules/a.yaml:4:1: error[syntax]: Sequence item without - indicator
  4 |    route: openai/gpt-4o
    | ^`,
  },
  "json syntax": {
    ok: false,
    rendered: `
rules/a.json:1:39: error[syntax]: Unexpected , in flow map
  1 | {"rules": [{"id": "x", "when": "true",, "route": "openai/gpt-4o"}]}
    |                                       ^`,
  },
  "unknown key and schema": {
    ok: false,
    rendered: `
rules/a.yaml:2:5: error[route_xor_targets]: rule "x" needs \`route: provider/model\` or \`targets: [...]\`
  2 |   - id: x
    |     ^
rules/a.yaml:4:5: error[schema]: unknown property "rout" in rules[0]; did you mean "route"?
  4 |     rout: openai/gpt-4o
    |     ^
rules/a.yaml:7:12: error[schema]: rules[1].route must be \`provider/model\`, optionally followed by \`#key-name\` (got "gpt-4o")
  7 |     route: gpt-4o
    |            ^
rules/a.yaml:8:15: error[schema]: rules[1].priority must be a whole number
  8 |     priority: high
    |               ^
rules/a.yaml:9:11: error[schema]: rules[1].mode must be one of: enforce, shadow (got "enforced"); did you mean "enforce"?
  9 |     mode: enforced
    |           ^
rules/a.yaml:10:12: error[schema]: rules[1].scope must be "global" or one of {customer: ID}, {team: ID}, {virtual_key: ID} (got {"group":"a"})
  10 |     scope: {group: a}
     |            ^`,
  },
  "quoted with escapes": {
    ok: false,
    rendered: `
rules/a.yaml:3:35: error[cel_unknown_variable]: CEL type error: Unknown variable: tierr; did you mean "tier"? (declared: headers, tier, team, customer, virtual_key, model, provider, endpoint, stream, params, budget_used, tokens_used, requests_used, now)
  3 |     when: "tier == \\"premium\\" && tierr == \\"x\\""
    |                                   ^`,
  },
  "single quoted": {
    ok: false,
    rendered: `
rules/a.yaml:3:12: error[cel_type]: CEL type error: no such overload: string == int
  3 |     when: 'headers["x-tier"] == 1'
    |            ^`,
  },
  "folded": {
    ok: false,
    rendered: `
rules/a.yaml:5:10: error[cel_unknown_variable]: CEL type error: Unknown variable: budget_usd; did you mean "budget_used"? (declared: headers, tier, team, customer, virtual_key, model, provider, endpoint, stream, params, budget_used, tokens_used, requests_used, now)
  5 |       && budget_usd > 85
    |          ^`,
  },
  "not bool": {
    ok: false,
    rendered: `
rules/a.yaml:3:11: error[cel_not_bool]: \`when\` must be a bool expression, but this one is double
  3 |     when: budget_used + 1
    |           ^
rules/a.yaml:6:11: error[cel_not_bool]: \`when\` must be a bool expression, but this one is dyn (compare it: e.g. \`params.x == true\`)
  6 |     when: params.stream
    |           ^`,
  },
  "regular expressions": {
    ok: false,
    rendered: `
rules/a.yaml:3:25: error[cel_regex]: invalid regular expression "^gpt(?=-4)": error parsing regexp: invalid or unsupported Perl syntax: \`(?=\` (patterns are RE2: no lookarounds or backreferences; (?i) and the other RE2 flags work)
  3 |     when: model.matches("^gpt(?=-4)")
    |                         ^
rules/a.yaml:6:40: error[cel_regex]: invalid regular expression "[unclosed": error parsing regexp: missing closing ]: \`[unclosed\` (patterns are RE2: no lookarounds or backreferences; (?i) and the other RE2 flags work)
  6 |     when: tier == "x" || model.matches("[unclosed")
    |                                        ^`,
  },
  "credential headers (warning)": {
    ok: true,
    rendered: `
rules/a.yaml:3:12: warning[credential_header]: headers["authorization"] never exists: credentials (and headers named like them) are removed before rules see the headers; route by the caller's virtual_key, team or tier instead
  3 |     when: '"authorization" in headers || headers[?"x-api-key"].hasValue()'
    |            ^
rules/a.yaml:3:42: warning[credential_header]: headers["x-api-key"] never exists: credentials (and headers named like them) are removed before rules see the headers; route by the caller's virtual_key, team or tier instead
  3 |     when: '"authorization" in headers || headers[?"x-api-key"].hasValue()'
    |                                          ^`,
  },
  "conditions that cannot work (warnings)": {
    ok: true,
    rendered: `
rules/a.yaml:3:11: warning[model_with_provider]: model is never "openai/gpt-4o": for a request for openai/gpt-4o, model is "gpt-4o" and provider is "openai"; compare those
  3 |     when: model == "openai/gpt-4o"
    |           ^
rules/a.yaml:9:18: warning[unused_fallbacks]: rule "no-fallback" has fallbacks but an empty fallback_on: no failure moves to them
  9 |     fallback_on: []
    |                  ^
rules/a.yaml:11:11: warning[never_matches]: rule "never" never matches: its condition reads no variable and is always false
  11 |     when: 1 == 2
     |           ^
rules/a.yaml:16:9: warning[shadowed_rule]: rule "hidden" can never match: rule "always" (line 13) always matches before it in scope global
  16 |   - id: hidden
     |         ^
rules/a.yaml:22:44: warning[repeated_target]: fallback openai/gpt-4o repeats a target already in the plan: a failure there moves to the same model (dispatch.retries_per_target sets how often a target is retried)
  22 |     fallbacks: [anthropic/claude-sonnet-4, openai/gpt-4o, anthropic/claude-sonnet-4, openai/gpt-4o#oa-spare]
     |                                            ^
rules/a.yaml:22:59: warning[repeated_target]: fallback anthropic/claude-sonnet-4 repeats a target already in the plan: a failure there moves to the same model (dispatch.retries_per_target sets how often a target is retried)
  22 |     fallbacks: [anthropic/claude-sonnet-4, openai/gpt-4o, anthropic/claude-sonnet-4, openai/gpt-4o#oa-spare]
     |                                                           ^`,
  },
  "conditions no request meets (warnings)": {
    ok: true,
    rendered: `
rules/a.yaml:3:11: warning[never_matches]: rule "two-models" never matches: its condition needs model to equal two different values
  3 |     when: model == "gpt-4o" && tier == "x" && model == "gpt-4o-mini"
    |           ^
rules/a.yaml:6:11: warning[never_matches]: rule "no-such-endpoint" never matches: endpoint is never "completions"; requests arrive on chat, embeddings, messages, count_tokens, responses
  6 |     when: endpoint == "completions"
    |           ^`,
  },
  "unquoted when, dashed header": {
    ok: false,
    rendered: `
rules/a.yaml:3:11: error[schema]: rules[0].when must be a string: quote it, when: "true"
  3 |     when: true
    |           ^
rules/a.yaml:6:11: error[cel_type]: CEL type error: no such overload: string - string (a header name with a dash is read as headers["x-tier"], not headers.x-tier)
  6 |     when: headers.x-tier == "a"
    |           ^`,
  },
  "targets": {
    ok: false,
    rendered: `
rules/a.yaml:4:12: error[unknown_provider]: unknown provider "opneai" in opneai/gpt-4o; did you mean "openai"?
  4 |     route: opneai/gpt-4o
    |            ^
rules/a.yaml:5:17: error[unknown_model]: provider "anthropic" does not serve model "gpt-4o": its models are ["claude-*"]
  5 |     fallbacks: [anthropic/gpt-4o, legacy/gpt-4o, openai/gpt-4o#oa-mini, openai/gpt-4o#nope]
    |                 ^
rules/a.yaml:5:35: error[disabled_provider]: provider "legacy" is disabled (enabled: false) but legacy/gpt-4o routes to it
  5 |     fallbacks: [anthropic/gpt-4o, legacy/gpt-4o, openai/gpt-4o#oa-mini, openai/gpt-4o#nope]
    |                                   ^
rules/a.yaml:5:50: error[key_model_not_allowed]: key "oa-mini" of provider "openai" does not allow model "gpt-4o" (its models: ["gpt-4o-mini"])
  5 |     fallbacks: [anthropic/gpt-4o, legacy/gpt-4o, openai/gpt-4o#oa-mini, openai/gpt-4o#nope]
    |                                                  ^
rules/a.yaml:5:73: error[unknown_key]: provider "openai" has no key named "nope"
  5 |     fallbacks: [anthropic/gpt-4o, legacy/gpt-4o, openai/gpt-4o#oa-mini, openai/gpt-4o#nope]
    |                                                                         ^
rules/a.yaml:10:35: error[unknown_model]: provider "openai" does not serve model "gpt-5": its models are ["gpt-4o","gpt-4o-mini"]
  10 |       - {provider: openai, model: gpt-5}
     |                                   ^
rules/a.yaml:11:5: error[route_xor_targets]: rule "c" needs \`route: provider/model\` or \`targets: [...]\`
  11 |   - id: c
     |     ^
rules/a.yaml:16:5: error[route_xor_targets]: a rule has either \`route\` or \`targets\`, not both
  16 |     targets: [{provider: openai, model: gpt-4o}]
     |     ^`,
  },
  "duplicates and scopes": {
    ok: false,
    rendered: `
rules/a.yaml:2:9: error[duplicate_id]: duplicate rule id "same" (also at rules/b.yaml:2:9); ids must be unique across all rule files
  2 |   - id: same
    |         ^
rules/a.yaml:5:19: error[unknown_scope]: scope names unknown team "ml-reserch"; did you mean "ml-research"?
  5 |     scope: {team: ml-reserch}
    |                   ^
rules/b.yaml:2:9: error[duplicate_id]: duplicate rule id "same" (also at rules/a.yaml:2:9); ids must be unique across all rule files
  2 |   - id: same
    |         ^
rules/b.yaml:5:26: error[unknown_scope]: scope names unknown virtual key "vk-nope"
  5 |     scope: {virtual_key: vk-nope}
    |                          ^`,
  },
  "shadowed (warning)": {
    ok: true,
    rendered: `
rules/a.yaml:7:9: warning[shadowed_rule]: rule "never" can never match: rule "catch-all" (line 2) always matches before it in scope team:support
  7 |   - id: never
    |         ^
rules/a.yaml:21:11: warning[header_case]: header names are lowercase: headers["X-Tier"] never exists; write "x-tier"
  21 |     when: headers["X-Tier"] == "premium"
     |           ^`,
  },
  "misnamed test file": {
    ok: false,
    rendered: `
rules/a_tests.yaml:1:1: error[misnamed_test_file]: this is a rule test file, but only files named *.test.yaml, *.test.yml or *.test.json are run as tests, and every other .yaml, .yml and .json file under the rule paths is read as rules: rename it to a.test.yaml
  1 | tests:
    | ^`,
  },
  "not a rule file": {
    ok: false,
    rendered: `
rules/requests/premium.json:1:1: error[schema]: the file is missing the required property "rules" (every .yaml, .yml and .json file under the rule paths is read as a rule file: keep other files out of them)
  1 | {"model": "gpt-4o"}
    | ^
rules/requests/premium.json:1:2: error[schema]: unknown property "model" in the top level (expected one of: rules)
  1 | {"model": "gpt-4o"}
    |  ^`,
  },
};


describe('rule compile errors (corpus)', () => {
  for (const [name, files] of Object.entries(CASES)) {
    it(name, () => {
      const c = compileTree(files);
      assert.equal(c.rendered, EXPECTED[name].rendered.replace(/^\n/, ''));
      assert.equal(c.bundle !== null, EXPECTED[name].ok, 'a bundle is refused exactly when there is an error');
    });
  }
});
