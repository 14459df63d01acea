/**
 * Rule test fixtures (`rules/*.test.yaml`): read, schema-checked, and cross-checked
 * against the bundle (principals and rule ids must exist), every problem located.
 */
import { readFileSync } from 'node:fs';
import { issueAt, parseSource, type Issue, type Location, type SourceDocument } from '../config/source.js';
import { didYouMean } from '../config/suggest.js';
import type { RuleTestFile, TestExpect, TestRequest, TestState } from '../types/rule-test-file.js';
import type { RuleBundle } from './bundle.js';
import { validateDocument } from './schema.js';
import { unknownPrincipals } from './context.js';

export interface TestCase {
  name: string;
  /** The test file (as given). */
  file: string;
  /** Where the case starts (its `name`). */
  location: Location;
  request: TestRequest;
  state: TestState;
  expect: TestExpect;
}

function crossCheck(doc: SourceDocument, data: RuleTestFile, bundle: RuleBundle): Issue[] {
  const issues: Issue[] = [];
  const ruleIds = new Set(bundle.rules.map((r) => r.id));
  data.tests.forEach((t, i) => {
    for (const u of unknownPrincipals(bundle, t.request)) issues.push(issueAt(doc, ['tests', i, 'request', u.field], 'unknown_principal', u.message));
    const rule = t.expect.rule;
    if (typeof rule === 'string' && !ruleIds.has(rule)) {
      issues.push(issueAt(doc, ['tests', i, 'expect', 'rule'], 'unknown_rule', `no rule has the id "${rule}"${didYouMean(rule, ruleIds)}`));
    }
    for (const [j, id] of (t.expect.shadow ?? []).entries()) {
      if (!ruleIds.has(id)) issues.push(issueAt(doc, ['tests', i, 'expect', 'shadow', j], 'unknown_rule', `no rule has the id "${id}"${didYouMean(id, ruleIds)}`));
    }
    for (const [j, name] of (t.state?.cooldown ?? []).entries()) {
      const problem = cooldownProblem(bundle, name);
      if (problem) issues.push(issueAt(doc, ['tests', i, 'state', 'cooldown', j], 'unknown_cooldown', problem));
    }
  });
  return issues;
}

/** Why a state's cooldown entry (`provider`, `provider#key` or `provider/key`) names nothing, or null. */
function cooldownProblem(bundle: RuleBundle, name: string): string | null {
  const cut = name.search(/[#/]/);
  const id = cut < 0 ? name : name.slice(0, cut);
  const provider = bundle.providers.get(id);
  if (!provider) return `cooldown names unknown provider "${id}"${didYouMean(id, [...bundle.providers.keys()])}`;
  if (cut < 0) return null;
  const key = name.slice(cut + 1);
  const keys = provider.keys.map((k) => k.name);
  return keys.includes(key) ? null : `provider "${id}" has no key "${key}"${didYouMean(key, keys)}`;
}

/** Reads test files; cases come only from files without errors. */
export function loadTestCases(files: readonly string[], bundle: RuleBundle): { cases: TestCase[]; issues: Issue[] } {
  const cases: TestCase[] = [];
  const issues: Issue[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      issues.push({ severity: 'error', code: 'read_error', message: `cannot read test file ${file}: ${(e as Error).message}` });
      continue;
    }
    const doc = parseSource(file, text);
    const fileIssues = [...doc.issues];
    if (!fileIssues.length) fileIssues.push(...validateDocument('tests', doc));
    if (!fileIssues.length) fileIssues.push(...crossCheck(doc, doc.value as RuleTestFile, bundle));
    issues.push(...fileIssues);
    if (fileIssues.some((i) => i.severity === 'error')) continue;
    (doc.value as RuleTestFile).tests.forEach((t, i) => {
      cases.push({ name: t.name, file, location: doc.locate(['tests', i, 'name']), request: t.request, state: t.state ?? {}, expect: t.expect });
    });
  }
  return { cases, issues };
}
