/**
 * The policy router: rule files compiled into a bundle (every problem reported with
 * file:line:col), a router whose `decide` is pure and cached per request shape,
 * `explain` for per-rule traces, and the `switchyard test` machinery.
 *
 * @example
 * const { bundle, issues } = compileRuleBundle(loaded);
 * const router = createRouter(bundle!, { rng: Math.random });
 * const decision = router.decide(ctx);   // → {via, rule_id, selected, fallbacks, inputs: {draw, ...}, revision}
 */
export { compileRuleBundle, type CompileOptions, type CompileResult } from './compile.js';
export { createRouter, type Router, type RouterOptions } from './router.js';
export { evaluateRules, type RuleOutcome } from './evaluation.js';
export { explain, type Explanation, type RuleTrace, type RuleStatus } from './explain.js';
export { DEFAULT_FALLBACK_ON, type CompiledRule, type RuleBundle, type RuleScope, type RouterSettings, type ScopeKind } from './bundle.js';
export { VARIABLES, VOLATILE_VARIABLES, ruleEnvironment, toActivation } from './cel.js';
export { contextFromRequest, unknownPrincipals, type ContextDefaults } from './context.js';
export { parseTargetRef, formatTarget } from './targets.js';
export { resolveAlias } from './fallthrough.js';
export { findRuleFiles, findTestFiles, shownPath, testPathsFor } from './files.js';
export { loadTestCases, type TestCase } from './fixtures.js';
export { runTests, compare, actualOf, type TestReport, type CaseResult, type Coverage, type FieldDiff } from './test-runner.js';
export { formatSpec, formatJUnit, formatJUnitStopped, coverageLines, type Display, type JUnitOptions } from './test-report.js';
export { gitCommit } from './revision.js';
export { validateDocument, type SchemaName } from './schema.js';
