/**
 * Cross-checks the schema cannot express: references between governance entries,
 * duplicate ids, provider settings each type needs, aliases and rule paths. Every check
 * runs even when the schema found problems, so the operator sees everything at once;
 * hence the defensive reading of `data`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PathSegment } from './source.js';
import type { Report, ResolvedProvider } from './types.js';
import { closest, didYouMean } from './suggest.js';
import { displayPath } from './schema.js';
import { authOptionProblem, isKeyless, providerAllowsModel } from './providers.js';
import { UNDROPPABLE_PARAMS } from './drop-params.js';
import { REASONING_STYLES } from './reasoning.js';
import { GATEWAY_FIELDS } from './pass-params.js';
import { maskIssues } from '../audit/mask.js';
import { neverForwardedBecause } from '../dispatch/headers.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function checkConfig(data: unknown, dir: string, report: Report): void {
  if (!isObj(data)) return;
  checkGovernance(isObj(data.governance) ? data.governance : {}, report);
  const providers = isObj(data.providers) ? data.providers : {};
  for (const [id, p] of Object.entries(providers)) if (isObj(p)) checkProvider(id, p, report);
  if (isObj(data.providers) && Object.keys(providers).length === 0) {
    report(['providers'], 'no_providers', 'no providers are configured; add at least one (type mock needs no key)');
  }
  if (isObj(data.server) && data.server.allow_unauthenticated === true && isObj(data.governance) && list(data.governance.virtual_keys).length > 0) {
    report(['server', 'allow_unauthenticated'], 'anonymous_with_keys', 'server.allow_unauthenticated serves a request without a key as an anonymous principal, outside every virtual key\'s allowlists, budgets and rate limits: a caller a key holds can leave the key out', { severity: 'warning' });
  }
  if (isObj(data.aliases)) checkAliases(data.aliases, providers, report);
  if (isObj(data.rules)) checkRulePaths(list(data.rules.paths), dir, report);
  if (isObj(data.audit)) checkAudit(data.audit, report);
  if (isObj(data.upstream)) {
    list(data.upstream.forward_headers).forEach((h, i) => {
      const why = typeof h === 'string' ? neverForwardedBecause(h.toLowerCase()) : undefined;
      if (why !== undefined) {
        report(['upstream', 'forward_headers', i], 'forward_header', `upstream.forward_headers "${h}" is never forwarded: ${why}`, { severity: 'warning' });
      }
    });
  }
}

/** What `serve` would refuse at start: mask pointers that cannot apply, a postgres sink with nowhere to go. */
function checkAudit(a: Obj, report: Report): void {
  list(a.mask).forEach((pointer, i) => {
    if (typeof pointer !== 'string') return;
    for (const issue of maskIssues([pointer])) report(['audit', 'mask', i], 'audit_mask', issue.message);
  });
  list(a.sinks).forEach((sink, i) => {
    if (isObj(sink) && sink.type === 'postgres' && (typeof sink.url !== 'string' || sink.url === '')) {
      report(['audit', 'sinks', i], 'audit_sink', 'a postgres audit sink needs `url` (a connection string; env.NAME recommended)');
    }
  });
}

/** Reports repeated values of `field` in a list; returns the set of values seen. */
function uniqueIds(items: unknown[], base: PathSegment[], field: string, what: string, report: Report): Set<string> {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const id = isObj(item) ? str(item[field]) : undefined;
    if (id === undefined) return;
    const prev = first.get(id);
    if (prev === undefined) first.set(id, i);
    else report([...base, i, field], 'duplicate_id', `duplicate ${what}${field === 'id' || field === 'name' ? ` "${id}"` : ''} (also at ${displayPath([...base, prev])})`);
  });
  return new Set(first.keys());
}

