/**
 * Rule compilation: reads every rule file, validates it, compiles and type-checks each
 * `when`, resolves targets against the providers, and reports every problem at once
 * with its file:line:col. A bundle with any error is refused as a whole.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, relative } from 'node:path';
import { ParseError, type ParseResult } from '@marcbachmann/cel-js';
import type { LoadedConfig } from '../config/types.js';
import { issueAt, parseSource, type Issue, type Location, type PathSegment, type SourceDocument } from '../config/source.js';
import { didYouMean } from '../config/suggest.js';
import type { FallbackReason } from '../errors.js';
import type { TargetRecord } from '../types/audit-event.js';
import type { ProviderOption } from '../balance/candidates.js';
import { analyze, matchesCalls } from './analysis.js';
import { needsInBridges, needsSafeMaps, re2, RE2_MATCHES, ruleEnvironment, VARIABLES } from './cel.js';
import { DEFAULT_FALLBACK_ON, type CompiledRule, type RuleBundle, type RuleScope } from './bundle.js';
import { findRuleFiles } from './files.js';
import { compileGuard } from './guard.js';
import { locateInExpression } from './locate.js';
import { ENDPOINTS } from './rule-index.js';
import { buildDirectory, type Directory } from './principals.js';
import { computeRevision } from './revision.js';
import { validateDocument } from './schema.js';
import { parseTargetRef, resolveTarget } from './targets.js';

export interface CompileOptions {
  /** Rule files/folders; default: the config's `rulePaths`. */
  paths?: string[];
  /**
   * The path a file counts under in the revision hash; default: relative to the config's
   * folder. Rules read from git into a scratch folder count under their own place.
   */
  countedAs?: (file: string) => string;
}

export interface CompileResult {
  /** Null when any error was found (warnings alone do not refuse a bundle). */
  bundle: RuleBundle | null;
  issues: Issue[];
}

/** A rule before ordering: the compiled rule without its rank. */
type Draft = Omit<CompiledRule, 'rank'> & { seq: number };

const SPECIFICITY = { global: 0, customer: 1, team: 2, virtual_key: 3 } as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseScope(raw: unknown): RuleScope | null {
  if (raw === undefined || raw === 'global') return { kind: 'global', id: null, label: 'global', specificity: 0 };
  if (!isRecord(raw)) return null;
  for (const kind of ['customer', 'team', 'virtual_key'] as const) {
    const id = raw[kind];
    if (typeof id === 'string' && Object.keys(raw).length === 1) return { kind, id, label: `${kind}:${id}`, specificity: SPECIFICITY[kind] };
  }
  return null;
}

const CEL_HINTS: Record<string, string> = {
  'Unexpected character: =': '; compare with ==',
};

/** Type errors whose usual cause is worth naming. */
const TYPE_HINTS: [RegExp, string][] = [
  // `headers.x-tier` reads headers.x minus tier: a dashed name needs the index form.
  [/^no such overload: string - string$/, ' (a header name with a dash is read as headers["x-tier"], not headers.x-tier)'],
];

/** The name a misnamed rule test file needs: `routing_tests.yaml` → `routing.test.yaml`. */
function testFileName(file: string): string {
  const ext = extname(file);
  return `${basename(file, ext).replace(/[._-](tests?|spec)$/i, '')}.test${ext.toLowerCase()}`;
}

class RuleCompiler {
  readonly issues: Issue[] = [];
  readonly drafts: Draft[] = [];
  /** Every rule id seen, valid rule or not, for the duplicate check. */
  readonly ids: { id: string; location: Location }[] = [];
  private readonly env = ruleEnvironment();
  private seq = 0;

  constructor(
    private readonly config: LoadedConfig,
    private readonly directory: Directory,
    private readonly defaultFallbackOn: readonly FallbackReason[],
  ) {}

