/** `switchyard replay <decision_id>`: re-decide one recorded decision and show whether it is identical. */
import { resolve } from 'node:path';
import { formatIssues } from '../report.js';
import { formatReplay } from '../../audit/format.js';
import { replayEvent } from '../../audit/replay.js';
import { compileRuleSet, ruleSetAtCommit, type RuleSet } from '../../audit/ruleset.js';
import type { LoadedConfig } from '../../config/index.js';
import type { AuditEventV1 } from '../../types/audit-event.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';
import { fromStore, loadForCommand, noConfigFile, openStore, STORE_FLAGS } from './audit.js';

const RULES_FLAG = {
  rules: { type: 'string', valueName: 'DIR', description: 'Rule files or folder to decide with instead of the config\'s rules' },
} as const satisfies FlagSpecs;

/**
 * The rules to replay `event` with: --rules; else the config's rules when they are the
 * recorded revision; else the rules at the recorded git commit when git has it; else the
 * config's rules anyway (the output says which).
 */
function chooseRules(loaded: LoadedConfig, event: AuditEventV1, rulesFlag: string | undefined, io: CommandIO): RuleSet | number {
  if (rulesFlag !== undefined) {
    const r = compileRuleSet(loaded, `the rules in ${rulesFlag}`, [resolve(io.cwd, rulesFlag)]);
    if (!r.ruleset) {
      io.stderr.write(formatIssues(r.issues, io.cwd));
      return EXIT.USAGE;
    }
    return r.ruleset;
  }
  const current = compileRuleSet(loaded, 'the current rules');
  const recorded = event.config_revision;
  if (current.ruleset?.revision.hash === recorded.hash) return { ...current.ruleset, label: 'the recorded revision (the current rules)' };
  if (loaded.file === null) {
    // Replayed with the embedded default's mock provider and no rules, every decision came out DIFFERENT (exit 1).
    io.stderr.write(`switchyard replay: ${noConfigFile(io)}, and the embedded default did not make this decision (revision ${recorded.hash}): name the gateway's config with --config\n`);
    return EXIT.USAGE;
  }
  if (recorded.git_commit) {
    const atCommit = ruleSetAtCommit(loaded, recorded.git_commit);
    if (atCommit.ruleset) {
      // The commit is the one checked out when the decision was made; the rule files may
      // have held changes not committed then, or the config have differed.
      if (atCommit.ruleset.revision.hash !== recorded.hash) {
        io.stderr.write(`note: the rules at git commit ${recorded.git_commit.slice(0, 12)} are not the recorded revision ${recorded.hash} (they compile to ${atCommit.ruleset.revision.hash}): the decision was made from rule files with changes not committed, or under another config; a difference below may come from that\n`);
      }
      return atCommit.ruleset;
    }
    io.stderr.write(`note: cannot use the recorded rules: ${atCommit.reason ?? formatIssues(atCommit.issues, io.cwd)}\n`);
  }
  if (!current.ruleset) {
    io.stderr.write(formatIssues(current.issues, io.cwd));
    return EXIT.USAGE;
  }
  return current.ruleset;
}

export const replay: Command = {
  name: 'replay',
  summary: 'Re-run a recorded decision against its rules (or --rules) and show any difference',
  usage: `Usage: switchyard replay <decision_id> [--rules DIR] [--json]

Feeds the inputs recorded with a decision (headers, principal, model, capacity values,
the time, the balancer's random draw and the targets that were unavailable) back to the
router and compares the result with the recorded decision, field by field.

Rules: --rules DIR when given; else the config's rules if they are the recorded revision;
else the rules at the recorded git commit (read with git); else the config's rules.

Exit codes: 0 identical, 1 different, 2 bad usage, no such decision, or no config file
while the decision was not made by the embedded default.`,
  flags: { ...CONFIG_FLAG, ...JSON_FLAG, ...STORE_FLAGS, ...RULES_FLAG },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    if (args.positionals.length !== 1) throw new UsageError('expected one decision id');
    const decisionId = args.positionals[0];
    const r = loadForCommand(args, io);
    if ('exit' in r) return r.exit;
    const reader = openStore(args, io, r.loaded);
    let event: AuditEventV1 | null;
    try {
      event = await fromStore(reader.get(decisionId));
    } finally {
      await reader.close();
    }
    if (!event) {
      io.stderr.write(`switchyard replay: no decision ${decisionId} in the audit log\n`);
      return EXIT.USAGE;
    }
    const rules = chooseRules(r.loaded, event, args.string('rules'), io);
    if (typeof rules === 'number') return rules;
    const result = replayEvent(rules.router, event);
    io.stdout.write(args.boolean('json') ? `${JSON.stringify({ rules: rules.label, ...result }, null, 2)}\n` : formatReplay(result, rules.label));
    return result.identical ? EXIT.OK : EXIT.FAILED;
  },
};
