/**
 * The models a caller may use, as `GET /v1/models` lists them in OpenAI's shape and
 * `GET /anthropic/v1/models` in Anthropic's (paged with after_id / before_id / limit, and
 * one model by id). Concrete names from the providers' allowlists, the models a provider
 * whose allowlist has globs (or none) lists itself that its allowlists admit, each also as
 * `provider/model`, and the config's aliases; the principal's allowlists apply.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { servesModel } from '../balance/candidates.js';
import { modelMatches, type ResolvedProvider } from '../config/index.js';
import { ClientSignal } from '../dispatch/index.js';
import { SwitchyardError } from '../errors.js';
import type { Endpoint } from '../canonical.js';
import type { RoutingContext } from '../decision.js';
import type { FallbackReason } from '../errors.js';
import type { Principal } from '../governance/index.js';
import type { Router } from '../rules/index.js';
import { getAdapter } from '../providers/index.js';
import { MAX_MODEL_NAME_CHARS } from '../wire/validate.js';
import type { Runtime } from './runtime.js';

/** How long a provider's own model list is kept, and how soon a failed fetch is tried again. */
const LISTED_MS = 10 * 60_000;
const RETRY_MS = 60_000;
/** Longest a listing waits on the providers' own lists; one that is late is left out. */
const WAIT_MS = 5_000;

/** The providers' own model lists (by provider id), as last fetched. */
interface Catalog {
  lists: ReadonlyMap<string, readonly string[]>;
  /** When it is due again (performance.now()); 0 while none has been fetched. */
  due: number;
  /** Counts the fetches, so a listing built on an older one is built again. */
  version: number;
  fetching: Promise<void> | null;
}

const CATALOGS = new WeakMap<Runtime, Catalog>();

/** Providers that list their own models and whose allowlist has a glob, or is absent. */
function listedProviders(rt: Runtime): ResolvedProvider[] {
  return [...rt.loaded.providers.values()].filter((p) => p.enabled && getAdapter(p.type).buildModelsRequest !== undefined
    && (p.models === undefined || p.models === null || p.models.some((m) => m.includes('*'))));
}

async function fetchLists(rt: Runtime, providers: readonly ResolvedProvider[], c: Catalog): Promise<void> {
  const signal = new ClientSignal();
  const timer = setTimeout(() => signal.abort(), WAIT_MS);
  let failed = false;
  const lists = new Map<string, readonly string[]>();
  await Promise.all(providers.map(async (p) => {
    const key = p.keys.find((k) => k.enabled);
    try {
      const ids = await rt.dispatcher.listModels({ provider: p, model: '', key: key?.name ?? null }, { signal });
      if (ids !== null) lists.set(p.id, ids);
    } catch (err) {
      failed = true;
      // The last list, if any, stands in until the next try.
      const last = c.lists.get(p.id);
      if (last !== undefined) lists.set(p.id, last);
      rt.logger.warn({ provider: p.id, err: (err as Error).message }, 'the provider did not list its models: GET /v1/models leaves out the models its globs allow');
    }
  }));
  clearTimeout(timer);
  c.lists = lists;
  c.version++;
  c.due = performance.now() + (failed ? RETRY_MS : LISTED_MS);
}

/** The providers' own lists, fetched when due (awaited then, WAIT_MS at most); an empty map when no provider needs one. */
async function catalog(rt: Runtime): Promise<Catalog> {
  let c = CATALOGS.get(rt);
  if (c === undefined) CATALOGS.set(rt, (c = { lists: new Map(), due: 0, version: 0, fetching: null }));
  if (c.due > performance.now()) return c;
  const providers = listedProviders(rt);
  if (providers.length === 0) {
    c.due = Number.POSITIVE_INFINITY;
    return c;
  }
  const cat = c;
  cat.fetching ??= fetchLists(rt, providers, cat).finally(() => {
    cat.fetching = null;
  });
  await cat.fetching;
  return cat;
}

interface ModelEntry {
  id: string;
  /** The provider id, or `switchyard` for an alias. */
  owner: string;
}

interface Listing {
  entries: readonly ModelEntry[];
  byId: ReadonlyMap<string, ModelEntry>;
  /** The OpenAI list, rendered once. */
  openai: string;
}

/**
 * Per runtime and principal. The list depends on providers, keys, aliases and the
 * principal's allowlists, all fixed for a runtime's life, and on the rules (for bare
 * names only weight-0 providers serve), which a reload replaces: the walk over providers
 * runs once per key and rule set, not per call.
 */