function checkGovernance(g: Obj, report: Report): void {
  const customers = list(g.customers);
  const teams = list(g.teams);
  const vks = list(g.virtual_keys);
  const customerIds = uniqueIds(customers, ['governance', 'customers'], 'id', 'customer id', report);
  const teamIds = uniqueIds(teams, ['governance', 'teams'], 'id', 'team id', report);
  uniqueIds(vks, ['governance', 'virtual_keys'], 'id', 'virtual key id', report);
  uniqueIds(vks, ['governance', 'virtual_keys'], 'key_hash', 'key_hash', report);
  const keySecret = typeof g.key_secret === 'string' && g.key_secret !== '';
  vks.forEach((vk, i) => {
    if (!keySecret && isObj(vk) && str(vk.key_hash)?.startsWith('hmac-sha256:')) {
      report(['governance', 'virtual_keys', i, 'key_hash'], 'key_secret_missing', `virtual key "${str(vk.id) ?? i}" has an hmac-sha256 hash, which needs governance.key_secret (the secret it was made with)`);
    }
  });

  const teamCustomer = new Map<string, string | undefined>();
  teams.forEach((t, i) => {
    if (!isObj(t)) return;
    const customer = str(t.customer);
    if (str(t.id) !== undefined && !teamCustomer.has(t.id as string)) teamCustomer.set(t.id as string, customer);
    if (customer !== undefined && !customerIds.has(customer)) {
      report(['governance', 'teams', i, 'customer'], 'unknown_reference',
        `team "${str(t.id) ?? i}" names customer "${customer}", which is not in governance.customers${didYouMean(customer, customerIds)}`);
    }
  });
  vks.forEach((vk, i) => {
    if (!isObj(vk)) return;
    const name = str(vk.id) ?? String(i);
    const team = str(vk.team);
    const customer = str(vk.customer);
    if (team !== undefined && !teamIds.has(team)) {
      report(['governance', 'virtual_keys', i, 'team'], 'unknown_reference',
        `virtual key "${name}" names team "${team}", which is not in governance.teams${didYouMean(team, teamIds)}`);
    }
    if (customer !== undefined && !customerIds.has(customer)) {
      report(['governance', 'virtual_keys', i, 'customer'], 'unknown_reference',
        `virtual key "${name}" names customer "${customer}", which is not in governance.customers${didYouMean(customer, customerIds)}`);
    } else if (customer !== undefined && team !== undefined && teamIds.has(team)) {
      const owner = teamCustomer.get(team);
      if (owner !== undefined && owner !== customer) {
        report(['governance', 'virtual_keys', i, 'customer'], 'inconsistent_reference',
          `virtual key "${name}" names customer "${customer}", but its team "${team}" belongs to customer "${owner}"`);
      }
    }
  });
}

const DROPS_PARAMS = new Set(['openai', 'azure', 'openai-compatible', 'anthropic']);

/** `options.drop_params`: a list of body fields, or a map from model globs to such lists; OpenAI-format and Anthropic providers. */
function checkDropParams(id: string, type: string | undefined, v: unknown, at: PathSegment[], report: Report): void {
  if (v === undefined) return;
  if (type === undefined || !DROPS_PARAMS.has(type)) {
    report(at, 'provider_setting', `provider "${id}": options.drop_params applies to openai, azure, openai-compatible and anthropic providers only`);
    return;
  }
  const lists: [PathSegment[], unknown][] = Array.isArray(v) ? [[at, v]] : isObj(v) ? Object.entries(v).map(([glob, l]) => [[...at, glob], l]) : [];
  if (lists.length === 0 && !Array.isArray(v)) {
    report(at, 'provider_setting', `provider "${id}": options.drop_params must be a list of body fields, or a map from model globs to lists, e.g. {"gpt-5*": [temperature, top_p]}`);
    return;
  }
  for (const [where, l] of lists) {
    if (!Array.isArray(l) || !l.every((f) => typeof f === 'string')) {
      report(where, 'provider_setting', `provider "${id}": options.drop_params entries must be lists of body field names`);
      continue;
    }
    const kept = l.find((f) => UNDROPPABLE_PARAMS.has(f));
    if (kept !== undefined) report(where, 'provider_setting', `provider "${id}": options.drop_params cannot drop "${kept}"`);
  }
}

