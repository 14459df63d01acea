/** `switchyard explain`: how a request would be routed, rule by rule. Nothing is sent. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { parseSource, type Issue } from '../../config/source.js';
import type { Decision, RoutingContext } from '../../decision.js';
import type { TestRequest, TestState } from '../../types/rule-test-file.js';
import { compileRuleBundle, contextFromRequest, createRouter, explain, formatTarget, shownPath, unknownPrincipals, validateDocument, type Explanation, type RuleTrace } from '../../rules/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';
import { formatIssues } from '../report.js';

const UNREADABLE = new Set(['config_not_found', 'config_extension', 'config_read', 'not_a_config']);

function readJson<T>(file: string, schema: 'request' | 'state', io: CommandIO): { value: T | null; issues: Issue[] } {
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    return { value: null, issues: [{ severity: 'error', code: 'read_error', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  const doc = parseSource(resolve(io.cwd, file), text);
  const issues = doc.issues.length ? doc.issues : validateDocument(schema, doc);
  return { value: issues.some((i) => i.severity === 'error') ? null : (doc.value as T), issues };
}

const RESULT: Record<RuleTrace['status'], string> = {
  disabled: 'disabled',
  out_of_scope: 'out of scope',
  false: 'false',
  matched: 'MATCHED',
  shadow_matched: 'shadow-matched (not routing)',
  error: 'error',
  not_reached: 'not reached',
};

function requestLine(ctx: RoutingContext): string {
  const who = ctx.virtual_key ? `virtual key ${ctx.virtual_key}` : ctx.team ? `team ${ctx.team}` : ctx.customer ? `customer ${ctx.customer}` : 'no principal';
  const chain = [ctx.team && `team ${ctx.team}`, ctx.customer && `customer ${ctx.customer}`].filter(Boolean).join(', ');
  const model = ctx.provider ? `${ctx.provider}/${ctx.model}` : ctx.model;
  return `Request: ${ctx.endpoint} ${model}${ctx.stream ? ' (stream)' : ''} · ${who}${ctx.virtual_key && chain ? ` (${chain})` : ''} · tier ${JSON.stringify(ctx.tier)}`;
}

function outcomeLines(d: Decision, access: Explanation['access']): string[] {
  const out: string[] = [];
  const head = d.via === 'rule'
    ? `rule ${d.rule_id} (priority ${d.priority}, ${d.scope})`
    : d.via === 'balance' ? 'no rule matched: weighted balancing'
    : d.via === 'pinned' ? 'no rule matched: the requested provider only'
    : `refused: ${d.reason}`;
  out.push(`Outcome: ${head}`);
  out.push(`  selected   ${d.selected ? formatTarget(d.selected) : `none (${d.reason})`}`);
  if (d.targets.length) {
    out.push(`  ${d.via === 'rule' ? 'targets   ' : 'candidates'} ${d.targets.map((t) => `${formatTarget(t)} ${(t.weight ?? 0).toFixed(3)}`).join(', ')}`);
  }
  out.push(d.fallbacks.length ? `  fallbacks  ${d.fallbacks.map(formatTarget).join(' → ')}  (on ${(d.fallback_on ?? []).join(', ')})` : '  fallbacks  none');
  out.push(`  draw       ${d.inputs.draw.toFixed(6)}`);
  if (d.inputs.unavailable?.length) out.push(`  ${d.panic ? 'panic     ' : 'skipped   '} ${d.inputs.unavailable.join(', ')}${d.panic ? ' (every target cooling down: tried anyway)' : ''}`);
  if (d.shadow_matches.length) out.push(`  shadow     ${d.shadow_matches.join(', ')}`);
  for (const e of d.errors) out.push(`  error      ${e.rule_id}: ${e.message}`);
  out.push(...accessLines(access));
  out.push(`  revision   ${d.revision.hash}${d.revision.git_commit ? ` (git ${d.revision.git_commit.slice(0, 12)})` : ''}`);
  return out;
}

/** The caller's allowlists, when they change what the gateway does with the decision. */
function accessLines(a: Explanation['access']): string[] {
  const out: string[] = [];
  if (a.refused) out.push(`  refused    ${a.refused.status} ${a.refused.code}: ${a.refused.message} (the caller's allowlists)`);
  if (a.fallbacks_not_allowed.length) out.push(`  dropped    ${a.fallbacks_not_allowed.join(', ')} (fallbacks the caller's allowlists refuse)`);
  return out;
}