const LISTINGS = new WeakMap<Runtime, WeakMap<Principal, Listing & { version: number; router: Router }>>();

/** The endpoints a bare name may be asked for, and the params a plain request to each has. */
const PLAIN_REQUESTS: readonly [Endpoint, RoutingContext['params']][] = [
  ['chat', { messages: 1, tools: 0, input_tokens_estimate: 1 }],
  ['messages', { messages: 1, tools: 0, input_tokens_estimate: 1 }],
  ['responses', { messages: 1, tools: 0, input_tokens_estimate: 1 }],
  ['embeddings', { inputs: 1, input_tokens_estimate: 1 }],
];

/**
 * Whether a plain request from `principal` for the bare name or alias `model` (one
 * message, no headers, nothing used yet) is routed to a model the principal may use, on
 * any endpoint. A bare name only weight-0 providers serve is refused unless a rule routes
 * it, and an alias may lead where the caller may not go, so the listing asks the router;
 * a rule that needs a header or a param to route it leaves the name out, as a plain
 * request would be refused.
 */
function routesBare(rt: Runtime, principal: Principal, model: string): boolean {
  const now = new Date();
  for (const [endpoint, params] of PLAIN_REQUESTS) {
    const d = rt.router.decide({
      headers: {}, tier: principal.tier, team: principal.team ?? '', customer: principal.customer ?? '',
      virtual_key: principal.virtualKey ?? '', model, provider: '', endpoint, stream: false, params,
      budget_used: 0, tokens_used: 0, requests_used: 0, now,
    }, { draw: 0, unavailable: NONE_UNAVAILABLE });
    if (d.selected && rt.governance.isModelAllowed(principal, d.selected.provider, d.selected.model)) return true;
  }
  return false;
}

const NONE_UNAVAILABLE: ReadonlyMap<string, FallbackReason> = new Map();

function entriesFor(rt: Runtime, principal: Principal, listed: ReadonlyMap<string, readonly string[]>): ModelEntry[] {
  const seen = new Map<string, string>();
  /** Bare names listed so far only for providers that take no unmatched traffic. */
  const weightless = new Set<string>();
  for (const p of rt.loaded.providers.values()) {
    if (!p.enabled) continue;
    const names = new Set<string>();
    for (const m of p.models ?? []) names.add(m);
    for (const k of p.keys) if (k.enabled) for (const m of k.models ?? []) names.add(m);
    // The provider's own list: what its allowlists (and its keys') admit.
    for (const m of listed.get(p.id) ?? []) if (servesModel(p, m)) names.add(m);
    const mockModels = p.type === 'mock' ? (p.options.models as unknown) : undefined;
    if (Array.isArray(mockModels)) for (const m of mockModels) if (typeof m === 'string') names.add(m);
    for (const m of names) {
      if (m.includes('*')) continue;
      if (p.models && !p.models.some((pat) => modelMatches(pat, m))) continue;
      if (!rt.governance.isModelAllowed(principal, p.id, m)) continue;
      if (!seen.has(m)) {
        seen.set(m, p.id);
        if (p.weight === 0) weightless.add(m);
      } else if (p.weight > 0 && weightless.delete(m)) seen.set(m, p.id);
      seen.set(`${p.id}/${m}`, p.id);
    }
  }
  for (const m of weightless) if (!routesBare(rt, principal, m)) seen.delete(m);
  // An alias the caller may use: one a plain request for it is routed by.
  for (const alias of Object.keys(rt.loaded.config.aliases ?? {})) if (!seen.has(alias) && routesBare(rt, principal, alias)) seen.set(alias, 'switchyard');
  return [...seen].map(([id, owner]) => ({ id, owner }));
}

/** The caller's listing; throws SY_ERR_UNAUTHORIZED as any route does without a valid key. */
async function listing(rt: Runtime, headers: IncomingHttpHeaders): Promise<Listing> {
  const principal = rt.governance.authenticate(headers);
  const c = await catalog(rt);
  let lists = LISTINGS.get(rt);
  if (!lists) LISTINGS.set(rt, (lists = new WeakMap()));
  let l = lists.get(principal);
  if (l === undefined || l.version !== c.version || l.router !== rt.router) {
    const entries = entriesFor(rt, principal, c.lists);
    const data = entries.map((e) => ({ id: e.id, object: 'model', created: 0, owned_by: e.owner }));
    l = { entries, byId: new Map(entries.map((e) => [e.id, e])), openai: JSON.stringify({ object: 'list', data }), version: c.version, router: rt.router };
    lists.set(principal, l);
  }
  return l;
}