/**
 * A per-model option, one value or a map from model globs to values: each value must be
 * `ok`; a bad one in a map is reported at its glob with `each`, a bad single value with `whole`.
 */
function checkPerModel(v: unknown, ok: (x: unknown) => boolean, at: PathSegment[], report: Report, each: string, whole: string): void {
  if (isObj(v)) {
    for (const [glob, x] of Object.entries(v)) if (!ok(x)) report([...at, glob], 'provider_setting', each);
  } else if (!ok(v)) {
    report(at, 'provider_setting', whole);
  }
}

const REASONING_EXAMPLES: Readonly<Record<string, string>> = {
  anthropic: '{"claude-opus-4-7*": adaptive, "claude-3-5*": none, "claude-*": budget}',
  gemini: '{"gemini-3*": level, "gemini-2.5*": budget}',
};

/** `options.reasoning`: a style the provider type takes, or a map from model globs to such styles (or none). */
function checkReasoning(id: string, type: string | undefined, v: unknown, at: PathSegment[], report: Report): void {
  if (v === undefined) return;
  const styles: readonly string[] | undefined = type === undefined ? undefined : REASONING_STYLES[type];
  if (styles === undefined) {
    report(at, 'provider_setting', `provider "${id}": options.reasoning applies to openai, azure, openai-compatible, anthropic and gemini providers only`);
    return;
  }
  const example = REASONING_EXAMPLES[type!] ?? '{"gpt-5*": effort, "o*": effort}';
  checkPerModel(v, (s) => s === 'none' || styles.includes(s as string), at, report,
    `provider "${id}" (type ${type}): options.reasoning styles are ${styles.join(', ')} or none`,
    `provider "${id}" (type ${type}): options.reasoning must be ${styles.join(', ')} or none, or a map from model globs to those, e.g. ${example}`);
}

/** `options.reasoning_summary`: auto, concise or detailed, or a map from model globs to those; OpenAI-format providers only. */
function checkReasoningSummary(id: string, type: string | undefined, v: unknown, at: PathSegment[], report: Report): void {
  if (v === undefined) return;
  if (type !== 'openai' && type !== 'azure' && type !== 'openai-compatible') {
    report(at, 'provider_setting', `provider "${id}": options.reasoning_summary applies to openai, azure and openai-compatible providers only`);
    return;
  }
  checkPerModel(v, (s) => s === 'auto' || s === 'concise' || s === 'detailed', at, report,
    `provider "${id}": options.reasoning_summary values are auto, concise or detailed`,
    `provider "${id}": options.reasoning_summary must be auto, concise or detailed, or a map from model globs to those, e.g. {"gpt-5*": auto}`);
}

/** `options.pass_params`: a list of client body fields the gateway does not build itself; OpenAI-format and Anthropic providers. */
function checkPassParams(id: string, type: string | undefined, v: unknown, at: PathSegment[], report: Report): void {
  if (v === undefined) return;
  if (type === undefined || !DROPS_PARAMS.has(type)) {
    report(at, 'provider_setting', `provider "${id}": options.pass_params applies to openai, azure, openai-compatible and anthropic providers only`);
    return;
  }
  if (!Array.isArray(v) || !v.every((f) => typeof f === 'string')) {
    report(at, 'provider_setting', `provider "${id}": options.pass_params must be a list of body fields, e.g. [chat_template_kwargs, top_k]`);
    return;
  }
  const own = GATEWAY_FIELDS[type === 'anthropic' ? 'anthropic' : 'openai'];
  v.forEach((f: string, i) => {
    if (own.has(f)) report([...at, i], 'provider_setting', `provider "${id}": options.pass_params cannot name "${f}", which the gateway builds itself`);
  });
}

/** `options.max_output_tokens`: a positive integer, or a map from model globs to such. */
function checkMaxOutputTokens(id: string, v: unknown, at: PathSegment[], report: Report): void {
  if (v === undefined) return;
  checkPerModel(v, (n) => typeof n === 'number' && Number.isInteger(n) && n > 0, at, report,
    `provider "${id}": options.max_output_tokens values must be positive whole numbers of tokens`,
    `provider "${id}": options.max_output_tokens must be a positive whole number of tokens, or a map from model globs to such, e.g. {"gpt-4o*": 16384}`);
}