  file(doc: SourceDocument): void {
    this.issues.push(...doc.issues);
    if (doc.issues.some((i) => i.severity === 'error')) return;
    const rules = isRecord(doc.value) && Array.isArray(doc.value.rules) ? doc.value.rules : [];
    // YAML reads an unquoted `when: true` (or a number) as that value, not as CEL text.
    const unquoted = (i: Issue): Issue => {
      const m = /^rules\[(\d+)\]\.when must be a string$/.exec(i.message);
      const raw = m ? (rules[Number(m[1])] as { when?: unknown } | undefined)?.when : undefined;
      return typeof raw === 'boolean' || typeof raw === 'number' ? { ...i, message: `${i.message}: quote it, when: "${String(raw)}"` } : i;
    };
    // Every data file under the rule paths is read as rules; a test file named otherwise
    // (`routing_test.yaml`) or a stray file would only show "missing rules", not why.
    if (isRecord(doc.value) && !('rules' in doc.value) && 'tests' in doc.value) {
      this.issues.push(issueAt(doc, ['tests'], 'misnamed_test_file', `this is a rule test file, but only files named *.test.yaml, *.test.yml or *.test.json are run as tests, and every other .yaml, .yml and .json file under the rule paths is read as rules: rename it to ${testFileName(doc.file)}`, 'error', true));
      return;
    }
    const whyRead = (i: Issue): Issue => i.message === 'the file is missing the required property "rules"'
      ? { ...i, message: `${i.message} (every .yaml, .yml and .json file under the rule paths is read as a rule file: keep other files out of them)` }
      : i;
    this.issues.push(...validateDocument('rules', doc).map(unquoted).map(whyRead));
    rules.forEach((raw, i) => {
      if (isRecord(raw)) this.rule(doc, raw, i);
    });
  }

  private report(doc: SourceDocument, path: readonly PathSegment[], code: string, message: string, severity: 'error' | 'warning' = 'error'): void {
    this.issues.push(issueAt(doc, path, code, message, severity));
  }

  private rule(doc: SourceDocument, raw: Record<string, unknown>, i: number): void {
    const at = ['rules', i] as const;
    const id = typeof raw.id === 'string' ? raw.id : `#${i + 1}`;
    if (typeof raw.id === 'string') this.ids.push({ id, location: doc.locate([...at, 'id']) });
    const evaluate = this.when(doc, raw.when, [...at, 'when']);
    const scope = this.scope(doc, raw.scope, [...at, 'scope']);
    const targets = this.targets(doc, raw, at);
    const fallbacks = this.fallbacks(doc, raw.fallbacks, [...at, 'fallbacks']);
    if (!evaluate || !scope || !targets || !fallbacks || typeof raw.id !== 'string') return;
    const location = doc.locate([...at, 'id']);
    let facts = analyze(evaluate.program.ast);
    const warn = (path: readonly PathSegment[], code: string, message: string): void => this.report(doc, path, code, message, 'warning');
    /** A warning at `offset` in the rule's `when`. */
    const warnInWhen = (offset: number, code: string, message: string): void => {
      const location = locateInExpression(doc, [...at, 'when'], raw.when as string, offset);
      this.issues.push({ severity: 'warning', code, message, location, sourceLine: doc.line(location.line) });
    };
    // A condition that reads no variable has one value for every request: known now.
    if (facts.variables.size === 0 && !facts.alwaysTrue) {
      let value: unknown;
      try {
        value = evaluate.program({});
      } catch {
        value = undefined;
      }
      if (value === true) facts = { ...facts, alwaysTrue: true };
      else if (value === false) warn([...at, 'when'], 'never_matches', `rule "${id}" never matches: its condition reads no variable and is always false`);
    }
    // Equality conjuncts no request meets: the index never offers the rule to a request.
    if (facts.models?.size === 0) warn([...at, 'when'], 'never_matches', `rule "${id}" never matches: its condition needs model to equal two different values`);
    if (facts.endpoints !== null && !ENDPOINTS.some((e) => facts.endpoints!.has(e))) {
      const named = [...facts.endpoints];
      warn([...at, 'when'], 'never_matches', named.length === 0
        ? `rule "${id}" never matches: its condition needs endpoint to equal two different values`
        : `rule "${id}" never matches: endpoint is never ${named.map((e) => JSON.stringify(e)).join(' or ')}; requests arrive on ${ENDPOINTS.join(', ')}`);
    }
    // `model` is the requested model with a configured provider's prefix split off.
    const pinned = facts.models === null ? [] : [...facts.models].filter((m) => m.indexOf('/') > 0 && this.config.providers.has(m.slice(0, m.indexOf('/'))));
    if (pinned.length > 0) {
      const m = pinned[0];
      const slash = m.indexOf('/');
      warn([...at, 'when'], 'model_with_provider', `model is never "${m}": for a request for ${m}, model is "${m.slice(slash + 1)}" and provider is "${m.slice(0, slash)}"; compare those`);
    }
    // A fallback naming a target (or an earlier fallback) again: the failure it follows moves to the same model.
    const seen = targets.map((t) => `${t.provider}/${t.model}`);
    fallbacks.forEach((f, j) => {
      const ref = `${f.provider}/${f.model}`;
      if (seen.includes(ref) && f.key === null) {
        warn([...at, 'fallbacks', j], 'repeated_target', `fallback ${ref} repeats a target already in the plan: a failure there moves to the same model (dispatch.retries_per_target sets how often a target is retried)`);
      }
      seen.push(ref);
    });
    if (Array.isArray(raw.fallback_on) && raw.fallback_on.length === 0 && Array.isArray(raw.fallbacks) && raw.fallbacks.length > 0) {
      warn([...at, 'fallback_on'], 'unused_fallbacks', `rule "${id}" has fallbacks but an empty fallback_on: no failure moves to them`);
    }
    for (const h of facts.upperCaseHeaders) {
      warnInWhen(h.offset, 'header_case', `header names are lowercase: headers["${h.key}"] never exists; write "${h.key.toLowerCase()}"`);
    }
    for (const h of facts.credentialHeaders) {
      warnInWhen(h.offset, 'credential_header', `headers["${h.key}"] never exists: credentials (and headers named like them) are removed before rules see the headers; route by the caller's virtual_key, team or tier instead`);
    }
    this.drafts.push({
      id,
      description: typeof raw.description === 'string' ? raw.description : null,
      file: doc.file,
      location,
      index: i,
      seq: this.seq++,
      priority: typeof raw.priority === 'number' ? raw.priority : 100,
      scope,
      mode: raw.mode === 'shadow' ? 'shadow' : 'enforce',
      enabled: raw.enabled !== false,
      when: raw.when as string,
      evaluate: evaluate.program,
      facts,
      guard: compileGuard(facts.requirements),
      safeMaps: needsSafeMaps(facts.headerKeys) || needsSafeMaps(facts.paramKeys),
      targets: Object.freeze(targets),
      fallbacks: Object.freeze(fallbacks.map((f) => Object.freeze(f))),
      fallbackOn: Array.isArray(raw.fallback_on) ? Object.freeze([...(raw.fallback_on as FallbackReason[])]) : this.defaultFallbackOn,
    });
  }

