/**
 * One inference request, start to finish: principal → routing context → decision →
 * admission → dispatch → response in the client's dialect → settlement → exactly one
 * audit event. Everything per request here is proportional to the request, never to
 * the config: the router, governance and dispatcher precompute their indices at load.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, ChatResponse, ContentPart, Dialect, EmbeddingsRequest, Endpoint, StreamEvent, Usage } from '../canonical.js';
import type { Decision, DecideOptions, RoutingContext } from '../decision.js';
import { SwitchyardError, renderError, setRetryHeaders, statusIn, type FallbackReason } from '../errors.js';
import { servesModel } from '../balance/candidates.js';
import type { Admission, Estimate, Principal } from '../governance/index.js';
import { ClientSignal, DispatchError, upstreamHeaders, type DispatchTiming } from '../dispatch/index.js';
import type { DispatchOptions, Plan, PlanTarget } from '../dispatch/types.js';
import type { FailureKind } from '../dispatch/attempt.js';
import type { Attempt, Outcome, RequestSummary } from '../types/audit-event.js';
import { CHAT_DIALECTS, RESPONSES_API, parseAnthropicCountTokensRequest, parseOpenAIEmbeddingsRequest, renderOpenAIEmbeddingsResponse, type EmbeddingsClientOptions, type RenderOptions } from '../wire/dialects.js';
import { stripCredentialHeaders } from '../audit/headers.js';
import { storedPrompt } from '../audit/prompt.js';
import { anySigned } from '../wire/content.js';
import { isSigned } from '../wire/sealed.js';
import { errorEventData } from '../wire/responses/response.js';
import type { Runtime } from './runtime.js';
import { newId, requestIdFrom } from './ids.js';
import { keepAnswer, resolveKept, type ConnectionItems, type Resolved } from './response-items.js';
import { keptItem } from './conversations.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { isRecord } from '../wire/validate.js';

const EMPTY_UNAVAILABLE: ReadonlyMap<string, FallbackReason> = new Map();

/** What a handler reads of a request: fastify's, the intake's (src/server/intake.ts), or a Responses WebSocket message's. */
export interface RequestLike {
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body. */
  readonly body: unknown;
  /**
   * A Responses WebSocket's items (src/server/responses-ws.ts): its latest answer, which
   * the next request may build on whatever `store` said, in front of the kept answers.
   */
  readonly connection?: ConnectionItems;
}

/**
 * What a handler writes a stream on: node's ServerResponse, or a Responses WebSocket's
 * writer, which sends each SSE event's data as one message.
 */
export interface RawResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  destroy(): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
}

/**
 * What a handler does with a reply: the part of fastify's reply it uses, which the
 * intake's RawReply also implements. Header names are lowercase.
 */
export interface ReplyLike {
  readonly raw: RawResponse;
  /** Sent, or hijacked to be written on `raw`. */
  readonly sent: boolean;
  header(name: string, value: string): this;
  headers(values: Record<string, string>): this;
  hasHeader(name: string): boolean;
  code(status: number): this;
  type(contentType: string): this;
  send(body: string): this;
  hijack(): this;
}

/** Per-request timing marks, in performance.now() milliseconds. */
export interface Marks {
  /** The request arrived (its head was read). */
  start: number;
}

/**
 * The gateway's own processing time, in ms: from the request's arrival until it was
 * written upstream, plus from the served answer's arrival until `now`. Failed attempts,
 * backoff and the upstream's own time fall in between and are left out.
 */
function ownMs(marks: Marks, t: DispatchTiming, now: number): number {
  return t.sentAt - marks.start + (now - t.receivedAt);
}

function textLength(parts: readonly ContentPart[]): number {
  let n = 0;
  for (const p of parts) n += p.type === 'text' ? p.text.length : 3000; // an image (or another block) costs roughly 750 tokens
  return n;
}

/** Rough input tokens (characters / 4): for rules (`params.input_tokens_estimate`) and budget reservations. */
export function estimateInputTokens(req: ChatRequest | EmbeddingsRequest): number {
  let chars = 0;
  if (req.kind === 'embeddings') {
    for (const s of req.input) chars += s.length;
  } else {
    chars += textLength(req.system);
    for (const m of req.messages) {
      chars += textLength(m.content);
      if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) chars += c.arguments.length + c.name.length;
    }
    if (req.tools) for (const t of req.tools) chars += JSON.stringify(t.parameters).length + (t.description?.length ?? 0);
  }
  return Math.ceil(chars / 4);
}

function paramsOf(req: ChatRequest | EmbeddingsRequest, estimate: number): RoutingContext['params'] {
  if (req.kind === 'embeddings') return { input_tokens_estimate: estimate, inputs: req.input.length };
  const p: RoutingContext['params'] = { messages: req.messages.length, tools: req.tools?.length ?? 0, input_tokens_estimate: estimate };
  if (req.maxTokens !== undefined) p.max_tokens = req.maxTokens;
  if (req.temperature !== undefined) p.temperature = req.temperature;
  if (req.topP !== undefined) p.top_p = req.topP;
  return p;
}

/** `provider/model` pins the provider when the prefix names one; otherwise the whole string is the model. */
function splitModel(rt: Runtime, requested: string): { provider: string; model: string } {
  const slash = requested.indexOf('/');
  if (slash > 0) {
    const provider = requested.slice(0, slash);
    if (rt.loaded.providers.has(provider)) return { provider, model: requested.slice(slash + 1) };
  }
  return { provider: '', model: requested };
}

function unavailableNow(rt: Runtime): ReadonlyMap<string, FallbackReason> {
  const a = rt.dispatcher.health.unavailable();
  const b = rt.governance.unavailableProviders();
  if (b.size === 0) return a.size === 0 ? EMPTY_UNAVAILABLE : a;
  if (a.size === 0) return b;
  const m = new Map<string, FallbackReason>(a);
  for (const [k, v] of b) m.set(k, v);
  return m;
}