/**
 * `options.api`: chat or responses, or a map from model globs to those; OpenAI-format
 * providers only, and on Azure only with the v1 API (whose paths the Responses API shares).
 */
function checkApi(id: string, type: string | undefined, options: Obj, at: PathSegment[], report: Report): void {
  const v = options.api;
  if (v === undefined) return;
  if (type !== 'openai' && type !== 'azure' && type !== 'openai-compatible') {
    report(at, 'provider_setting', `provider "${id}": options.api applies to openai, azure and openai-compatible providers only`);
    return;
  }
  checkPerModel(v, (a) => a === 'chat' || a === 'responses', at, report,
    `provider "${id}": options.api values are chat or responses`,
    `provider "${id}": options.api must be chat or responses, or a map from model globs to those, e.g. {"*codex*": responses}`);
  // A bad single value is not `responses`, so it adds nothing below.
  const responses = v === 'responses' || (isObj(v) && Object.values(v).includes('responses'));
  if (type === 'azure' && responses && options.api_version !== 'v1') {
    report(at, 'provider_setting', `provider "${id}" (type azure): the Responses API is reached through Azure's v1 API; set options.api_version: v1`);
  }
}

/** The options each provider type reads, besides max_output_tokens, which every type takes. */
const OPTIONS: Readonly<Record<string, readonly string[]>> = (() => {
  const openAIFormat = ['api', 'drop_params', 'max_tokens_field', 'pass_params', 'reasoning', 'reasoning_summary', 'send_reasoning', 'stream_usage'];
  return {
    openai: [...openAIFormat, 'count_tokens', 'max_embedding_inputs'],
    azure: [...openAIFormat, 'api_version', 'deployments', 'max_embedding_inputs'],
    'openai-compatible': [...openAIFormat, 'auth', 'count_tokens', 'max_embedding_inputs', 'tool_loop'],
    anthropic: ['anthropic_version', 'drop_params', 'pass_params', 'reasoning'],
    gemini: ['reasoning', 'max_embedding_inputs'],
    mock: ['latency_ms', 'chunk_delay_ms', 'chunks', 'output_tokens', 'dimensions', 'fail_rate', 'fail_status', 'models', 'max_embedding_inputs'],
  };
})();

/** Options whose own check says which types take them (checkProvider). */
const CHECKED_ELSEWHERE: ReadonlySet<string> = new Set(['api', 'count_tokens', 'drop_params', 'pass_params', 'reasoning', 'reasoning_summary', 'send_reasoning']);

/**
 * An option the provider's type does not read would do nothing, silently: a misspelled one
 * (with the nearest name the type takes), or one of another type's (with the types that take it).
 */
function checkOptionNames(id: string, type: string | undefined, options: Obj, at: PathSegment[], report: Report): void {
  const own = type === undefined ? undefined : OPTIONS[type];
  if (own === undefined) return;
  for (const name of Object.keys(options)) {
    if (name === 'max_output_tokens' || own.includes(name) || CHECKED_ELSEWHERE.has(name)) continue;
    const takers = Object.keys(OPTIONS).filter((t) => OPTIONS[t].includes(name));
    const known = [...own, 'max_output_tokens'].sort();
    const message = takers.length > 0
      ? `provider "${id}": options.${name} applies to ${takers.join(', ')} providers only`
      : `provider "${id}" (type ${type}) has no option "${name}"${didYouMean(name, known) || '.'} Its options: ${known.join(', ')}.`;
    report([...at, name], 'provider_setting', message, { onKey: true });
  }
}

/**
 * The endpoint each type appends to its base_url (Anthropic's after `/v1`, which it adds
 * when the path lacks it), and the providers' own hosts whose API root has a version path.
 */