  private when(doc: SourceDocument, expr: unknown, path: PathSegment[]): { program: ParseResult } | null {
    if (typeof expr !== 'string' || expr.trim() === '') return null;
    const locate = (offset: number): Location => locateInExpression(doc, path, expr, offset);
    const push = (code: string, message: string, offset: number): null => {
      const location = locate(offset);
      this.issues.push({ severity: 'error', code, message, location, sourceLine: doc.line(location.line) });
      return null;
    };
    let program;
    let env = this.env;
    try {
      program = env.parse(expr);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      return push('cel_syntax', `CEL syntax error: ${e.summary}${CEL_HINTS[e.summary] ?? ''}`, e.range?.start ?? 0);
    }
    let checked = program.check();
    if (!checked.valid && needsInBridges(checked.error!.summary)) {
      env = ruleEnvironment(true);
      program = env.parse(expr);
      checked = program.check();
    }
    if (!checked.valid) {
      const err = checked.error!;
      let message = err.summary;
      if (err.code === 'unknown_variable') {
        const name = /: (\S+)$/.exec(err.summary)?.[1] ?? '';
        message += `${didYouMean(name, Object.keys(VARIABLES))} (declared: ${Object.keys(VARIABLES).join(', ')})`;
      }
      for (const [re, hint] of TYPE_HINTS) if (re.test(message)) message += hint;
      return push(err.code === 'unknown_variable' ? 'cel_unknown_variable' : 'cel_type', `CEL type error: ${message}`, err.range?.start ?? 0);
    }
    if (checked.type !== 'bool') {
      return push('cel_not_bool', `\`when\` must be a bool expression, but this one is ${checked.type}${checked.type === 'dyn' ? ' (compare it: e.g. `params.x == true`)' : ''}`, 0);
    }
    // `matches` runs RE2, as CEL specifies (see RE2_MATCHES): a fixed pattern is checked
    // here, so one RE2 refuses fails the load instead of every request.
    const calls = matchesCalls(program.ast);
    if (calls.length === 0) return { program };
    let bad = false;
    for (const c of calls) {
      if (c.pattern === undefined) continue;
      try {
        re2(c.pattern);
      } catch (e) {
        bad = true;
        push('cel_regex', `invalid regular expression ${JSON.stringify(c.pattern)}: ${(e as Error).message} (patterns are RE2: no lookarounds or backreferences; (?i) and the other RE2 flags work)`, c.patternAt);
      }
    }
    if (bad) return null;
    let renamed = expr;
    for (const c of calls) renamed = renamed.slice(0, c.at) + RE2_MATCHES + renamed.slice(c.at + RE2_MATCHES.length);
    return { program: env.parse(renamed) };
  }