function planOf(rt: Runtime, d: Decision): Plan {
  const sel = d.selected!;
  const target = (t: { provider: string; model: string; key?: string | null }): PlanTarget => ({ provider: rt.loaded.providers.get(t.provider)!, model: t.model, key: t.key ?? null });
  const plan: Plan = { primary: target(sel), fallbacks: d.fallbacks.map(target), fallbackOn: (d.fallback_on ?? []) as FallbackReason[] };
  if (d.panic === true) plan.panic = true;
  return plan;
}

/**
 * Why `d` selected nothing, for the client. `whole` decides the same request with every
 * target available (what it would get once they are back).
 */
function refusal(rt: Runtime, d: Decision, requested: string, principal: Principal, whole: () => Decision): SwitchyardError {
  if (d.reason === 'model_not_allowed') {
    // Served, but only by providers that take no unmatched traffic: name one the caller may use.
    const only = d.inputs.provider === '' ? [...rt.loaded.providers.values()].filter((p) => p.enabled && p.weight === 0 && servesModel(p, requested) && rt.governance.isModelAllowed(principal, p.id, requested)).map((p) => p.id) : [];
    const message = only.length > 0
      ? `Model "${requested}" is served only by providers that take no unmatched traffic (weight 0: ${only.join(', ')}), and no rule routes it: ask for ${only[0]}/${requested}.`
      : `No configured provider serves model "${requested}".`;
    return new SwitchyardError('SY_ERR_UNKNOWN_MODEL', message, { details: { param: 'model' } });
  }
  // A caller whose allowlists refuse every target would be refused 403 once one is
  // available: waiting would not help, so it hears that now.
  if (principal.allowedModels !== null || principal.allowedProviders !== null) {
    const w = whole();
    const refusals = (w.selected ? [w.selected, ...w.targets, ...w.fallbacks] : []).map((t) => rt.governance.modelRefusal(principal, t.provider, t.model));
    if (refusals.length > 0 && refusals.every((r) => r !== null)) return refusals[0]!;
  }
  // Every target sits out for its provider's own budget or limit: that is a 429 the
  // client can wait out (Retry-After), as for any limit, not a missing route.
  // Entries read `provider[#key]:reason`.
  const skipped = (d.inputs.unavailable ?? []).map((u) => /^([^#:]+)(?:#[^:]*)?:(budget_exceeded|rate_limit_exceeded)$/.exec(u));
  const waits = skipped.map((m) => (m === null ? undefined : rt.governance.unavailableForSeconds(m[1])));
  if (skipped.length > 0 && waits.every((w) => w !== undefined)) {
    const out = skipped.map((m) => ({ p: m![1], budget: m![2] === 'budget_exceeded' }));
    const wait = Math.min(...(waits as number[]));
    const what = out.map((o) => `"${o.p}" (${o.budget ? 'its budget is spent' : 'over its rate limit'})`).join(', ');
    return new SwitchyardError(out.every((o) => o.budget) ? 'SY_ERR_BUDGET_EXCEEDED' : 'SY_ERR_RATE_LIMITED', `No target can serve model "${requested}" now: provider ${what}; retry in ${wait}s.`, { retryAfter: wait, details: { level: 'provider', id: out[0].p } });
  }
  return new SwitchyardError('SY_ERR_NO_ROUTE', `No healthy target can serve model "${requested}" (${d.reason ?? 'no route'}).`);
}

/** Whose kept response items a request may refer to (see response-items.ts): its virtual key's, or the anonymous caller's. */
function scopeOf(p: Principal | null): string {
  return p?.virtualKey ?? '';
}

/** State gathered along the way, for the error path and the audit event. */
class Exchange {
  private reqId: string | null = null;
  private decId: string | null = null;
  private readonly clientRequestId: string | string[] | undefined;
  readonly ts: Date;
  principal: Principal | null = null;
  decision: Decision | null = null;
  admission: Admission | null = null;
  attempts: Attempt[] = [];
  /** Why the last upstream call failed, when no target served (DispatchError#failure). */
  failure: FailureKind | null = null;
  requestSummary: RequestSummary;
  servedProvider: string | null = null;
  servedModel: string | null = null;
  usage: Usage | null = null;
  costUsd = 0;
  ttftMs: number | null = null;
  streamError: string | null = null;
  clientAborted = false;
  /** Input tokens estimated at intake: charged when a stream ends without reporting usage. */
  inputEstimate = 0;
  /** A stream's first content went out: the commit point. Headers sent before it were keep-alive's. */
  committed = false;

  constructor(readonly rt: Runtime, readonly dialect: Dialect, readonly endpoint: Endpoint, req: RequestLike, readonly started: number) {
    this.clientRequestId = req.headers['x-request-id'];
    this.ts = new Date(rt.clock());
    this.requestSummary = { endpoint, dialect, model: '', stream: false };
  }

  /** Made on first use: once the request is upstream, or sooner for an error. */
  get requestId(): string {
    return (this.reqId ??= requestIdFrom(this.clientRequestId));
  }

  get decisionId(): string {
    return (this.decId ??= newId('dec_'));
  }

  /** Records who served the request and every attempt dispatch made. */
  served(result: { attempts: Attempt[]; served: { provider: string; model: string } }): void {
    this.attempts = result.attempts;
    this.servedProvider = result.served.provider;
    this.servedModel = result.served.model;
    // At debug level the log shows a provider failing even when a retry or a fallback
    // served the request (else only the audit event has it).
    if (result.attempts.length > 1 && this.rt.logger.isLevelEnabled('debug')) {
      this.rt.logger.debug({
        request_id: this.requestId, decision_id: this.decisionId, endpoint: this.endpoint, served: `${result.served.provider}/${result.served.model}`,
        failed: result.attempts.filter((a) => a.fallback_reason !== null).map((a) => ({ target: `${a.provider}/${a.model}`, status: a.status, reason: a.fallback_reason, error: a.error ?? null })),
      }, 'request served after failed attempts');
    }
  }

  audit(status: number, code: string | null): void {
    const rt = this.rt;
    if (!this.decision || !rt.audit.enabled) return;
    const p = this.principal;
    const outcome: Outcome = {
      status, code,
      served_provider: this.servedProvider,
      served_model: this.servedModel,
      input_tokens: this.usage?.inputTokens ?? 0,
      output_tokens: this.usage?.outputTokens ?? 0,
      cached_tokens: this.usage?.cachedInputTokens ?? 0,
      cache_write_tokens: this.usage?.cacheWriteTokens ?? 0,
      cost_usd: this.costUsd,
      latency_ms: Math.round((performance.now() - this.started) * 1000) / 1000,
      ttft_ms: this.ttftMs,
      stream_error: this.streamError,
      client_aborted: this.clientAborted,
    };
    rt.audit.record({
      decisionId: this.decisionId, requestId: this.requestId, ts: this.ts, decision: this.decision,
      principal: { customer: p?.customer ?? null, team: p?.team ?? null, virtual_key: p?.virtualKey ?? null, tier: this.decision.inputs.tier },
      request: this.requestSummary, attempts: this.attempts, outcome,
    });
  }

  async settle(): Promise<void> {
    if (!this.admission) return;
    const a = this.admission;
    this.admission = null;
    try {
      if (this.usage && this.servedProvider && this.servedModel) {
        this.costUsd = (await a.settle(this.usage, { provider: this.servedProvider, model: this.servedModel })).costUsd;
      } else {
        await a.release();
      }
    } catch (e) {
      this.rt.logger.error({ err: e, decision_id: this.decisionId }, 'settlement failed');
    }
  }

  /**
   * Sets what the request is charged: the provider's count, or, when it counted nothing
   * (no usage in its answer, or none that is a count), an estimate from the output's
   * length, as for a stream cut before its usage: an answer is never free because its
   * usage was missing. The input is then what the provider stated at the start of its
   * stream (`inputUsage`: input, cache reads and writes), or else the intake estimate.
   */
  charge(reported: Usage | null | undefined, outputChars: number, inputUsage: Usage | null = null): void {
    if (reported && (reported.inputTokens > 0 || reported.outputTokens > 0)) {
      this.usage = reported;
      return;
    }
    const outputTokens = Math.ceil(outputChars / 4);
    this.usage = inputUsage !== null && inputUsage.inputTokens > 0
      ? { ...inputUsage, outputTokens: Math.max(inputUsage.outputTokens, outputTokens) }
      : { inputTokens: this.inputEstimate, outputTokens };
  }

  countUsage(): void {
    const m = this.rt.metrics;
    if (!this.usage || !this.servedProvider || !this.servedModel) return;
    const model = m.modelLabel(this.servedModel);
    m.tokens.inc({ provider: this.servedProvider, model, kind: 'input' }, this.usage.inputTokens);
    m.tokens.inc({ provider: this.servedProvider, model, kind: 'output' }, this.usage.outputTokens);
    // Parts of `input` priced apart (cache reads, cache writes), as the audit event counts them.
    const { cachedInputTokens: cached, cacheWriteTokens: written } = this.usage;
    if (cached) m.tokens.inc({ provider: this.servedProvider, model, kind: 'cached' }, cached);
    if (written) m.tokens.inc({ provider: this.servedProvider, model, kind: 'cache_write' }, written);
    if (this.costUsd > 0) m.costUsd.inc({ provider: this.servedProvider, model }, this.costUsd);
  }

  countAttempts(): void {
    const m = this.rt.metrics;
    for (const a of this.attempts) {
      if (a.status === 0 && a.fallback_reason !== null && a.latency_ms === 0) {
        m.fallbacks.inc({ provider: a.provider, reason: a.fallback_reason });
        continue;
      }
      // The last call of a request no target served has no fallback_reason: what failed it is `failure`.
      const failed = a === this.attempts.at(-1) ? this.failure ?? 'error' : 'error';
      m.attempts.inc({ provider: a.provider, outcome: a.fallback_reason ?? (a.status >= 200 && a.status < 300 ? 'ok' : failed) });
      if (a.fallback_reason) m.fallbacks.inc({ provider: a.provider, reason: a.fallback_reason });
    }
  }
}

function baseHeaders(x: Exchange, reply: ReplyLike): void {
  reply.header('x-request-id', x.requestId);
  reply.header('x-switchyard-decision-id', x.decisionId);
}

const UNSAFE_HEADER_TEXT = /[^\x20-\x24\x26-\x7e]/;

/**
 * `s` as a header value: the served model is whatever name the client sent (a mock, or a
 * provider allowed by glob, serves any), and writeHead throws at a control character or
 * anything past Latin-1, so such characters, and `%`, go percent-encoded as UTF-8.
 */
function headerText(s: string): string {
  if (!UNSAFE_HEADER_TEXT.test(s)) return s;
  let out = '';
  for (const ch of s) {
    if (!UNSAFE_HEADER_TEXT.test(ch)) out += ch;
    // Buffer.from writes a lone surrogate as U+FFFD, where encodeURIComponent would throw.
    else for (const b of Buffer.from(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The decision's headers the config exposes, added to `h`. */
function decisionHeaders(x: Exchange, h: Record<string, string> = {}): Record<string, string> {
  const server = x.rt.loaded.config.server;
  if (server?.expose_decision_headers) {
    if (x.decision?.rule_id) h['x-switchyard-rule-id'] = x.decision.rule_id;
    if (x.servedProvider) h['x-switchyard-served-by'] = headerText(`${x.servedProvider}/${x.servedModel}`);
  }
  if (x.admission) {
    if (server?.expose_budget_headers) {
      const left = x.admission.budgetRemaining();
      if (left !== null) h['x-switchyard-budget-remaining'] = left.toFixed(6);
    }
    const now = x.rt.clock();
    const limits = x.admission.rateLimits(now);
    if (limits !== null) rateLimitHeaders(x.dialect, limits, now, h);
  }
  return h;
}

/** Sends an error in the client's dialect and records it. */
function fail(x: Exchange, reply: ReplyLike, err: unknown): void {
  const rt = x.rt;
  let e: SwitchyardError;
  if (err instanceof SwitchyardError) e = err;
  else {
    rt.logger.error({ err, request_id: x.requestId }, 'unexpected error while serving a request');
    e = new SwitchyardError('SY_ERR_INTERNAL', `Internal error; request id ${x.requestId}.`);
  }
  if (err instanceof DispatchError) {
    x.attempts = err.attempts;
    x.failure = err.failure;
  }
  // What the client is answered with (and what is recorded): Anthropic's status for an
  // error its API answers with another one.
  const status = statusIn(x.dialect, e);
  // At debug level the log says why a request failed (an operator fitting a client to the
  // gateway turns it on to see what the client sent wrong, or what the provider said of it).
  // Refused before routing, it has no audit event; after, the event has its attempts.
  // A 503 for a counter store that is down is such a refusal too: logged like a 400.
  if (x.decision === null) {
    rt.logger.debug({ request_id: x.requestId, endpoint: x.endpoint, status, code: e.code, param: e.details?.param, reason: e.message }, 'request refused before routing');
  } else rt.logger.debug({ request_id: x.requestId, decision_id: x.decisionId, endpoint: x.endpoint, status, code: e.code, attempts: x.attempts.length, reason: e.message }, 'request failed');
  rt.metrics.requests.inc({ endpoint: x.endpoint, status: String(status), via: x.decision?.via ?? 'none' });
  x.countAttempts();
  // Read before settlement lets the admission go: where the caller stands against its rate
  // limits, as its admission left them, or as they stood when they refused it.
  const now = rt.clock();
  const limits = x.admission !== null ? x.admission.rateLimits(now) : e.limits?.at(now) ?? null;
  rt.work.begin();
  void x.settle().finally(() => {
    x.audit(status, e.code);
    rt.work.end();
  });
  if (reply.raw.headersSent) {
    if (!x.committed) {
      // Kept alive, nothing sent but comments: the error goes in-band, as the stream's only event.
      if (!reply.raw.writableEnded && !reply.raw.destroyed) reply.raw.end(streamErrorFrame(x, e));
      return;
    }
    // Past the commit point: a truncated stream must not look complete, so cut the connection.
    if (!reply.raw.writableEnded) reply.raw.destroy();
    return;
  }
  if (reply.sent) {
    // Taken over for a stream whose head never went out (the write of the head threw):
    // nothing else will answer, so the connection closes rather than hang.
    if (!reply.raw.headersSent && !reply.raw.destroyed) reply.raw.destroy();
    return;
  }
  if (!reply.hasHeader('x-switchyard-decision-id')) baseHeaders(x, reply);
  // The rule that routed a failed request is worth as much to its client as to a served one's.
  if (x.decision?.rule_id && rt.loaded.config.server?.expose_decision_headers) reply.header('x-switchyard-rule-id', x.decision.rule_id);
  setRetryHeaders(e, reply);
  if (limits !== null) reply.headers(rateLimitHeaders(x.dialect, limits, now, {}));
  reply.code(status).type('application/json').send(JSON.stringify(renderError(x.dialect, e)));
}

/** `then(value)` now when `value` is at hand, after it resolves when it is a promise. */
function andThen<T, R>(value: T | Promise<T>, then: (v: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/** The processing tier a chat client asked for (`service_tier`, in any dialect), which admission reserves at. */
function requestedTier(req: ChatRequest): string | undefined {
  const tier = req.extras?.fields.service_tier;
  return typeof tier === 'string' ? tier : undefined;
}

/**
 * Resolves the principal, builds the routing context, decides and admits. Returns the
 * plan to dispatch, or throws a SwitchyardError for the client. Governance answers
 * that need no store come back as values, and so does the plan then: each await would
 * cost the request a turn of the microtask queue.
 */
function route(x: Exchange, req: RequestLike, canonical: ChatRequest | EmbeddingsRequest, stream: boolean): Plan | Promise<Plan> {
  const rt = x.rt;
  // Read once: a reload between here and admission must not pair this principal with another config's rules.
  const router = rt.router;
  const principal = rt.governance.authenticate(req.headers);
  x.principal = principal;
  const requested = canonical.model;
  const { provider, model } = splitModel(rt, requested);
  // The same function builds the audit event's headers: what rules saw is what replay sees.
  const headers = stripCredentialHeaders(req.headers);
  const estimate = estimateInputTokens(canonical);
  x.inputEstimate = estimate;
  const params = paramsOf(canonical, estimate);
  x.requestSummary = { endpoint: x.endpoint, dialect: x.dialect, model: requested, stream, headers, params };
  // The prompt is kept once, where audit.mask pointers name it, without inline media's bytes.
  if (rt.loaded.config.audit?.store_prompts) x.requestSummary.body = storedPrompt(canonical);
  return andThen(rt.governance.capacityNow(principal), (capacity) => {
    const ctx: RoutingContext = {
      headers,
      tier: headers['x-tier'] ?? principal.tier,
      team: principal.team ?? '',
      customer: principal.customer ?? '',
      virtual_key: principal.virtualKey ?? '',
      model,
      provider,
      endpoint: x.endpoint,
      stream,
      params,
      budget_used: capacity.budget_used,
      tokens_used: capacity.tokens_used,
      requests_used: capacity.requests_used,
      now: x.ts,
    };
    const estimated: Estimate = { inputTokens: estimate, maxTokens: canonical.kind === 'chat' ? canonical.maxTokens : 0, serviceTier: canonical.kind === 'chat' ? requestedTier(canonical) : undefined };
    // A provider whose own budget or limit (requests, tokens, concurrency) is spent drops
    // out of routing, but the request that finds it so is decided again at once without
    // it, as many times as there are providers at most. With nothing left to serve, the
    // client hears that provider's refusal (its 429 and Retry-After), not "no route".
    let excluded: Map<string, FallbackReason> | null = null;
    const admitted = (decision: Decision, left: number, refused: SwitchyardError | null): Plan | Promise<Plan> => {
      x.decision = decision;
      if (decision.via === 'none' || !decision.selected) throw refused ?? refusal(rt, decision, requested, principal, () => router.decide(ctx, { draw: decision.inputs.draw }));
      const sel = decision.selected;
      rt.governance.checkModelAllowed(principal, sel.provider, sel.model);
      // Counting tokens is free: nothing to reserve, and no rate limit or budget is charged.
      if (x.endpoint === 'count_tokens') return allowedPlan(rt, principal, decision);
      const again = (e: unknown): Plan | Promise<Plan> => {
        if (left === 0 || !(e instanceof SwitchyardError) || e.details?.level !== 'provider') throw e;
        excluded ??= new Map(unavailableNow(rt));
        excluded.set(sel.provider, e.code === 'SY_ERR_BUDGET_EXCEEDED' ? 'budget_exceeded' : 'rate_limit_exceeded');
        return admitted(router.decide(ctx, { unavailable: excluded }), left - 1, e);
      };
      let admission: Admission | Promise<Admission>;
      try {
        admission = rt.governance.admitNow(principal, { provider: sel.provider, model: sel.model }, estimated);
      } catch (e) {
        return again(e);
      }
      const use = (a: Admission): Plan => {
        x.admission = a;
        return allowedPlan(rt, principal, decision);
      };
      return admission instanceof Promise ? admission.then(use, again) : use(admission);
    };
    const opts: DecideOptions = { unavailable: unavailableNow(rt) };
    const decision = router.decide(ctx, opts);
    if (decision.errors.length > 0) for (const e of decision.errors) rt.metrics.ruleErrors.inc({ rule: e.rule_id });
    return admitted(decision, rt.loaded.providers.size, null);
  });
}

/** The decision's plan, without the fallbacks to models the principal may not use. */
function allowedPlan(rt: Runtime, principal: Principal, decision: Decision): Plan {
  const plan = planOf(rt, decision);
  if (plan.fallbacks.length && (principal.allowedModels || principal.allowedProviders)) {
    plan.fallbacks = plan.fallbacks.filter((t) => rt.governance.isModelAllowed(principal, t.provider.id, t.model));
  }
  return plan;
}

/**
 * What the request needs before its answer but not before it goes upstream: dispatch
 * has written the upstream request by the time its call returns, so this runs while the
 * provider works instead of in front of it. Ids and their headers, and aborting upstream
 * work when the client goes away before the response is finished (no event can fire
 * between the dispatch call and here). The signal is a ClientSignal (a plain object),
 * not an AbortController: one per request.
 */
function whileUpstream(x: Exchange, reply: ReplyLike, signal: ClientSignal): void {
  baseHeaders(x, reply);
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) {
      x.clientAborted = true;
      signal.abort();
    }
  });
}

function serverTiming(ms: number): string {
  return `sy;dur=${ms.toFixed(3)}`;
}

/**
 * Sends a whole (non-streamed) JSON answer, then settles, counts and audits the request.
 * Server-Timing carries the own time up to the send; the histogram also counts the send.
 */
async function sendWhole(x: Exchange, reply: ReplyLike, body: string, marks: Marks, timing: DispatchTiming): Promise<void> {
  const m = x.rt.metrics;
  reply.headers(decisionHeaders(x)).header('server-timing', serverTiming(ownMs(marks, timing, performance.now()))).type('application/json').send(body);
  m.processingSeconds.observe({ endpoint: x.endpoint }, ownMs(marks, timing, performance.now()) / 1000);
  await x.settle();
  x.countUsage();
  x.countAttempts();
  m.requests.inc({ endpoint: x.endpoint, status: '200', via: x.decision!.via });
  x.audit(200, null);
}

/**
 * Waits until a slow client has taken what was written, or has gone. A client that takes
 * nothing for `server.client_stall_ms` is cut off: its response is destroyed, which aborts
 * the upstream request (whileUpstream) and lets the request settle and be audited.
 */
function drained(x: Exchange, res: RawResponse): Promise<void> {
  const stallMs = x.rt.loaded.config.server?.client_stall_ms ?? 60_000;
  return new Promise<void>((resolve) => {
    const stalled = setTimeout(() => {
      x.rt.logger.warn({ decision_id: x.decisionId, stall_ms: stallMs }, 'client stopped reading a stream: cut');
      res.destroy();
    }, stallMs);
    const done = () => {
      clearTimeout(stalled);
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/**
 * A stream's response headers. Built as one literal, then added to: the same headers
 * assembled with object spreads cost a streamed request about 5 % more CPU (bench:ab).
 */
function streamHeaders(x: Exchange, timing: string | null): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // No `connection` header: Node says keep-alive when the connection is kept, and close
    // when the client asked for it (or spoke HTTP/1.0); a fixed keep-alive overrode that.
    'x-accel-buffering': 'no',
    'x-request-id': x.requestId,
    'x-switchyard-decision-id': x.decisionId,
  };
  if (timing !== null) h['server-timing'] = timing;
  return decisionHeaders(x, h);
}

const KEEPALIVE_FRAME = ': keep-alive\n\n';

/** server.stream_keepalive_ms: how long a stream may go without a write; 0 turns keep-alive off. */
function keepAliveMs(x: Exchange): number {
  return x.rt.loaded.config.server?.stream_keepalive_ms ?? 15_000;
}

/**
 * Keeps a stream's connection busy while no content has come (server.stream_keepalive_ms):
 * the first tick sends the SSE headers, every tick an SSE comment, which every SSE client
 * skips. Dispatch may still fall back meanwhile. Returns the timer to clear once dispatch
 * answers, or null when keep-alive is off.
 */
function keepAlive(x: Exchange, reply: ReplyLike): NodeJS.Timeout | null {
  const ms = keepAliveMs(x);
  if (ms <= 0) return null;
  const res = reply.raw;
  const tick = (): void => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) {
      reply.hijack();
      // Who serves it is not known yet: x-switchyard-served-by is left out.
      res.writeHead(200, streamHeaders(x, null));
    }
    res.write(KEEPALIVE_FRAME);
    timer.refresh();
  };
  const timer = setTimeout(tick, ms);
  return timer;
}

/**
 * An error as a stream's last event, in the endpoint's dialect: for a stream whose
 * headers went out (keep-alive) before dispatch failed.
 */
function streamErrorFrame(x: Exchange, e: SwitchyardError): string {
  if (x.endpoint === 'messages') return `event: error\ndata: ${JSON.stringify(renderError('anthropic', e))}\n\n`;
  if (x.endpoint === 'responses') {
    const error = renderError('openai', e).error as { type: string; code: string; message: string; param: unknown };
    return `event: error\ndata: ${JSON.stringify({ type: 'error', ...errorEventData(error), sequence_number: 0 })}\n\n`;
  }
  return `data: ${JSON.stringify(renderError('openai', e))}\n\n`;
}

/** Characters the model generated in a whole answer. */
function answerChars(r: ChatResponse): number {
  let n = r.text.length;
  for (const c of r.toolCalls) n += c.name.length + c.arguments.length;
  if (r.thinking !== undefined) for (const t of r.thinking) if (t.type === 'thinking') n += t.thinking.length;
  return n;
}

/** Characters the model generated in a stream event: a stream cut before its usage is charged by them. */
function generatedChars(ev: StreamEvent): number {
  return ev.type === 'text' || ev.type === 'thinking' ? ev.text.length : ev.type === 'tool_call_delta' ? ev.arguments.length : 0;
}

/** Whether a Responses API body names a conversation (one that does not is never looked up). */
function namesConversation(body: unknown): boolean {
  const c = (body as { conversation?: unknown } | null)?.conversation;
  return c !== undefined && c !== null;
}

/**
 * Whether a kept answer gets Claude's signed thinking sealed on its reasoning items when
 * the client did not ask for it (`include: ["reasoning.encrypted_content"]`): a turn
 * built on the answer (`previous_response_id`, item references, a conversation) is then
 * sent it, as Anthropic wants a tool loop's thinking back, or the loop goes on without
 * thinking. With `response`, only when it has such thinking.
 */
function keptThinking(shown: RenderOptions, response?: ChatResponse): boolean {
  return shown.sealThinking !== true && shown.thinking !== false && shown.compaction !== true && shown.compactedInput === undefined
    && (response === undefined || response.thinking?.some(isSigned) === true);
}

/** Keeps an answer with `store` (when given), and as the connection's latest answer. */
function rememberAnd(connection: ConnectionItems, kept: Resolved, store: ((r: Record<string, unknown>) => Promise<void>) | undefined): (r: Record<string, unknown>) => Promise<void> {
  return (r) => {
    // Kept first: what it links to is the connection's latest until it is remembered.
    const stored = store?.(r) ?? Promise.resolve();
    connection.remember(r, kept, store !== undefined);
    return stored;
  };
}

/**
 * `POST /v1/responses/compact`: the conversation in `body`, with a `compaction_trigger`
 * last (see the Responses intake), whole; and the user's messages, which the compacted
 * conversation keeps, as output items (typed, with ids) as OpenAI gives them. Nothing to
 * compact is the client's error, before a model is called.
 */
function compactionRequest(body: unknown): { body: Record<string, unknown>; kept: unknown[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { body: body as Record<string, unknown>, kept: [] };
  const b = body as Record<string, unknown>;
  if (b.stream === true) throw new SwitchyardError('SY_ERR_BAD_REQUEST', '`stream`: a compaction is answered whole', { details: { param: 'stream' } });
  // As OpenAI's: what to compact comes in `input`, after the answer `previous_response_id` names.
  if (b.conversation !== undefined && b.conversation !== null) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', '`conversation`: a compaction takes no conversation; send its items in `input`, or name the answer to compact up to with `previous_response_id`', { details: { param: 'conversation' } });
  }
  // Anything else is left for the intake to name.
  if (b.input !== undefined && typeof b.input !== 'string' && !Array.isArray(b.input)) return { body: b, kept: [] };
  const input: unknown[] = typeof b.input === 'string' ? [{ role: 'user', content: b.input }] : b.input ?? [];
  if (input.length === 0) throw new SwitchyardError('SY_ERR_BAD_REQUEST', '`input`: nothing to compact; send the conversation in `input`, or name the answer to compact up to with `previous_response_id`', { details: { param: 'input' } });
  const kept = input.filter((i): i is Record<string, unknown> => {
    const item = i as { type?: unknown; role?: unknown } | null;
    return item !== null && typeof item === 'object' && item.role === 'user' && (item.type === undefined || item.type === 'message');
  }).map(keptItem);
  return { body: { ...b, input: [...input, { type: 'compaction_trigger' }], stream: false, store: false }, kept };
}

export async function handleChat(rt: Runtime, dialect: Dialect, endpoint: 'chat' | 'messages' | 'responses', req: RequestLike, reply: ReplyLike, marks: Marks, compact = false): Promise<void> {
  const x = new Exchange(rt, dialect, endpoint, req, marks.start);
  rt.metrics.inFlight.inc();
  rt.work.begin();
  try {
    const codec = endpoint === 'responses' ? RESPONSES_API : CHAT_DIALECTS[dialect];
    // A Responses API request may build on earlier answers: their items, or the whole conversation.
    const items = endpoint === 'responses' ? req.connection ?? rt.responseItems : null;
    // Or on a conversation (/v1/conversations), whose items come before its own input.
    const conversations = endpoint === 'responses' && !compact ? rt.conversations : null;
    const conversation = conversations !== null && items !== null && namesConversation(req.body) ? await conversations.resolve(scopeOf(rt.governance.authenticate(req.headers)), req.body, items) : null;
    // A compaction may name only the answer to compact up to: no input is none.
    const given = conversation === null ? req.body : conversation.body;
    const body = compact && isRecord(given) && given.input === undefined ? { ...given, input: [] } : given;
    const resolving = items === null ? null : resolveKept(items, body, () => scopeOf(rt.governance.authenticate(req.headers)));
    const kept = resolving instanceof Promise ? await resolving : resolving;
    const compaction = compact ? compactionRequest(kept === null ? body : kept.body) : null;
    const { request, clientOptions } = codec.parseChatRequest(compaction !== null ? compaction.body : kept === null ? body : kept.body);
    const routing = route(x, req, request, request.stream);
    const plan = routing instanceof Promise ? await routing : routing;
    const signal = new ClientSignal();
    const timing: DispatchTiming = { sentAt: 0, receivedAt: 0 };
    const pending = rt.dispatcher.chat({ ...request, model: plan.primary.model }, plan, { signal, headers: upstreamHeaders(req.headers, rt.forwardHeaders), timing, admission: x.admission });
    whileUpstream(x, reply, signal);
    const keepalive = request.stream ? keepAlive(x, reply) : null;
    let result;
    try {
      result = await pending;
    } finally {
      if (keepalive !== null) clearTimeout(keepalive);
    }
    x.served(result);
    const created = Math.floor(rt.clock() / 1000);
    // A Responses API answer is named after the decision, so its id finds its audit event.
    const shown: RenderOptions = { created, id: endpoint === 'responses' ? `resp_${x.decisionId.slice('dec_'.length)}` : undefined, echo: clientOptions.echo, thinking: clientOptions.thinking, freeform: clientOptions.freeform, builtin: clientOptions.builtin, namespaced: clientOptions.namespaced, deferred: clientOptions.deferred, summaries: clientOptions.summaries, sealThinking: clientOptions.sealThinking, compaction: clientOptions.compaction, compactedInput: compaction?.kept };
    // The answer is kept for later requests when the client created it with store (the default).
    const store = items !== null && rt.responseItems !== null && kept !== null && clientOptions.store === true ? (r: Record<string, unknown>) => {
      const link = req.connection?.link(kept) ?? kept;
      return keepAnswer(items, scopeOf(x.principal), r, link.own, link.prev, link.chain);
    } : undefined;
    if (store !== undefined) shown.echo = { ...shown.echo, store: true, previous_response_id: kept!.prev };
    else if (kept !== null && kept.prev !== null) shown.echo = { ...shown.echo, previous_response_id: kept.prev };
    // A WebSocket's latest answer is remembered whatever store says (OpenAI's connection-local cache).
    const remembered = req.connection === undefined || kept === null ? store : rememberAnd(req.connection, kept, store);
    // A conversation gets the request's own input and the answer's output.
    // What an answer keeps is kept before the client has the answer (whole, or the
    // stream's last event), so that the next request, on any gateway process, finds it.
    // A failure is logged, never thrown: the answer, its charge and its audit event stand.
    // `r` is the answer as the client gets it, `k` as it is kept: with Claude's signed
    // thinking sealed on it, for the turns built on it (see keptThinking).
    let keep: ((r: Record<string, unknown>, k: Record<string, unknown>) => Promise<void>) | undefined = remembered && ((_r, k) => remembered(k));
    if (conversation !== null && conversations !== null) {
      shown.echo = { ...shown.echo, conversation: { id: conversation.id } };
      keep = async (r, k) => {
        const added = conversations.append(scopeOf(x.principal), conversation.id, conversation.own, Array.isArray(k.output) ? k.output : []).then(() => true, (err: unknown) => {
          const at = { decision_id: x.decisionId, conversation: conversation.id };
          // Deleted (or expired) while it was being answered: there is nothing to add to.
          if (err instanceof SwitchyardError && err.code === 'SY_ERR_NOT_FOUND') rt.logger.info(at, 'the conversation was gone by the time its answer came: the answer is not added');
          else if (err instanceof SwitchyardError && err.status < 500) rt.logger.warn({ ...at, reason: err.message }, 'an answer could not be added to its conversation: the conversation is left as it was');
          else rt.logger.error({ err, ...at }, 'an answer could not be added to its conversation');
          return false;
        });
        const [, ok] = await Promise.all([remembered?.(k), added]);
        // The answer says it is not part of the conversation: its `conversation` is null.
        if (!ok) r.conversation = null;
      };
    }

    if (result.kind === 'response') {
      x.charge(result.response.usage, answerChars(result.response));
      // Same dialect on both sides: the upstream's bytes, already parsed and validated
      // (unless the client's custom tools went up as functions, or a call's id carries a
      // signature the client must send back, see callSignatures).
      const up = result.upstream;
      const same = up !== null && up.dialect === dialect && endpoint !== 'responses' && shown.freeform === undefined && !anySigned(result.response.toolCalls);
      let answer: string;
      if (same) answer = up.text;
      else {
        const rendered = codec.renderChatResponse(result.response, shown);
        if (keep !== undefined) await keep(rendered, keptThinking(shown, result.response) ? codec.renderChatResponse(result.response, { ...shown, sealThinking: true }) : rendered);
        answer = JSON.stringify(rendered);
      }
      await sendWhole(x, reply, answer, marks, timing);
      return;
    }

    // Streaming. Writing the first frame is the commit point: from here on a failure
    // travels in-band as an error event, never as a retry or a clean terminator.
    const res = reply.raw;
    reply.hijack();
    const encoder = codec.createStreamEncoder({ includeUsage: clientOptions.includeUsage, created, id: shown.id, echo: shown.echo, thinking: shown.thinking, freeform: shown.freeform, builtin: shown.builtin, namespaced: shown.namespaced, deferred: shown.deferred, summaries: shown.summaries, sealThinking: shown.sealThinking, keepThinking: keep !== undefined && keptThinking(shown), compaction: shown.compaction, onResponse: keep });
    let first = '';
    let outChars = 0;
    for (const ev of result.first) {
      first += encoder.push(ev);
      outChars += generatedChars(ev);
    }
    const held = encoder.held?.();
    if (held) first += await held;
    if (!res.headersSent) {
      res.writeHead(200, streamHeaders(x, serverTiming(ownMs(marks, timing, performance.now()))));
    }
    res.write(first);
    x.committed = true;
    const firstWritten = performance.now();
    rt.metrics.processingSeconds.observe({ endpoint }, ownMs(marks, timing, firstWritten) / 1000);
    x.ttftMs = firstWritten - marks.start;
    rt.metrics.ttfbSeconds.observe({ endpoint }, x.ttftMs / 1000);
    // Events the client's dialect does not show (reasoning an Anthropic client did not ask
    // for) keep the connection busy as keep-alive would, so a long hidden stretch is not idle.
    // The stretch is timed from the first write or the first hidden event after a write.
    const idleMs = keepAliveMs(x);
    let hiddenSince = firstWritten;
    for await (const ev of result.rest) {
      outChars += generatedChars(ev);
      let frame = encoder.push(ev);
      // The last event, once what the answer keeps is kept.
      const last = encoder.held?.();
      if (last) frame += await last;
      if (frame) {
        hiddenSince = 0;
        if (!res.write(frame) && !res.destroyed) await drained(x, res);
      } else if (idleMs > 0) {
        const now = performance.now();
        if (hiddenSince === 0) hiddenSince = now;
        else if (now - hiddenSince >= idleMs) {
          hiddenSince = now;
          res.write(KEEPALIVE_FRAME);
        }
      }
      if (res.destroyed) break;
    }
    if (!res.destroyed) res.end();
    const outcome = await result.done;
    // A stream cut before its usage event was still (partly) served: charge the input the
    // provider stated at its start and an estimate of the output rather than nothing, so
    // an interrupted stream cannot be used to dodge a budget.
    x.charge(outcome.usage, outChars, outcome.inputUsage);
    x.streamError = outcome.error;
    x.clientAborted ||= outcome.clientAborted;
    await x.settle();
    x.countUsage();
    x.countAttempts();
    rt.metrics.requests.inc({ endpoint, status: '200', via: x.decision!.via });
    x.audit(200, outcome.error ? 'SY_ERR_STREAM_INTERRUPTED' : null);
  } catch (err) {
    fail(x, reply, err);
  } finally {
    rt.metrics.inFlight.dec();
    rt.work.end();
    rt.metrics.requestSeconds.observe({ endpoint }, (performance.now() - marks.start) / 1000);
  }
}

/**
 * A request answered with one whole body built from what dispatch returns: routed,
 * dispatched along its plan and sent like a chat answer, with the same error handling.
 */
async function serveWhole<R extends ChatRequest | EmbeddingsRequest, T>(
  x: Exchange, req: RequestLike, reply: ReplyLike, marks: Marks,
  parse: () => R,
  dispatch: (request: R, plan: Plan, opts: DispatchOptions) => Promise<T>,
  answer: (result: T) => string,
): Promise<void> {
  const rt = x.rt;
  rt.metrics.inFlight.inc();
  rt.work.begin();
  try {
    const request = parse();
    const routing = route(x, req, request, false);
    const plan = routing instanceof Promise ? await routing : routing;
    const signal = new ClientSignal();
    const timing: DispatchTiming = { sentAt: 0, receivedAt: 0 };
    const pending = dispatch({ ...request, model: plan.primary.model }, plan, { signal, headers: upstreamHeaders(req.headers, rt.forwardHeaders), timing, admission: x.admission });
    whileUpstream(x, reply, signal);
    const body = answer(await pending);
    await sendWhole(x, reply, body, marks, timing);
  } catch (err) {
    fail(x, reply, err);
  } finally {
    rt.metrics.inFlight.dec();
    rt.work.end();
    rt.metrics.requestSeconds.observe({ endpoint: x.endpoint }, (performance.now() - marks.start) / 1000);
  }
}

export function handleEmbeddings(rt: Runtime, req: RequestLike, reply: ReplyLike, marks: Marks): Promise<void> {
  const x = new Exchange(rt, 'openai', 'embeddings', req, marks.start);
  let encodingFormat: EmbeddingsClientOptions['encodingFormat'];
  return serveWhole(x, req, reply, marks, () => {
    const { request, clientOptions } = parseOpenAIEmbeddingsRequest(req.body);
    encodingFormat = clientOptions.encodingFormat;
    return request;
  }, (request, plan, opts) => rt.dispatcher.embeddings(request, plan, opts), (result) => {
    x.served(result);
    x.charge(result.response.usage, 0);
    // A provider that counts nothing (Gemini without usageMetadata) is charged the
    // estimate: the client is told the same figure.
    const response = x.usage === result.response.usage ? result.response : { ...result.response, usage: x.usage! };
    return JSON.stringify(renderOpenAIEmbeddingsResponse(response, { encodingFormat }));
  });
}

/**
 * Anthropic's `POST /v1/messages/count_tokens` (Claude Code calls it to size its context).
 * Routed like any request, so rules may test `endpoint == "count_tokens"`; counted by the
 * chosen provider when it has a counting API, else answered with the gateway's estimate
 * (marked by `x-switchyard-token-count: estimate`). Counting is free: nothing is reserved
 * or charged, and the audit event records no tokens. The model allowlist still applies.
 */
export function handleCountTokens(rt: Runtime, req: RequestLike, reply: ReplyLike, marks: Marks): Promise<void> {
  const x = new Exchange(rt, 'anthropic', 'count_tokens', req, marks.start);
  return serveWhole(x, req, reply, marks, () => parseAnthropicCountTokensRequest(req.body), (request, plan, opts) => rt.dispatcher.countTokens(request, plan, opts), (result) => {
    if (result === null) {
      reply.header('x-switchyard-token-count', 'estimate');
      return `{"input_tokens":${x.inputEstimate}}`;
    }
    x.served(result);
    return `{"input_tokens":${result.response.inputTokens}}`;
  });
}