const ENDPOINTS: Record<string, string> = { 'openai': '/chat/completions', 'openai-compatible': '/chat/completions', 'anthropic': '/messages' };
const ROOTS: Record<string, string> = { 'api.openai.com': '/v1' };

/** `text` as a URL; null when it is not one (the schema reports it). */
function urlOf(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/**
 * A base_url that sends every call to a path that does not exist: the full endpoint
 * rather than the API root, or OpenAI's own host without `/v1`. Null when it looks right
 * (a proxy's path may be anything).
 */
function baseUrlMistake(type: string | undefined, baseUrl: string): string | null {
  const endpoint = type === undefined ? undefined : ENDPOINTS[type];
  if (endpoint === undefined) return null;
  const url = urlOf(baseUrl);
  if (url === null) return null;
  const path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith(endpoint)) {
    return `base_url is the API's root, not the endpoint: the gateway appends ${endpoint} itself; use ${url.origin}${path.slice(0, -endpoint.length)}`;
  }
  const root = type === 'anthropic' ? undefined : ROOTS[url.hostname];
  if (root !== undefined && path !== root) {
    return `${url.hostname}'s API root is ${url.origin}${root}: the gateway appends ${endpoint} to base_url, so ${url.origin}${path}${endpoint} would answer 404`;
  }
  return null;
}


function checkProvider(id: string, p: Obj, report: Report): void {
  const type = str(p.type);
  const options = isObj(p.options) ? p.options : {};
  const at: PathSegment[] = ['providers', id];
  if ((type === 'azure' || type === 'openai-compatible') && p.base_url === undefined) {
    const example = type === 'azure' ? 'https://<resource>.openai.azure.com' : 'https://api.groq.com/openai/v1';
    report(at, 'provider_setting', `provider "${id}" (type ${type}) needs base_url, e.g. ${example}`, { onKey: true });
  }
  if (type === 'azure' && typeof options.api_version !== 'string') {
    report(isObj(p.options) ? [...at, 'options'] : at, 'provider_setting',
      `provider "${id}" (type azure) needs options.api_version, e.g. 2024-10-21 or v1 (the v1 API)`, { onKey: true });
  }
  const baseUrlProblem = typeof p.base_url === 'string' ? baseUrlMistake(type, p.base_url) : null;
  if (baseUrlProblem !== null) report([...at, 'base_url'], 'base_url', `provider "${id}": ${baseUrlProblem}`, { severity: 'warning' });
  if (type === 'openai-compatible' && options.tool_loop === undefined && typeof p.base_url === 'string' && urlOf(p.base_url)?.hostname === 'api.mistral.ai') {
    report(isObj(p.options) ? [...at, 'options'] : [...at, 'base_url'], 'provider_setting',
      `provider "${id}": Mistral refuses tool loops that began on another model, and Claude Code's tool results with text beside them; set options.tool_loop: mistral`,
      { severity: 'warning', onKey: true });
  }
  const authProblem = type === 'openai-compatible' ? authOptionProblem(options.auth) : undefined;
  if (authProblem !== undefined) report([...at, 'options', 'auth'], 'provider_setting', `provider "${id}": ${authProblem}`);
  checkOptionNames(id, type, options, [...at, 'options'], report);
  checkDropParams(id, type, options.drop_params, [...at, 'options', 'drop_params'], report);
  checkReasoning(id, type, options.reasoning, [...at, 'options', 'reasoning'], report);
  checkReasoningSummary(id, type, options.reasoning_summary, [...at, 'options', 'reasoning_summary'], report);
  checkPassParams(id, type, options.pass_params, [...at, 'options', 'pass_params'], report);
  checkMaxOutputTokens(id, options.max_output_tokens, [...at, 'options', 'max_output_tokens'], report);
  checkApi(id, type, options, [...at, 'options', 'api'], report);
  const perCall = options.max_embedding_inputs;
  if (perCall !== undefined && !(typeof perCall === 'number' && Number.isInteger(perCall) && perCall > 0)) {
    report([...at, 'options', 'max_embedding_inputs'], 'provider_setting', `provider "${id}": options.max_embedding_inputs must be a positive whole number of inputs per embeddings call`);
  }
  if (options.send_reasoning !== undefined) {
    const where = [...at, 'options', 'send_reasoning'];
    if (type !== 'openai' && type !== 'azure' && type !== 'openai-compatible') report(where, 'provider_setting', `provider "${id}": options.send_reasoning applies to openai, azure and openai-compatible providers only`);
    else if (typeof options.send_reasoning !== 'boolean') report(where, 'provider_setting', `provider "${id}": options.send_reasoning must be true or false`);
  }
  if (options.tool_loop !== undefined && type === 'openai-compatible') {
    checkPerModel(options.tool_loop, (v) => v === 'mistral', [...at, 'options', 'tool_loop'], report,
      `provider "${id}": options.tool_loop values are mistral`,
      `provider "${id}": options.tool_loop must be mistral, or a map from model globs to it, e.g. {"mistralai/*": mistral}`);
  }
  if (options.count_tokens !== undefined) {
    const where = [...at, 'options', 'count_tokens'];
    if (type !== 'openai' && type !== 'openai-compatible') report(where, 'provider_setting', `provider "${id}": options.count_tokens applies to openai and openai-compatible providers only`);
    else if (typeof options.count_tokens !== 'boolean') report(where, 'provider_setting', `provider "${id}": options.count_tokens must be true or false`);
  }

  const keys = list(p.keys);
  uniqueIds(keys, [...at, 'keys'], 'name', 'key name', report);
  const keyless = isKeyless(type, options);
  const usable = keys.some((k) => isObj(k) && k.enabled !== false && typeof k.value === 'string' && k.value !== '');
  if (p.enabled !== false && !keyless && type !== undefined && !usable) {
    report(p.keys === undefined ? at : [...at, 'keys'], 'no_usable_key',
      `provider "${id}" has no enabled key with a value; add one, e.g. keys: [{name: ${id}-main, value: env.${envName(id)}_API_KEY}]`,
      { onKey: true });
  }
}

