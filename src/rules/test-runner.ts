/**
 * Runs rule test cases through a router and compares each decision with the case's
 * expectations; measures coverage (rules no case reached — winning or shadow-matching).
 */
import type { Decision } from '../decision.js';
import type { Location } from '../config/source.js';
import type { TestExpect } from '../types/rule-test-file.js';
import type { Router } from './router.js';
import { contextFromRequest } from './context.js';
import type { TestCase } from './fixtures.js';
import { formatTarget } from './targets.js';
import { accessOf, type Access } from './explain.js';

export interface FieldDiff {
  field: keyof TestExpect;
  expected: unknown;
  actual: unknown;
}

export interface CaseResult {
  case: TestCase;
  passed: boolean;
  diffs: FieldDiff[];
  decision: Decision;
  /** What the caller's allowlists make of the decision. */
  access: Access;
  /** Milliseconds. */
  duration: number;
}

export interface Coverage {
  /** Enabled rules. */
  total: number;
  reached: string[];
  unreached: { rule_id: string; location: Location }[];
  /** 0–100; 100 when there are no rules. */
  percent: number;
}

export interface TestReport {
  results: CaseResult[];
  passed: number;
  failed: number;
  coverage: Coverage;
}

export interface RunOptions {
  /** `now` for cases whose state gives none. Default: the time the run starts. */
  now?: Date;
  /** Milliseconds clock for durations. Default: performance.now. */
  clock?: () => number;
}

/** What the decision says, in the vocabulary of a test's `expect`. */
export function actualOf(d: Decision, access: Access): Required<Omit<TestExpect, 'key' | 'provider' | 'model' | 'reason'>> & Pick<TestExpect, 'key' | 'provider' | 'model' | 'reason'> {
  return {
    rule: d.rule_id,
    via: d.via,
    provider: d.selected?.provider,
    model: d.selected?.model,
    key: d.selected?.key ?? undefined,
    fallbacks: d.fallbacks.map(formatTarget),
    shadow: [...d.shadow_matches],
    reason: d.reason ?? undefined,
    panic: d.panic === true,
    refused: access.refused?.code ?? null,
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Fields the case names that differ from the decision (`shadow` compares as a set). */
export function compare(expect: TestExpect, d: Decision, access: Access): FieldDiff[] {
  const actual = actualOf(d, access);
  const diffs: FieldDiff[] = [];
  for (const field of Object.keys(expect) as (keyof TestExpect)[]) {
    const want = expect[field];
    let got: unknown = actual[field];
    if (field === 'shadow') {
      const sortedWant = [...(want as string[])].sort();
      const sortedGot = [...(got as string[])].sort();
      if (!same(sortedWant, sortedGot)) diffs.push({ field, expected: want, actual: got });
      continue;
    }
    if (got === undefined && want === null) got = null;
    if (!same(want, got)) diffs.push({ field, expected: want, actual: got ?? null });
  }
  return diffs;
}

export function runTests(router: Router, cases: readonly TestCase[], opts: RunOptions = {}): TestReport {
  const now = opts.now ?? new Date();
  const clock = opts.clock ?? (() => performance.now());
  const reached = new Set<string>();
  const results = cases.map((c): CaseResult => {
    const start = clock();
    const { ctx, opts: decideOpts } = contextFromRequest(router.bundle, c.request, c.state, { now, draw: 0 });
    const decision = router.decide(ctx, decideOpts);
    const access = accessOf(router, ctx, decision);
    const diffs = compare(c.expect, decision, access);
    if (decision.rule_id) reached.add(decision.rule_id);
    for (const s of decision.shadow_matches) reached.add(s);
    return { case: c, passed: diffs.length === 0, diffs, decision, access, duration: clock() - start };
  });
  const enabled = router.bundle.rules.filter((r) => r.enabled);
  const unreached = enabled.filter((r) => !reached.has(r.id)).map((r) => ({ rule_id: r.id, location: r.location }));
  const total = enabled.length;
  const passed = results.filter((r) => r.passed).length;
  return {
    results,
    passed,
    failed: results.length - passed,
    coverage: {
      total,
      reached: enabled.filter((r) => reached.has(r.id)).map((r) => r.id),
      unreached,
      percent: total === 0 ? 100 : Math.round(((total - unreached.length) / total) * 1000) / 10,
    },
  };
}
