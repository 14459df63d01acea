/**
 * Rule test reports: the human one (each case ✓/✗ with an expected/actual diff,
 * coverage, and the `N passed, N failed` line) and JUnit XML for CI systems.
 */
import type { Location } from '../config/source.js';
import type { CaseResult, TestReport } from './test-runner.js';

/** How file names are shown (e.g. relative to the working directory). Default: as given. */
export type Display = (file: string) => string;

const asGiven: Display = (f) => f;

function at(loc: Location, display: Display): string {
  return `${display(loc.file)}:${loc.line}:${loc.col}`;
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

function caseLines(r: CaseResult, display: Display): string[] {
  const where = at(r.case.location, display);
  if (r.passed) {
    // Passing on routing alone, while the gateway would answer 403: worth saying.
    const refused = r.access.refused;
    return refused && r.case.expect.refused === undefined
      ? [`  ✓ ${r.case.name}`, `      note: the gateway answers ${refused.status} ${refused.code} after this decision (${refused.message}); expect \`refused\` to check it`]
      : [`  ✓ ${r.case.name}`];
  }
  const out = [`  ✗ ${r.case.name}  (${where})`];
  const width = Math.max(...r.diffs.map((d) => d.field.length));
  for (const d of r.diffs) {
    out.push(`      ${d.field.padEnd(width)}  - expected ${show(d.expected)}`);
    out.push(`      ${' '.repeat(width)}  + actual   ${show(d.actual)}`);
  }
  const errs = r.decision.errors;
  if (errs.length) out.push(`      evaluation errors: ${errs.map((e) => `${e.rule_id}: ${e.message}`).join('; ')}`);
  return out;
}

/** Coverage in words, plus the rules no case reached. */
export function coverageLines(report: TestReport, display: Display = asGiven): string[] {
  const c = report.coverage;
  const out = [`coverage: ${c.total - c.unreached.length}/${c.total} rules reached (${c.percent}%)`];
  for (const u of c.unreached) out.push(`  not reached: ${u.rule_id}  (${at(u.location, display)})`);
  return out;
}

/** The spec reporter: cases grouped by file, then coverage, then the summary line. */
export function formatSpec(report: TestReport, display: Display = asGiven): string {
  const lines: string[] = [];
  let file: string | null = null;
  for (const r of report.results) {
    if (r.case.file !== file) {
      file = r.case.file;
      if (lines.length) lines.push('');
      lines.push(display(file));
    }
    lines.push(...caseLines(r, display));
  }
  if (lines.length) lines.push('');
  lines.push(...coverageLines(report, display), '', `${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

function xml(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the rest escaped.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export interface JUnitOptions {
  /** With a threshold, coverage becomes a test case that fails below it. */
  failUnderCoverage?: number;
  display?: Display;
}

/** JUnit XML: one testsuite per test file; coverage as properties (and a case, with a threshold). */
export function formatJUnit(report: TestReport, opts: JUnitOptions = {}): string {
  const display = opts.display ?? asGiven;
  const byFile = new Map<string, CaseResult[]>();
  for (const r of report.results) byFile.set(display(r.case.file), [...(byFile.get(display(r.case.file)) ?? []), r]);
  const suites: string[] = [];
  let tests = report.results.length;
  let failures = report.failed;
  const total = report.results.reduce((s, r) => s + r.duration, 0);
  for (const [file, results] of byFile) {
    const failed = results.filter((r) => !r.passed).length;
    const time = results.reduce((s, r) => s + r.duration, 0);
    const cases = results.map((r) => {
      const head = `    <testcase name="${xml(r.case.name)}" classname="${xml(file)}" file="${xml(file)}" line="${r.case.location.line}" time="${seconds(r.duration)}"`;
      if (r.passed) return `${head}/>`;
      const summary = r.diffs.map((d) => `${d.field}: expected ${show(d.expected)}, got ${show(d.actual)}`).join('; ');
      const body = caseLines(r, display).slice(1).map((l) => l.trim()).join('\n');
      return `${head}>\n      <failure message="${xml(summary)}" type="AssertionError">${xml(body)}</failure>\n    </testcase>`;
    });
    suites.push(`  <testsuite name="${xml(file)}" tests="${results.length}" failures="${failed}" errors="0" skipped="0" time="${seconds(time)}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  const c = report.coverage;
  const props = [
    `      <property name="coverage.percent" value="${c.percent}"/>`,
    `      <property name="coverage.rules" value="${c.total}"/>`,
    `      <property name="coverage.unreached" value="${xml(c.unreached.map((u) => u.rule_id).join(','))}"/>`,
  ];
  let coverageCase = '';
  if (opts.failUnderCoverage !== undefined) {
    tests++;
    const ok = c.percent >= opts.failUnderCoverage;
    const name = `coverage ≥ ${opts.failUnderCoverage}%`;
    if (ok) coverageCase = `\n    <testcase name="${xml(name)}" classname="coverage" time="0.000"/>`;
    else {
      failures++;
      const body = c.unreached.map((u) => `not reached: ${u.rule_id} (${at(u.location, display)})`).join('\n');
      coverageCase = `\n    <testcase name="${xml(name)}" classname="coverage" time="0.000">\n      <failure message="${xml(`coverage ${c.percent}% is below ${opts.failUnderCoverage}%`)}" type="CoverageError">${xml(body)}</failure>\n    </testcase>`;
    }
  }
  suites.push(`  <testsuite name="coverage" tests="${opts.failUnderCoverage === undefined ? 0 : 1}" failures="${opts.failUnderCoverage !== undefined && c.percent < opts.failUnderCoverage ? 1 : 0}" errors="0" skipped="0" time="0.000">\n    <properties>\n${props.join('\n')}\n    </properties>${coverageCase}\n  </testsuite>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="switchyard test" tests="${tests}" failures="${failures}" errors="0" time="${seconds(total)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/**
 * The JUnit report of a run that stopped before its cases (config or rules with errors,
 * invalid test files): one errored case saying why, the problems as its body, so a CI job
 * that publishes the report shows the error instead of finding no report.
 *
 * @example formatJUnitStopped('the rules do not compile', 'CompileError', 'rules/a.yaml:3:11: error[cel_syntax]: …')
 */
export function formatJUnitStopped(why: string, type: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="switchyard test" tests="1" failures="0" errors="1" time="0.000">
  <testsuite name="switchyard test" tests="1" failures="0" errors="1" skipped="0" time="0.000">
    <testcase name="${xml(why)}" classname="switchyard test" time="0.000">
      <error message="${xml(why)}" type="${xml(type)}">${xml(body)}</error>
    </testcase>
  </testsuite>
</testsuites>
`;
}