/** `GET /v1/models`: OpenAI's list object. */
export async function openAIModelList(rt: Runtime, headers: IncomingHttpHeaders): Promise<string> {
  return (await listing(rt, headers)).openai;
}

/**
 * One model by id: from the caller's listing, or else one a provider's globs admit (a
 * provider whose list does not name it, or that lists none: `models: ["*"]`) and the
 * caller may use, by its name or as `provider/model`.
 */
async function modelById(rt: Runtime, headers: IncomingHttpHeaders, id: string): Promise<ModelEntry | undefined> {
  const found = (await listing(rt, headers)).byId.get(id);
  if (found !== undefined) return found;
  // A name no request may ask for (the intake refuses it) is no model; nor is it routed,
  // which would keep it in the router's caches.
  if (id.length > MAX_MODEL_NAME_CHARS) return undefined;
  // An alias the list leaves out leads to a model the caller may not use. A request for
  // it goes where the alias leads, never to a provider serving any name as written.
  if (Object.hasOwn(rt.loaded.config.aliases ?? {}, id)) return undefined;
  const principal = rt.governance.authenticate(headers);
  const slash = id.indexOf('/');
  const pinned = slash > 0 ? rt.loaded.providers.get(id.slice(0, slash)) : undefined;
  const [candidates, model] = pinned !== undefined ? [[pinned], id.slice(slash + 1)] : [[...rt.loaded.providers.values()], id];
  const serving = candidates.filter((c) => c.enabled && servesModel(c, model) && rt.governance.isModelAllowed(principal, c.id, model));
  // A bare name as a request for it would go: balanced to a provider taking unmatched
  // traffic, or else routed by a rule.
  const p = pinned !== undefined ? serving[0] : serving.find((c) => c.weight > 0) ?? (serving.length > 0 && routesBare(rt, principal, model) ? serving[0] : undefined);
  return p === undefined ? undefined : { id, owner: p.id };
}

/** `GET /v1/models/{id}`: OpenAI's model object, or SY_ERR_UNKNOWN_MODEL (404) in its dialect. */
export async function openAIModelById(rt: Runtime, headers: IncomingHttpHeaders, id: string): Promise<Record<string, unknown>> {
  const e = await modelById(rt, headers, id);
  if (e === undefined) throw new SwitchyardError('SY_ERR_UNKNOWN_MODEL', `The model "${id}" does not exist or this key may not use it.`, { details: { param: 'model' } });
  return { id: e.id, object: 'model', created: 0, owned_by: e.owner };
}

/** Anthropic's model object; no release date is known, so `created_at` is the epoch. */
function anthropicModel(e: ModelEntry): Record<string, unknown> {
  return { type: 'model', id: e.id, display_name: e.id, created_at: '1970-01-01T00:00:00Z' };
}

function cursor(l: Listing, q: Record<string, unknown>, name: 'after_id' | 'before_id'): number {
  const id = q[name];
  if (id === undefined) return -1;
  const e = typeof id === 'string' ? l.byId.get(id) : undefined;
  if (e === undefined) throw new SwitchyardError('SY_ERR_BAD_REQUEST', `\`${name}\` must be the id of a model in this list`, { details: { param: name } });
  return l.entries.indexOf(e);
}

/** `GET /anthropic/v1/models`: one page, as Anthropic pages (default 20, at most 1000). */
export async function anthropicModelPage(rt: Runtime, headers: IncomingHttpHeaders, query: Record<string, unknown>): Promise<Record<string, unknown>> {
  const l = await listing(rt, headers);
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', '`limit` must be an integer from 1 to 1000', { details: { param: 'limit' } });
  }
  const after = cursor(l, query, 'after_id');
  const before = cursor(l, query, 'before_id');
  let from: number, to: number, more: boolean;
  if (before >= 0) {
    to = before;
    from = Math.max(0, to - limit);
    more = from > 0;
  } else {
    from = after + 1;
    to = Math.min(l.entries.length, from + limit);
    more = to < l.entries.length;
  }
  const page = l.entries.slice(from, to);
  return { data: page.map(anthropicModel), has_more: more, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null };
}

/** `GET /anthropic/v1/models/{id}`: the model, or SY_ERR_UNKNOWN_MODEL. */
export async function anthropicModelById(rt: Runtime, headers: IncomingHttpHeaders, id: string): Promise<Record<string, unknown>> {
  const e = await modelById(rt, headers, id);
  if (e === undefined) throw new SwitchyardError('SY_ERR_UNKNOWN_MODEL', `No model "${id}" is available to this key.`, { details: { param: 'model_id' } });
  return anthropicModel(e);
}