function envName(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * An alias resolves to `provider/model` with a configured provider, or to a model that
 * some provider allows (its own allowlist, then a key's).
 */
function checkAliases(aliases: Obj, providers: Obj, report: Report): void {
  const ids = Object.keys(providers);
  for (const [alias, target] of Object.entries(aliases)) {
    if (typeof target !== 'string' || target === '') continue;
    const slash = target.indexOf('/');
    const named = slash > 0 ? target.slice(0, slash) : undefined;
    if (named !== undefined && isObj(providers[named])) continue;
    // `grok/llama` next to a provider `groq` is a typo, even if a catch-all key would accept the name.
    const typo = named === undefined ? undefined : closest(named, ids);
    if (typo === undefined && ids.some((id) => isObj(providers[id]) && allows(providers[id], target))) continue;
    const reason = typo !== undefined ? `there is no provider "${named}"; did you mean "${typo}"?`
      : named !== undefined ? `there is no provider "${named}" and no provider allows a model "${target}"`
      : `no provider allows a model "${target}"`;
    report(['aliases', alias], 'unknown_alias_target', `alias "${alias}" points to "${target}", but ${reason}`);
  }
}

/** providerAllowsModel over data the schema may not have accepted. */
function allows(p: Obj, model: string): boolean {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null);
  return providerAllowsModel({
    type: str(p.type) as ResolvedProvider['type'],
    options: isObj(p.options) ? p.options : {},
    models: strings(p.models),
    keys: list(p.keys).filter(isObj).map((k) => ({
      name: str(k.name) ?? '', value: str(k.value) ?? '', models: strings(k.models), weight: 1, enabled: k.enabled !== false,
    })),
  }, model);
}

function checkRulePaths(paths: unknown[], dir: string, report: Report): void {
  paths.forEach((p, i) => {
    if (typeof p !== 'string') return;
    const abs = resolve(dir, p);
    if (!existsSync(abs)) report(['rules', 'paths', i], 'rules_path_missing', `rules path "${p}" does not exist (looked for ${abs})`);
  });
}
