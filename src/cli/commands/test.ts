/** `switchyard test`: run rule fixtures (rules/*.test.yaml), report cases, coverage and JUnit XML. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import type { Issue } from '../../config/source.js';
import { actualOf, compileRuleBundle, createRouter, findTestFiles, formatJUnit, formatJUnitStopped, formatSpec, loadTestCases, runTests, shownPath, testPathsFor, type TestReport } from '../../rules/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';
import { formatIssues, jsonIssue } from '../report.js';
import { noConfigFile } from './audit.js';

const UNREADABLE = new Set(['config_not_found', 'config_extension', 'config_read', 'not_a_config']);

function jsonReport(report: TestReport, display: (f: string) => string, threshold: number | undefined): unknown {
  const below = threshold !== undefined && report.coverage.percent < threshold;
  return {
    ok: report.failed === 0 && !below,
    summary: { passed: report.passed, failed: report.failed },
    coverage: {
      percent: report.coverage.percent,
      required: threshold ?? null,
      below_required: below,
      rules: report.coverage.total,
      reached: report.coverage.reached,
      unreached: report.coverage.unreached.map((u) => ({ rule_id: u.rule_id, file: display(u.location.file), line: u.location.line, col: u.location.col })),
    },
    results: report.results.map((r) => ({
      name: r.case.name,
      file: display(r.case.file),
      line: r.case.location.line,
      passed: r.passed,
      diffs: r.diffs,
      actual: actualOf(r.decision, r.access),
      errors: r.decision.errors,
    })),
  };
}

export const test: Command = {
  name: 'test',
  summary: 'Run rule tests (rules/*.test.yaml): results, coverage, JUnit XML',
  usage: `Usage: switchyard test [PATH...] [--config FILE] [--reporter spec|junit] [--output FILE]
                       [--fail-under-coverage PERCENT] [--json]

Runs the rule test fixtures (*.test.yaml, *.test.yml, *.test.json) found under PATHs —
files or folders; default: the config's rule paths, where a rule file listed on its own
brings the test file beside it (routing.yaml: routing.test.yaml) — against the config's
rules. Each case gives a request and state and the decision it expects; the output lists
every case (✓/✗ with expected and actual values), the rules no case reached, and a
summary line "N passed, N failed". Provider secrets are not needed: unset env.NAME
values are ignored.

Exit codes: 0 all passed, 1 a case failed, coverage is below --fail-under-coverage or the
rules do not compile, 2 bad usage or invalid test files.`,
  flags: {
    ...CONFIG_FLAG,
    ...JSON_FLAG,
    reporter: { type: 'string', valueName: 'spec|junit', description: 'Output format (default spec)' },
    output: { type: 'string', valueName: 'FILE', description: 'Write the junit report to FILE (the spec report still goes to stdout)' },
    'fail-under-coverage': { type: 'string', valueName: 'PERCENT', description: 'Fail when fewer than PERCENT of the enabled rules are reached' },
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    const reporter = args.string('reporter') ?? 'spec';
    if (reporter !== 'spec' && reporter !== 'junit') throw new UsageError(`--reporter must be spec or junit, got "${reporter}"`);
    const threshold = args.number('fail-under-coverage');
    if (threshold !== undefined && (threshold < 0 || threshold > 100)) throw new UsageError('--fail-under-coverage must be between 0 and 100');
    const output = args.string('output');
    if (output !== undefined && reporter !== 'junit') throw new UsageError('--output goes with --reporter junit');
    const display = (f: string) => shownPath(f, io.cwd);

    const loaded = loadConfig({ path: args.string('config'), env: io.env, cwd: io.cwd, missingEnv: 'warning' });
    // A run that stops before its tests still prints {ok: false, issues} with --json, and
    // writes a JUnit report of one errored case with --reporter junit.
    const stopped = (issues: readonly Issue[], why: string, type = 'CompileError'): void => {
      if (args.boolean('json')) io.stdout.write(`${JSON.stringify({ ok: false, stopped: why, issues: issues.map((i) => jsonIssue(i, io.cwd)) }, null, 2)}\n`);
      if (reporter !== 'junit') return;
      const junit = formatJUnitStopped(why, type, formatIssues(issues, io.cwd).trimEnd());
      if (output === undefined) {
        if (!args.boolean('json')) io.stdout.write(junit);
        return;
      }
      const file = resolve(io.cwd, output);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, junit);
    };
    const configErrors = loaded.issues.filter((i) => i.severity === 'error');
    if (!loaded.config) {
      io.stderr.write(formatIssues(configErrors, io.cwd));
      stopped(configErrors, 'the config has errors', 'ConfigError');
      return configErrors.some((i) => UNREADABLE.has(i.code)) ? EXIT.USAGE : EXIT.FAILED;
    }
    const compiled = compileRuleBundle(loaded.config);
    io.stderr.write(formatIssues(compiled.issues, io.cwd));
    if (!compiled.bundle) {
      io.stderr.write('the rules do not compile; no tests were run\n');
      stopped(compiled.issues, 'the rules do not compile');
      return EXIT.FAILED;
    }
    const paths = args.positionals.length ? args.positionals.map((p) => resolve(io.cwd, p)) : testPathsFor(loaded.config.rulePaths);
    const found = findTestFiles(paths);
    const loadedCases = loadTestCases(found.files, compiled.bundle);
    const inputIssues: Issue[] = [...found.issues, ...loadedCases.issues];
    io.stderr.write(formatIssues(inputIssues, io.cwd));
    if (inputIssues.some((i) => i.severity === 'error')) {
      stopped(inputIssues, 'the test files have errors', 'InvalidInput');
      return EXIT.USAGE;
    }
    if (found.files.length === 0) {
      if (paths.length > 0) io.stderr.write(`no rule test files (*.test.yaml) under ${paths.map(display).join(', ')}\n`);
      else if (loaded.config.rulePaths.length > 0) io.stderr.write(`no rule test files beside the rule files ${loaded.config.file === null ? 'SWITCHYARD_RULES' : display(loaded.config.file)} lists (the tests of routing.yaml are in routing.test.yaml)\n`);
      else {
        const why = loaded.config.file === null
          ? `${noConfigFile(io)} and the embedded default names no rules`
          : `${display(loaded.config.file)} names no rules (rules.paths, or a rules/ folder beside it)`;
        io.stderr.write(`no rule test files: ${why}; name test files or folders as arguments, or the config with --config\n`);
      }
      return EXIT.FAILED;
    }

    const report = runTests(createRouter(compiled.bundle), loadedCases.cases);
    const belowCoverage = threshold !== undefined && report.coverage.percent < threshold;
    if (args.boolean('json')) {
      io.stdout.write(`${JSON.stringify({ ...(jsonReport(report, display, threshold) as object), issues: compiled.issues.map((i) => jsonIssue(i, io.cwd)) }, null, 2)}\n`);
    } else if (reporter === 'junit' && output === undefined) {
      io.stdout.write(formatJUnit(report, { failUnderCoverage: threshold, display }));
    } else {
      io.stdout.write(`${formatSpec(report, display)}\n`);
    }
    if (reporter === 'junit' && output !== undefined) {
      const file = resolve(io.cwd, output);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, formatJUnit(report, { failUnderCoverage: threshold, display }));
    }
    if (belowCoverage) io.stderr.write(`coverage ${report.coverage.percent}% is below the required ${threshold}%\n`);
    return report.failed > 0 || belowCoverage ? EXIT.FAILED : EXIT.OK;
  },
};
