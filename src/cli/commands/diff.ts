/** `switchyard diff --rules DIR`: which recent recorded decisions a candidate rule set would change. */
import { resolve } from 'node:path';
import { DiffCollector } from '../../audit/diff.js';
import { MAX_LIMIT } from '../../audit/filter.js';
import { formatDiff } from '../../audit/format.js';
import { compileRuleSet, type RuleSet } from '../../audit/ruleset.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';
import { formatIssues } from '../report.js';
import { FILTER_FLAGS, filterFromArgs, fromStore, loadForCommand, noConfigFile, openStore, STORE_FLAGS } from './audit.js';

const DEFAULT_SINCE = '24h';
const DEFAULT_LIMIT = 10_000;

export const diff: Command = {
  name: 'diff',
  summary: 'Show which recent decisions a rule change would alter',
  usage: `Usage: switchyard diff --rules DIR [--baseline DIR] [--since 24h] [--limit N] [--fail-on-change] [--json] [filters]

Replays recent recorded decisions (newest first, at most --limit) against the candidate
rules in DIR, with the config's providers and principals, and reports how many would
change, grouped by old rule → new rule and old target → new target, with examples.

"Old" is the recorded decision. With --baseline (e.g. the rules of the base branch), it
is the baseline's replay of it instead, so decisions recorded under other revisions do
not count as changes of this one.

Meant for a pull request's CI step: --fail-on-change exits 1 when anything changes.
Only targets the recorded decision looked at have a known availability; a candidate
routing elsewhere sees them all as available.

Exit codes: 0 done (or nothing changed with --fail-on-change), 1 changes with --fail-on-change, 2 bad usage.`,
  flags: {
    ...CONFIG_FLAG,
    ...JSON_FLAG,
    ...STORE_FLAGS,
    rules: { type: 'string', valueName: 'DIR', description: 'Candidate rule files or folder (required)' },
    baseline: { type: 'string', valueName: 'DIR', description: 'Rule files or folder to compare against instead of the recorded decisions' },
    ...FILTER_FLAGS,
    limit: { type: 'string', valueName: 'N', description: `At most N decisions, newest first (default ${DEFAULT_LIMIT})` },
    'fail-on-change': { type: 'boolean', description: 'Exit 1 when any decision would change' },
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const rulesDir = args.string('rules');
    if (rulesDir === undefined) throw new UsageError('--rules DIR is required: the candidate rule set');
    const limitText = args.string('limit');
    const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
    if (!/^[0-9]+$/.test(limitText ?? '1') || limit < 1) throw new UsageError(`--limit must be a positive integer, got "${limitText}"`);
    const filter = filterFromArgs(args, new Date(), args.string('since') === undefined ? { since: DEFAULT_SINCE } : {});

    const r = loadForCommand(args, io);
    if ('exit' in r) return r.exit;
    if (r.loaded.file === null) io.stderr.write(`note: ${noConfigFile(io)}: the rules are compiled with the providers and principals of the embedded default\n`);
    const candidate = compileRuleSet(r.loaded, `the rules in ${rulesDir}`, [resolve(io.cwd, rulesDir)]);
    if (!candidate.ruleset) {
      io.stderr.write(formatIssues(candidate.issues, io.cwd));
      return EXIT.USAGE;
    }
    const baselineDir = args.string('baseline');
    let baseline: RuleSet | undefined;
    if (baselineDir !== undefined) {
      const b = compileRuleSet(r.loaded, `the rules in ${baselineDir}`, [resolve(io.cwd, baselineDir)]);
      if (!b.ruleset) {
        io.stderr.write(formatIssues(b.issues, io.cwd));
        return EXIT.USAGE;
      }
      baseline = b.ruleset;
    }
    const collector = new DiffCollector(candidate.ruleset.router, baseline?.router);
    const reader = openStore(args, io, r.loaded);
    try {
      let cursor: string | undefined;
      let seen = 0;
      do {
        const page = await fromStore(reader.query({ ...filter, limit: Math.min(MAX_LIMIT, limit - seen), cursor }));
        for (const e of page.events) collector.add(e);
        seen += page.events.length;
        cursor = page.next_cursor ?? undefined;
      } while (cursor && seen < limit);
    } finally {
      await reader.close();
    }
    const report = collector.report();
    // A CI gate that compared nothing passes: say so, for a wrong --db, --table or window.
    if (report.total === 0) io.stderr.write(`note: no recorded decision matched${filter.from ? ` since ${filter.from.toISOString()}` : ''}: nothing was compared (check --db, --table and --since)\n`);
    io.stdout.write(args.boolean('json')
      ? `${JSON.stringify({ rules: candidate.ruleset.label, revision: candidate.ruleset.revision, ...report }, null, 2)}\n`
      : formatDiff(report, `${candidate.ruleset.label} (revision ${candidate.ruleset.revision.hash})`));
    return args.boolean('fail-on-change') && report.changed > 0 ? EXIT.FAILED : EXIT.OK;
  },
};