  private scope(doc: SourceDocument, raw: unknown, path: PathSegment[]): RuleScope | null {
    const scope = parseScope(raw);
    if (!scope || scope.kind === 'global') return scope;
    const known = { customer: this.directory.customers, team: this.directory.teams, virtual_key: this.directory.virtualKeys }[scope.kind];
    if (!known.has(scope.id!)) {
      const label = scope.kind === 'virtual_key' ? 'virtual key' : scope.kind;
      this.report(doc, [...path, scope.kind], 'unknown_scope', `scope names unknown ${label} "${scope.id}"${didYouMean(scope.id!, known)}`);
      return null;
    }
    return scope;
  }

  private targets(doc: SourceDocument, raw: Record<string, unknown>, at: readonly PathSegment[]): ProviderOption[] | null {
    const hasRoute = raw.route !== undefined;
    const hasTargets = raw.targets !== undefined;
    if (hasRoute === hasTargets) {
      if (hasRoute) this.issues.push(issueAt(doc, [...at, 'targets'], 'route_xor_targets', 'a rule has either `route` or `targets`, not both', 'error', true));
      else this.report(doc, at, 'route_xor_targets', `rule ${typeof raw.id === 'string' ? `"${raw.id}" ` : ''}needs \`route: provider/model\` or \`targets: [...]\``);
      return null;
    }
    const providers = this.config.providers;
    if (hasRoute) {
      if (typeof raw.route !== 'string' || !raw.route.includes('/')) return null;
      const r = resolveTarget(providers, parseTargetRef(raw.route), 1);
      if (r.problem) this.report(doc, [...at, 'route'], r.problem.code, r.problem.message);
      return r.option ? [r.option] : null;
    }
    if (!Array.isArray(raw.targets) || raw.targets.length === 0) return null;
    const out: ProviderOption[] = [];
    let ok = true;
    raw.targets.forEach((t, j) => {
      if (!isRecord(t) || typeof t.provider !== 'string' || typeof t.model !== 'string') return void (ok = false);
      const weight = typeof t.weight === 'number' && t.weight >= 0 ? t.weight : 1;
      const key = typeof t.key === 'string' ? t.key : undefined;
      const r = resolveTarget(providers, { provider: t.provider, model: t.model, key }, weight);
      if (r.problem) {
        const field = r.problem.field === 'key' && key === undefined ? 'model' : r.problem.field;
        this.report(doc, [...at, 'targets', j, field], r.problem.code, r.problem.message);
      }
      if (r.option) out.push(r.option);
      else ok = false;
    });
    return ok ? out : null;
  }

  private fallbacks(doc: SourceDocument, raw: unknown, path: PathSegment[]): TargetRecord[] | null {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return null;
    const out: TargetRecord[] = [];
    let ok = true;
    raw.forEach((ref, j) => {
      if (typeof ref !== 'string' || !ref.includes('/')) return void (ok = false);
      const t = parseTargetRef(ref);
      const r = resolveTarget(this.config.providers, t, 1);
      if (r.problem) {
        this.report(doc, [...path, j], r.problem.code, r.problem.message);
        ok = false;
      } else out.push({ provider: t.provider, model: t.model, key: t.key ?? null });
    });
    return ok ? out : null;
  }
}

function rank(drafts: Draft[]): CompiledRule[] {
  const sorted = [...drafts].sort((a, b) => a.priority - b.priority || b.scope.specificity - a.scope.specificity || a.seq - b.seq);
  return sorted.map(({ seq: _seq, ...d }, r) => Object.freeze({ ...d, rank: r }));
}

/** Another location, as seen from `from`: `line 7` in the same file, else `rules/b.yaml:7:5`. */
type Where = (loc: Location, from: Location) => string;

function duplicateIds(ids: readonly { id: string; location: Location }[], lineOf: LineOf, where: Where): Issue[] {
  const byId = new Map<string, Location[]>();
  for (const { id, location } of ids) byId.set(id, [...(byId.get(id) ?? []), location]);
  const issues: Issue[] = [];
  for (const [id, list] of byId) {
    if (list.length < 2) continue;
    for (const loc of list) {
      const others = list.filter((o) => o !== loc).map((o) => where(o, loc)).join(', ');
      issues.push({ severity: 'error', code: 'duplicate_id', message: `duplicate rule id "${id}" (also at ${others}); ids must be unique across all rule files`, location: loc, sourceLine: lineOf(loc) });
    }
  }
  return issues;
}

