/** `switchyard validate`: check the config and every rule file, report all problems at once. */
import { resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import type { Issue } from '../../config/source.js';
import { compileRuleBundle, findRuleFiles } from '../../rules/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';
import { countIssues, formatIssues, jsonIssue, plural } from '../report.js';
import { noConfigFile } from './audit.js';

/** Problems that mean there was nothing to check: invalid input rather than a failed check. */
const UNREADABLE = new Set(['config_not_found', 'config_extension', 'config_read', 'not_a_config', 'no_config_file']);

export const validate: Command = {
  name: 'validate',
  summary: 'Check the config and rule files; report every problem with file:line:col',
  usage: `Usage: switchyard validate [--config FILE] [--json] [--allow-missing-env]
       switchyard validate FILE

Checks the gateway config (FILE or --config; schema, references, env.NAME variables) and
compiles every rule file it names (CEL syntax and types, targets, scopes, shadowed
rules). Every problem is printed with file:line:col and a caret, then a summary line.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad usage, an unreadable
config, or no config found while a rules/ folder of rule files is in the working directory.`,
  flags: {
    ...CONFIG_FLAG,
    ...JSON_FLAG,
    'allow-missing-env': { type: 'boolean', description: 'Report unset env.NAME variables as warnings (for CI jobs without the secrets)' },
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    if (args.positionals.length > 1) throw new UsageError(`expected at most one config file, got ${args.positionals.length} arguments`);
    const positional = args.positionals[0];
    if (positional !== undefined && args.string('config') !== undefined) throw new UsageError('give the config file either as an argument or with --config, not both');
    const path = positional ?? args.string('config');

    const loaded = loadConfig({ path, env: io.env, cwd: io.cwd, missingEnv: args.boolean('allow-missing-env') ? 'warning' : 'error' });
    const issues: Issue[] = [...loaded.issues];
    // No config found, yet rule files right here: the embedded default would pass without
    // reading them, and a CI job whose config is named otherwise would go green unchecked.
    if (loaded.config?.file === null && !io.env.SWITCHYARD_RULES?.trim() && findRuleFiles([resolve(io.cwd, 'rules')]).files.length > 0) {
      issues.push({ severity: 'error', code: 'no_config_file', message: `${noConfigFile(io)} and the embedded default reads no rule files: the rules/ folder here was not checked; name the config with --config` });
    }
    let ruleFiles = 0;
    let rules = 0;
    // Unset variables are the config's only errors: the rules are checked all the same,
    // against the config as it reads without them, so one run shows every problem.
    const onlyEnv = loaded.config === null && loaded.issues.every((i) => i.severity !== 'error' || i.code === 'env_missing');
    const checked = loaded.config ?? (onlyEnv ? loadConfig({ path, env: io.env, cwd: io.cwd, missingEnv: 'warning' }).config : null);
    if (checked) {
      const compiled = compileRuleBundle(checked);
      issues.push(...compiled.issues);
      ruleFiles = compiled.bundle?.files.length ?? 0;
      rules = compiled.bundle?.rules.length ?? 0;
    }
    const counts = countIssues(issues);
    const unreadable = issues.some((i) => UNREADABLE.has(i.code));
    const ok = counts.errors === 0;
    let summary: string;
    if (ok) {
      const what = `${loaded.config?.file === null ? '1 config (embedded default)' : '1 config'}, ${plural(ruleFiles, 'rule file')}, ${plural(rules, 'rule')}`;
      summary = `ok: ${what}${counts.warnings ? ` (${plural(counts.warnings, 'warning')})` : ''}`;
    } else {
      const unchecked = checked || unreadable ? '' : '; rules were not checked because the config has errors';
      summary = `${plural(counts.errors, 'error')}, ${plural(counts.warnings, 'warning')}${unchecked}`;
    }

    if (args.boolean('json')) {
      io.stdout.write(`${JSON.stringify({
        ok,
        issues: issues.map((i) => jsonIssue(i, io.cwd)),
        summary: { errors: counts.errors, warnings: counts.warnings, rule_files: ruleFiles, rules },
      }, null, 2)}\n`);
    } else {
      io.stdout.write(formatIssues(issues, io.cwd));
      io.stdout.write(`${summary}\n`);
    }
    return unreadable ? EXIT.USAGE : ok ? EXIT.OK : EXIT.FAILED;
  },
};