function rulesTable(rules: readonly RuleTrace[], display: (f: string) => string): string[] {
  if (rules.length === 0) return ['Rules: none'];
  const rows = rules.map((r, i) => [
    String(i + 1), r.rule_id, r.scope, String(r.priority), r.mode,
    r.status === 'error' ? `error: ${r.message}` : RESULT[r.status],
    `${display(r.location.file)}:${r.location.line}:${r.location.col}`,
  ]);
  const head = ['#', 'rule', 'scope', 'prio', 'mode', 'result', 'where'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]) => `  ${r.map((v, c) => (c === 3 ? v.padStart(widths[c]) : c === r.length - 1 ? v : v.padEnd(widths[c]))).join('  ')}`;
  return ['Rules, in evaluation order:', fmt(head), ...rows.map(fmt)];
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'Show how a request would be routed, rule by rule, without sending it',
  usage: `Usage: switchyard explain --request FILE [--state FILE] [--config FILE] [--json]

Shows, for every rule in evaluation order, whether it was out of scope, false, matched,
shadow-matched, raised an evaluation error (with the error) or was not reached, then
the outcome: the matched rule's targets and fallbacks, or the balancer's candidates
with their normalized weights, and the random draw. Nothing is sent to any provider.

The request file is JSON or YAML, like a test case's request:
  {"model": "gpt-4o", "headers": {"x-tier": "premium"}, "virtual_key": "vk-app",
   "endpoint": "chat", "stream": false, "params": {"max_tokens": 8000}}
The state file gives budget_used, tokens_used, requests_used (percent), now, draw
(in [0, 1); default random) and cooldown (providers or provider#key names).

Exit codes: 0 explained, 1 the config or rules have errors, 2 bad usage or invalid input.`,
  flags: {
    ...CONFIG_FLAG,
    ...JSON_FLAG,
    request: { type: 'string', valueName: 'FILE', description: 'The request to explain (JSON or YAML)' },
    state: { type: 'string', valueName: 'FILE', description: 'Capacity state, time, draw and cooldowns (JSON or YAML)' },
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    const requestFile = args.string('request');
    if (requestFile === undefined) throw new UsageError('--request FILE is required');
    if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const req = readJson<TestRequest>(requestFile, 'request', io);
    const stateFile = args.string('state');
    const state = stateFile === undefined ? { value: {} as TestState, issues: [] } : readJson<TestState>(stateFile, 'state', io);
    const inputIssues = [...req.issues, ...state.issues];
    if (inputIssues.length) io.stderr.write(formatIssues(inputIssues, io.cwd));
    if (!req.value || !state.value) return EXIT.USAGE;

    const loaded = loadConfig({ path: args.string('config'), env: io.env, cwd: io.cwd, missingEnv: 'warning' });
    if (!loaded.config) {
      const errors = loaded.issues.filter((i) => i.severity === 'error');
      io.stderr.write(formatIssues(errors, io.cwd));
      return errors.some((i) => UNREADABLE.has(i.code)) ? EXIT.USAGE : EXIT.FAILED;
    }
    const compiled = compileRuleBundle(loaded.config);
    if (!compiled.bundle) {
      io.stderr.write(formatIssues(compiled.issues, io.cwd));
      io.stderr.write('the rules do not compile; run `switchyard validate`\n');
      return EXIT.FAILED;
    }
    const unknown = unknownPrincipals(compiled.bundle, req.value);
    if (unknown.length > 0) throw new UsageError(unknown.map((u) => u.message).join('; '));
    const router = createRouter(compiled.bundle);
    const { ctx, opts } = contextFromRequest(compiled.bundle, req.value, state.value, { now: new Date() });
    const result = explain(router, ctx, opts);
    const display = (f: string) => shownPath(f, io.cwd);

    if (args.boolean('json')) {
      const rules = result.rules.map((r) => ({ ...r, location: { ...r.location, file: display(r.location.file) } }));
      io.stdout.write(`${JSON.stringify({ rules, decision: result.decision, access: result.access }, null, 2)}\n`);
      return EXIT.OK;
    }
    const d = result.decision;
    const lines = [
      requestLine(ctx),
      `State: budget_used ${ctx.budget_used} · tokens_used ${ctx.tokens_used} · requests_used ${ctx.requests_used} · now ${d.inputs.now}`,
      '',
      ...rulesTable(result.rules, display),
      '',
      ...outcomeLines(d, result.access),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.OK;
  },
};