/** The source line a location points into (for the caret display). */
type LineOf = (loc: Location) => string;

/** Warns about enforcing rules that an earlier always-true enforcing rule covering their scope hides. */
function shadowed(rules: readonly CompiledRule[], directory: Directory, lineOf: LineOf, where: Where): Issue[] {
  const issues: Issue[] = [];
  const catchAll = rules.filter((r) => r.enabled && r.mode === 'enforce' && r.facts.alwaysTrue);
  if (catchAll.length === 0) return issues;
  for (const s of rules) {
    if (!s.enabled || s.mode !== 'enforce') continue;
    const r = catchAll.find((c) => c.rank < s.rank && directory.covers(c.scope, s.scope));
    if (!r) continue;
    issues.push({
      severity: 'warning',
      code: 'shadowed_rule',
      message: `rule "${s.id}" can never match: rule "${r.id}" (${where(r.location, s.location)}) always matches before it in scope ${r.scope.label}`,
      location: s.location,
      sourceLine: lineOf(s.location),
    });
  }
  return issues;
}

/** Issues sorted by file (in source order), then line and column; unlocated ones first. */
function inFileOrder(issues: Issue[], files: readonly string[]): Issue[] {
  const fileRank = (i: Issue) => (i.location ? files.indexOf(i.location.file) : -1);
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort((a, b) => fileRank(a.issue) - fileRank(b.issue)
      || (a.issue.location?.line ?? 0) - (b.issue.location?.line ?? 0)
      || (a.issue.location?.col ?? 0) - (b.issue.location?.col ?? 0)
      || a.n - b.n)
    .map(({ issue }) => issue);
}

/**
 * Compiles the rule files of `config` (or `opts.paths`) into a bundle.
 *
 * @example
 * const { config } = loadConfig({ path: 'switchyard.yaml' });
 * const { bundle, issues } = compileRuleBundle(config!);
 * for (const i of issues) console.error(formatIssue(i));
 * if (bundle) createRouter(bundle).decide(ctx);
 */
export function compileRuleBundle(config: LoadedConfig, opts: CompileOptions = {}): CompileResult {
  const paths = opts.paths ?? config.rulePaths;
  const found = findRuleFiles(paths);
  const directory = buildDirectory(config.config);
  const routing = config.config.routing ?? {};
  const defaultFallbackOn = Object.freeze([...(routing.default_fallback_on ?? DEFAULT_FALLBACK_ON)]) as readonly FallbackReason[];
  const compiler = new RuleCompiler(config, directory, defaultFallbackOn);
  compiler.issues.push(...found.issues);
  const texts: { path: string; text: string }[] = [];
  const files: string[] = [];
  const docs = new Map<string, SourceDocument>();
  const lineOf: LineOf = (loc) => docs.get(loc.file)?.line(loc.line) ?? '';
  const where: Where = (loc, from) => (loc.file === from.file ? `line ${loc.line}` : `${relative(config.dir, loc.file)}:${loc.line}:${loc.col}`);
  for (const file of found.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      compiler.issues.push({ severity: 'error', code: 'read_error', message: `cannot read rule file ${file}: ${(e as Error).message}` });
      continue;
    }
    files.push(file);
    texts.push({ path: opts.countedAs ? opts.countedAs(file) : relative(config.dir, file), text });
    const doc = parseSource(file, text);
    docs.set(file, doc);
    compiler.file(doc);
  }
  const rules = rank(compiler.drafts);
  const issues = inFileOrder([...compiler.issues, ...duplicateIds(compiler.ids, lineOf, where), ...shadowed(rules, directory, lineOf, where)], files);
  if (issues.some((i) => i.severity === 'error')) return { bundle: null, issues };
  const gitFrom = found.files[0] ? dirname(found.files[0]) : (paths[0] ?? config.dir);
  const bundle: RuleBundle = Object.freeze({
    rules: Object.freeze(rules),
    files: Object.freeze(files),
    revision: Object.freeze(computeRevision({ configHash: config.hash, files: texts, gitFrom })),
    providers: config.providers,
    aliases: Object.freeze({ ...(config.config.aliases ?? {}) }),
    principals: directory,
    settings: Object.freeze({
      shapeCacheSize: routing.shape_cache_size ?? 10000,
      decisionCacheSize: routing.decision_cache_size ?? 10000,
      defaultFallbackOn,
      panic: config.config.dispatch?.cooldown?.panic ?? true,
    }),
  });
  return { bundle, issues };
}
