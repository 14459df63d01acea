/**
 * The attempt loop: the one place retries happen. It walks a decision's plan — the
 * primary target with its retries, then each fallback — rotating keys on 429/401,
 * backing off with full jitter, honouring Retry-After, holding three timers (attempt,
 * idle, total), skipping cooled-down targets, full queues, targets whose provider cannot
 * take the request as it is, and fallbacks whose provider's own limits refuse the
 * request's admission, spending the retry budget, and recording every attempt.
 * Provider adapters only translate; nothing here knows a wire format.
 */
import { performance } from 'node:perf_hooks';
import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, TokenCount } from '../canonical.js';
import { SwitchyardError, type FallbackReason } from '../errors.js';
import { getAdapter } from '../providers/index.js';
import { withOutputCap } from '../providers/max-output.js';
import { withReasoningFor } from '../providers/reasoning.js';
import { restoreToolNames, restoringToolNames, toolNamesFor, withToolNames, type ToolNames } from '../providers/tool-names.js';
import type { AttemptTarget, HttpRequestSpec, ProviderAdapter } from '../providers/types.js';
import { attemptJson, attemptStream, type AttemptEnv, type AttemptSpec, type Committed, type Failure, type Parsed } from './attempt.js';
import { retryWaitMs } from './backoff.js';
import { AttemptControl } from './control.js';
import { DispatchError } from './errors.js';
import { Health, type Admission } from './health.js';
import { RetryBudget } from './retry-budget.js';
import { Run, withClientHeaders } from './run.js';
import { Runtimes, type ProviderRuntime } from './runtime.js';
import { createTransport, toWire, transportSettings, type Transport, type WireRequest } from './transport.js';
import type {
  Attempt, ChatResult, Clock, DispatchOptions, DispatcherConfig, KeyRef, Plan, PlanTarget, ServedTarget, Sleep, StreamOutcome,
} from './types.js';

export interface DispatcherOptions {
  config: DispatcherConfig;
  /** Monotonic milliseconds; default performance.now. */
  clock?: Clock;
  /** Draws in [0, 1) for backoff jitter; default Math.random. */
  rng?: () => number;
  /** Backoff and Retry-After waits; default a real timer. */
  sleep?: Sleep;
  /** Default: undici pools per origin, and the in-process mock for `mock://`. */
  transport?: Transport;
  /** Default: getAdapter from src/providers. */
  adapters?: (type: string) => ProviderAdapter;
  /** Eligible keys of a provider for a model, in rotation order. Default: eligibleKeys from src/balance. */
  keysFor?: (providerId: string, model: string) => readonly KeyRef[];
  /**
   * Hides the config's secrets in text a provider sent back (its error messages reach the
   * client, the log and the audit event, and some servers quote the key they were given).
   * Default: none hidden; the gateway's runtime passes its redactor of the config's secrets.
   */
  redact?: (text: string) => string;
}

/** A whole answer read into `T`, for the endpoints that are never streamed. */
export interface WholeResult<T> {
  kind: 'response';
  response: T;
  attempts: Attempt[];
  served: ServedTarget;
}

export type EmbeddingsResult = WholeResult<EmbeddingsResponse>;
export type TokenCountResult = WholeResult<TokenCount>;

export interface Dispatcher {
  /**
   * Serves a chat request along the plan. Resolves with the response, or with a stream
   * that has passed its commit point; rejects with a DispatchError (code, status,
   * retryAfter and every attempt) when no target served it.
   *
   * @example
   * const r = await dispatcher.chat(req, { primary, fallbacks, fallbackOn }, { signal });
   * if (r.kind === 'stream') { write(r.first); for await (const ev of r.rest) write([ev]); }
   */
  chat(req: ChatRequest, plan: Plan, opts: DispatchOptions): Promise<ChatResult>;
  embeddings(req: EmbeddingsRequest, plan: Plan, opts: DispatchOptions): Promise<EmbeddingsResult>;
  /**
   * Counts a chat request's input tokens with the provider's own tokenizer, along the plan
   * (retries and fallbacks as for chat). Only targets whose provider can count are tried;
   * resolves null when the primary cannot, so the caller answers an estimate.
   */
  countTokens(req: ChatRequest, plan: Plan, opts: DispatchOptions): Promise<TokenCountResult | null>;
  /** The model ids the target's provider lists (`GET …/models`); null when it lists none. */
  listModels(target: PlanTarget, opts: DispatchOptions): Promise<string[] | null>;
  /** Circuit-breaker state; `health.unavailable()` goes into the router's DecideOptions.unavailable. */
  readonly health: Pick<Health, 'unavailable' | 'isOut'>;
  /** Closes the upstream connection pools. */
  close(): Promise<void>;
}

/** What is sent and how a whole answer is read, per endpoint. */
interface Mode<R, T> {
  stream: boolean;
  /** A non-streamed chat answer: it comes whole once the model is done, so it has dispatch.timeouts.response_ms. */
  whole?: boolean;
  /** Whether a whole answer may go to the client as the upstream sent it (chat, not embeddings, whose encoding the client picks). */
  passThrough: boolean;
  build(adapter: ProviderAdapter, req: R, target: AttemptTarget): HttpRequestSpec;
  parse(adapter: ProviderAdapter, body: unknown, target: AttemptTarget): T;
  /**
   * A chat request (R is ChatRequest): its tool names go to each provider as it takes them,
   * and an answer's (`restore`, when it has calls) come back as the client sent them.
   */
  names?: true;
  restore?(value: T, names: ToolNames): T;
  /**
   * The requests the target's provider takes when `req` is too large for one call to it
   * (embeddings over its inputs per call); null when one call takes it, as is the rule.
   */
  split?(rt: ProviderRuntime, req: R): Part<R>[] | null;
  /** One answer from the parts' answers, in the parts' order. */
  join?(parts: T[]): T;
  /** How many inputs a part's answer answers (each part must answer all of its own). */
  answered?(part: T): number;
  /** How many inputs a request sends, which its answer must answer (see `answered`). */
  inputs?(req: R): number;
}

/**
 * An answer for more or fewer inputs than were sent is a failed call: joined or handed to
 * the client, its vectors would sit on the wrong inputs.
 */
function countChecked<R, T>(mode: Mode<R, T>, out: Parsed<T>, inputs: number): Parsed<T> | Failure {
  const answered = mode.answered?.(out.value);
  if (answered === undefined || answered === inputs) return out;
  return { ok: false, kind: 'server_error', status: out.status, message: `upstream answered ${answered} embeddings for ${inputs} inputs` };
}

const CHAT: Mode<ChatRequest, ChatResponse> = {
  stream: false,
  whole: true,
  passThrough: true,
  build: (a, req, t) => a.buildChatRequest(withReasoningFor(withOutputCap(req, t), t), t),
  parse: (a, body, t) => a.parseChatResponse(body, t),
  names: true,
  restore: restoreToolNames,
};

const CHAT_STREAM: Mode<ChatRequest, ChatResponse> = { ...CHAT, stream: true, whole: false, passThrough: false };

const EMBEDDINGS: Mode<EmbeddingsRequest, EmbeddingsResponse> = {
  stream: false,
  passThrough: false,
  build(a, req, t) {
    if (a.buildEmbeddingsRequest === undefined) throw new SwitchyardError('SY_ERR_BAD_REQUEST', `provider ${t.provider.id} (type ${a.type}) has no embeddings API`);
    return a.buildEmbeddingsRequest(req, t);
  },
  parse: (a, body, t) => a.parseEmbeddingsResponse!(body, t),
  split(rt, req) {
    const own = rt.settings.options.max_embedding_inputs;
    const per = typeof own === 'number' ? own : rt.adapter.embeddingInputsPerCall;
    const n = req.input.length;
    if (per === undefined || n <= per) return null;
    const parts: Part<EmbeddingsRequest>[] = [];
    for (let i = 0; i < n; i += per) parts.push({ req: { ...req, input: req.input.slice(i, i + per) }, first: i, inputs: Math.min(per, n - i) });
    return parts;
  },
  answered: (part) => part.data.length,
  inputs: (req) => req.input.length,
  join(parts) {
    const data: number[][] = [];
    let inputTokens = 0;
    for (const p of parts) {
      for (const v of p.data) data.push(v);
      inputTokens += p.usage.inputTokens;
    }
    return { model: parts[0].model, data, usage: { inputTokens, outputTokens: 0 } };
  },
};

/** Calls one request's parts make at once, at most (each in a slot of its provider's max_in_flight, when it has one). */
const PARTS_IN_FLIGHT = 4;

/** One call's share of a request too large for one call. */
interface Part<R> {
  req: R;
  /** Index in the request's input of the part's first input. */
  first: number;
  inputs: number;
}

/** A request going to one target in parts: the parts, and what has come back. */
interface Parts<R, T> {
  list: Part<R>[];
  /** Each part's answer, once it came. */
  done: (T | undefined)[];
  /** The attempt index of each part's last failed call (its retry's retry_of); -1 before. */
  prev: number[];
}

/** A round of a request's parts: each part not yet answered is called, and the round succeeds when all are answered. */
type Round<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** The failure the round is judged by: the client's leaving, else the request's fault, else the first failed part's. */
      failure: Failure;
      rec: Attempt;
      recIndex: number;
      /** The round's other failed calls, with their failures' classes. */
      others: Moved[];
    };

type Moved = { rec: Attempt; kind: FallbackReason };

/** The failure the loop judges a round by ranks highest: the client's leaving, then the request's fault, then the rest. */
const rank = (kind: Failure['kind']): number => (kind === 'client_abort' ? 2 : kind === 'client_error' ? 1 : 0);

/** Records why the loop moved on after a failed call, and after the other failed calls of its round (parts). */
function moved(rec: Attempt, others: Moved[] | null, kind: FallbackReason): void {
  rec.fallback_reason = kind;
  if (others !== null) for (const o of others) o.rec.fallback_reason = o.kind;
}

const COUNT_TOKENS: Mode<ChatRequest, TokenCount> = {
  stream: false,
  passThrough: false,
  build: (a, req, t) => a.buildCountTokensRequest!(withReasoningFor(req, t), t),
  parse: (a, body, t) => a.parseCountTokensResponse!(body, t),
  names: true,
};

const MODELS: Mode<null, string[]> = {
  stream: false,
  passThrough: false,
  build: (a, _req, t) => a.buildModelsRequest!(t),
  parse: (a, body, t) => a.parseModelsResponse!(body, t),
};

type Result = ChatResult | WholeResult<unknown>;

/** The loop's verdict on a target that did not serve. */
const NEXT = 1;
const STOP = 2;
type Verdict = typeof NEXT | typeof STOP;

interface Settings {
  maxAttempts: number;
  retriesPerTarget: number;
  baseMs: number;
  capMs: number;
  totalMs: number;
  /** dispatch.timeouts.response_ms: how long a non-streamed chat call has for its whole answer. */
  responseMs: number;
}

/** A timer that ends early (resolving) when `signal` aborts. */
const realSleep: Sleep = (ms, signal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve();
  const done = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', done);
    resolve();
  };
  const timer = setTimeout(done, ms);
  signal?.addEventListener('abort', done, { once: true });
});

/**
 * @example
 * const dispatcher = createDispatcher({ config: { dispatch: cfg.dispatch, upstream: cfg.upstream, providers: loaded.providers } });
 * const decision = router.decide(ctx, { unavailable: dispatcher.health.unavailable() });
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return new AttemptLoop(options);
}

class AttemptLoop implements Dispatcher {
  readonly health: Health;
  private readonly clock: Clock;
  private readonly rng: () => number;
  private readonly sleep: Sleep;
  private readonly transport: Transport;
  private readonly budget: RetryBudget;
  private readonly runtimes: Runtimes;
  private readonly env: AttemptEnv;
  private readonly s: Settings;

  constructor(o: DispatcherOptions) {
    const d = o.config.dispatch ?? {};
    this.clock = o.clock ?? performance;
    this.rng = o.rng ?? Math.random;
    this.sleep = o.sleep ?? realSleep;
    this.transport = o.transport ?? createTransport(o.config.upstream, { mock: { rng: this.rng }, proxy: o.config.proxy, extraCa: o.config.extraCa });
    this.s = {
      maxAttempts: d.max_attempts ?? 4,
      retriesPerTarget: d.retries_per_target ?? 1,
      baseMs: d.backoff?.base_ms ?? 100,
      capMs: d.backoff?.cap_ms ?? 2_000,
      totalMs: d.timeouts?.total_ms ?? 120_000,
      responseMs: d.timeouts?.response_ms ?? 600_000,
    };
    this.env = {
      transport: this.transport,
      clock: this.clock,
      attemptMs: d.timeouts?.attempt_ms ?? 30_000,
      idleMs: d.timeouts?.idle_ms ?? 30_000,
      totalMs: this.s.totalMs,
      maxResponseBytes: transportSettings(o.config.upstream).maxResponseBytes,
      redact: o.redact ?? ((text) => text),
    };
    this.budget = new RetryBudget(d.retry_budget?.ratio ?? 0.2, d.retry_budget?.min_per_second ?? 5, this.clock);
    const providers = o.config.providers;
    let enabled = 0;
    for (const p of providers.values()) if (p.enabled) enabled++;
    this.health = new Health(
      {
        consecutiveFailures: d.cooldown?.consecutive_failures ?? 5,
        baseMs: d.cooldown?.base_ms ?? 10_000,
        maxMs: d.cooldown?.max_ms ?? 300_000,
        maxEjectedPercent: d.cooldown?.max_ejected_percent ?? 50,
      },
      this.clock,
      (pool) => (pool === '' ? enabled : (providers.get(pool)?.keys.filter((k) => k.enabled).length ?? 0)),
    );
    this.runtimes = new Runtimes(o.adapters ?? getAdapter, o.keysFor);
  }

  async chat(req: ChatRequest, plan: Plan, opts: DispatchOptions): Promise<ChatResult> {
    return (await this.run(plan, opts, req.stream ? CHAT_STREAM : CHAT, req)) as ChatResult;
  }

  async embeddings(req: EmbeddingsRequest, plan: Plan, opts: DispatchOptions): Promise<EmbeddingsResult> {
    return (await this.run(plan, opts, EMBEDDINGS, req)) as EmbeddingsResult;
  }

  async countTokens(req: ChatRequest, plan: Plan, opts: DispatchOptions): Promise<TokenCountResult | null> {
    const counts = (t: PlanTarget): boolean => {
      const rt = this.runtimes.get(t.provider);
      return rt.adapter.buildCountTokensRequest !== undefined && (rt.adapter.countsTokens?.(rt.settings) ?? true);
    };
    if (!counts(plan.primary)) return null;
    return (await this.run({ ...plan, fallbacks: plan.fallbacks.filter(counts) }, opts, COUNT_TOKENS, req)) as TokenCountResult;
  }

  async listModels(target: PlanTarget, opts: DispatchOptions): Promise<string[] | null> {
    if (this.runtimes.get(target.provider).adapter.buildModelsRequest === undefined) return null;
    const r = (await this.run({ primary: target, fallbacks: [], fallbackOn: [] }, opts, MODELS, null)) as WholeResult<string[]>;
    return r.response;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private async run<R, T>(plan: Plan, opts: DispatchOptions, mode: Mode<R, T>, req: R): Promise<Result> {
    const now = this.clock.now();
    const run = new Run(now, now + this.s.totalMs, opts);
    run.admitted = plan.primary.provider.id;
    this.budget.recordRequest();
    let handedOver = false;
    try {
      if (opts.signal.aborted) throw run.abortError();
      const n = plan.fallbacks.length;
      for (let i = 0; i <= n; i++) {
        const target = i === 0 ? plan.primary : plan.fallbacks[i - 1];
        const r = await this.target(run, plan, target, i === n, mode, req);
        if (r === NEXT) continue;
        if (r === STOP) break;
        handedOver = r.kind === 'stream';
        return r;
      }
      throw run.finalError((id) => this.health.retryInMs(id));
    } finally {
      if (!handedOver) run.dispose();
    }
  }

  /** Tries one target of the plan, with its retries and key rotation. */
  private async target<R, T>(run: Run, plan: Plan, target: PlanTarget, last: boolean, mode: Mode<R, T>, req: R): Promise<Verdict | Result> {
    const rt = this.runtimes.get(target.provider);
    const keys = this.runtimes.keys(rt, target.provider, target.model, target.key);
    let ki = keys.length === 0 ? -1 : 0;
    /** Keys that 429'd or were refused in this request. */
    let tried: Uint8Array | null = null;
    let retries = 0;
    let prev = -1;
    // A request too large for one call to this target goes in parts; only the parts not yet
    // answered are sent again on a retry, and none of them serves a fallback target.
    const split = mode.split === undefined ? null : mode.split(rt, req);
    const parts: Parts<R, T> | null = split === null ? null : { list: split, done: new Array<T | undefined>(split.length).fill(undefined), prev: new Array<number>(split.length).fill(-1) };
    for (;;) {
      if (run.calls >= this.s.maxAttempts) return STOP;
      if (this.clock.now() >= run.deadlineAt) {
        if (run.last?.kind !== 'timeout') run.fail({ ok: false, kind: 'timeout', status: 0, message: 'the total deadline passed before any target answered' }, '');
        return STOP;
      }

      // Circuit breaker: the provider, then a key of it that is not cooling down.
      const pAdm = this.health.admit(rt.id);
      if (pAdm === 'cooldown' && plan.panic !== true) {
        run.skip(target, target.key, 'cooldown', `provider ${rt.id} is cooling down after repeated failures`);
        return last ? STOP : NEXT;
      }
      let key: KeyRef | null = null;
      let keyId: string | null = null;
      let kAdm: Admission = 'ok';
      if (ki >= 0) {
        for (let j = 0; j < keys.length && keyId === null; j++) {
          const idx = (ki + j) % keys.length;
          if (j > 0 && tried !== null && tried[idx] === 1) continue;
          const id = `${rt.id}#${keys[idx].name}`;
          kAdm = this.health.admit(id);
          if (kAdm === 'cooldown') continue;
          ki = idx;
          keyId = id;
        }
        if (keyId === null && plan.panic === true) keyId = `${rt.id}#${keys[ki].name}`;
        if (keyId === null) {
          if (pAdm === 'probe') this.health.release(rt.id);
          run.skip(target, keys[ki].name, 'cooldown', `every key of ${rt.id} for ${target.model} is cooling down`);
          return last ? STOP : NEXT;
        }
        key = keys[ki];
      }
      const keyName = key === null ? null : key.name;
      const at: AttemptTarget = { provider: rt.settings, model: target.model, keyName: keyName ?? '', keyValue: key === null ? '' : key.value };

      // The request in its provider's wire format comes before anything is taken for the
      // call. A provider that cannot take the request as it is (a block only Anthropic has,
      // more stop sequences than its API takes) passes the target over, as a cooldown does:
      // the request is valid, and the plan's next target may serve it.
      const todo = parts === null ? null : pending(parts);
      let specs: WireRequest[];
      let names: ToolNames | null = null;
      try {
        names = mode.names === true ? toolNamesFor(req as ChatRequest, rt.adapter.toolNames) : null;
        const sent = names === null ? req : (withToolNames(req as ChatRequest, names) as R);
        specs = todo === null ? [this.build(run, mode, rt, sent, at)] : todo.map((i) => this.build(run, mode, rt, parts!.list[i].req, at));
      } catch (err) {
        this.release(rt.id, pAdm, keyId, kAdm);
        if (!(err instanceof SwitchyardError) || err.code !== 'SY_ERR_BAD_REQUEST') throw buildError(run, err);
        run.unsupported(target, keyName, err);
        return last ? STOP : NEXT;
      }

      // Provider-isolated concurrency.
      const limit = rt.limit;
      if (limit !== null && !limit.tryAcquire()) {
        const queued = limit.mayWait() ? await limit.wait(run.opts.signal, run.deadlineAt - this.clock.now()) : null;
        if (queued !== 'ok') {
          this.release(rt.id, pAdm, keyId, kAdm);
          if (queued === 'aborted') throw run.abortError();
          if (queued === 'timeout') {
            run.skip(target, keyName, 'overloaded', `waited for a free slot of ${rt.id} until the total deadline`);
            return STOP;
          }
          if (limit.policy === 'drop') {
            run.refuse(target, keyName, `provider ${rt.id} is at max_in_flight and its queue is full (queue_policy drop)`);
            throw new DispatchError('SY_ERR_RATE_LIMITED', `provider ${rt.id} is at its concurrency limit and its queue is full; retry later`, run.attempts, { retryAfter: 1 });
          }
          run.skip(target, keyName, 'overloaded', `provider ${rt.id} is at max_in_flight and its queue is full`);
          return last ? STOP : NEXT;
        }
      }

      // A target on a provider the request's admission does not cover (a fallback): that
      // provider's own budgets, rate limits and concurrency slot are taken first, as they
      // were for the primary, and a provider that cannot take the request is passed over.
      if (rt.id !== run.admitted && run.opts.admission != null) {
        const refused = await this.moveAdmission(run, target, rt.id);
        if (refused !== null) {
          limit?.release();
          this.release(rt.id, pAdm, keyId, kAdm);
          if (refused === 'aborted') throw run.abortError();
          if (refused instanceof DispatchError) throw refused;
          run.refused(target, keyName, refused);
          return last ? STOP : NEXT;
        }
      }

      // A call to a provider this request has already called (a retry, another key, a
      // fallback to another of its models) spends the gateway-wide retry budget, which
      // keeps an outage from multiplying the load on that provider. A fallback's first
      // call to another provider adds none to the one failing, and spends nothing.
      if (run.called.includes(rt.id)) {
        if (!this.budget.tryAcquire()) {
          limit?.release();
          this.release(rt.id, pAdm, keyId, kAdm);
          run.budgetDenied = true;
          return last ? STOP : NEXT;
        }
      } else run.called.push(rt.id);
      run.calls++;

      let rec: Attempt;
      let recIndex: number;
      let others: Moved[] | null = null;
      let out: Parsed<T> | Committed | Failure;
      if (parts !== null) {
        const round = await this.round(run, target, keyName, rt, at, mode, parts, todo!, specs);
        if (round === null) {
          limit?.release();
          this.release(rt.id, pAdm, keyId, kAdm);
          throw run.abortError();
        }
        if (round.ok) {
          limit?.release();
          this.succeeded(rt.id, pAdm, keyId, kAdm);
          return { kind: 'response', response: round.value as ChatResponse, upstream: null, attempts: run.attempts, served: { provider: rt.id, model: target.model, key: keyName } };
        }
        out = round.failure;
        rec = round.rec;
        recIndex = round.recIndex;
        others = round.others;
      } else {
        const spec = specs[0];
        const control = new AttemptControl();
        run.current = control;
        const t0 = this.clock.now();
        const a: AttemptSpec = { spec, provider: rt.settings, adapter: rt.adapter, control, deadlineAt: run.deadlineAt, timing: run.opts.timing, upstreamId: undefined };
        if (mode.whole === true) a.responseMs = this.s.responseMs;
        if (mode.stream) {
          const decoder = rt.adapter.createStreamDecoder(at);
          out = await attemptStream(this.env, a, names === null ? decoder : restoringToolNames(decoder, names));
        } else {
          const restore = names === null ? undefined : mode.restore;
          const parsed = await attemptJson(this.env, a, (body) => (restore === undefined ? mode.parse(rt.adapter, body, at) : restore(mode.parse(rt.adapter, body, at), names!)));
          out = parsed.ok && mode.inputs !== undefined ? countChecked(mode, parsed, mode.inputs(req)) : parsed;
        }
        run.current = null;
        if (!out.ok) out.message = this.env.redact(out.message);
        rec = run.call(target, keyName, out.status, Math.round(this.clock.now() - t0), out.ok ? null : out.message, prev);
        if (a.upstreamId !== undefined) rec.upstream_request_id = a.upstreamId;
        recIndex = run.attempts.length - 1;
      }

      if (out.ok) {
        this.succeeded(rt.id, pAdm, keyId, kAdm);
        const served: ServedTarget = { provider: rt.id, model: target.model, key: keyName };
        if ('stream' in out) return this.handOver(run, out, rec, served, rt, pAdm !== 'cooldown');
        limit?.release();
        const dialect = rt.adapter.chatDialect;
        // An answer whose tool names were rewritten goes to the client translated, under its own.
        const upstream = mode.passThrough && names === null && dialect !== undefined && rt.adapter.passesAnswer?.(at) !== false ? { dialect, text: out.text } : null;
        return { kind: 'response', response: out.value as ChatResponse, upstream, attempts: run.attempts, served };
      }
      limit?.release();
      const kind = out.kind;
      if (kind === 'client_abort') {
        this.release(rt.id, pAdm, keyId, kAdm);
        throw run.abortError();
      }
      if (kind === 'client_error') {
        // The provider is up and the request is at fault: never retried, never falls back.
        this.succeeded(rt.id, pAdm, keyId, kAdm);
        throw new DispatchError('SY_ERR_UPSTREAM_CLIENT_ERROR', out.message, run.attempts, { status: out.status >= 400 && out.status < 500 ? out.status : 400, failure: 'client_error' });
      }
      const keyFault = kind === 'rate_limited' || kind === 'auth_error';
      if (out.local === true) {
        // The gateway could not make the call: neither the key nor the provider failed.
        this.release(rt.id, pAdm, keyId, kAdm);
      } else if (keyFault && keyId !== null) {
        // The key's own limit or credential: the provider itself answered.
        if (kAdm !== 'cooldown') this.health.failure(keyId);
        if (pAdm === 'probe') this.health.success(rt.id);
      } else {
        if (pAdm !== 'cooldown') this.health.failure(rt.id);
        if (kAdm === 'probe' && keyId !== null) this.health.release(keyId);
      }
      run.fail(out, `${rt.id}/${target.model}: `);

      // Another key of the same provider comes before anything else.
      if (keyFault && keys.length > 1) {
        tried ??= new Uint8Array(keys.length);
        tried[ki] = 1;
        const next = tried.indexOf(0);
        if (next >= 0) {
          moved(rec, others, kind);
          prev = recIndex;
          ki = next;
          continue;
        }
      }

      const canFallBack = !last && plan.fallbackOn.includes(kind);
      if (kind !== 'auth_error' && retries < this.s.retriesPerTarget && !this.health.isOut(rt.id) && (keyId === null || !this.health.isOut(keyId))) {
        const wait = retryWaitMs(retries, out.retryAfterMs, this.s.baseMs, this.s.capMs, this.rng);
        // Waiting longer than a backoff step is only worth it when there is nowhere else to go.
        if (wait < run.deadlineAt - this.clock.now() && (!canFallBack || wait <= this.s.capMs)) {
          moved(rec, others, kind);
          retries++;
          prev = recIndex;
          if (wait > 0) await this.sleep(wait, run.opts.signal);
          if (run.opts.signal.aborted) throw run.abortError();
          continue;
        }
      }
      if (canFallBack) {
        moved(rec, others, kind);
        return NEXT;
      }
      return STOP;
    }
  }

  /**
   * One round of a request's parts on a target and key: each part not yet answered is
   * called, a few at once, and recorded as an attempt of its own (in part order). Once a
   * part fails no more are started (those in flight finish and keep their answers), so the
   * loop's retry sends only what is missing. Null when the client left before any failed.
   * `todo`: the parts not yet answered (`pending`), and `specs` their requests.
   */
  private async round<R, T>(run: Run, target: PlanTarget, keyName: string | null, rt: ProviderRuntime, at: AttemptTarget, mode: Mode<R, T>, p: Parts<R, T>, todo: number[], specs: WireRequest[]): Promise<Round<T> | null> {
    // The request holds one slot of its provider's max_in_flight; its other parts run
    // alongside only in slots free now, and otherwise one after another.
    const limit = rt.limit;
    const want = Math.min(PARTS_IN_FLIGHT, todo.length) - 1;
    let extra = 0;
    while (extra < want && (limit === null || limit.tryAcquire())) extra++;
    const results: ({ out: Parsed<T> | Failure; ms: number; upstreamId: string | undefined } | undefined)[] = new Array(todo.length);
    const controls: AttemptControl[] = [];
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !failed && !run.opts.signal.aborted) {
        const n = next++;
        const control = new AttemptControl();
        controls.push(control);
        const t0 = this.clock.now();
        const a: AttemptSpec = { spec: specs[n], provider: rt.settings, adapter: rt.adapter, control, deadlineAt: run.deadlineAt, timing: run.opts.timing, upstreamId: undefined };
        let out = await attemptJson(this.env, a, (body) => mode.parse(rt.adapter, body, at));
        controls.splice(controls.indexOf(control), 1);
        // A part answering fewer (or more) inputs than it sent would shift every later
        // answer onto the wrong input once joined: it failed.
        if (out.ok) out = countChecked(mode, out, p.list[todo[n]].inputs);
        if (!out.ok) {
          out.message = this.env.redact(out.message);
          failed = true;
        }
        results[n] = { out, ms: Math.round(this.clock.now() - t0), upstreamId: a.upstreamId };
      }
    };
    run.parts = controls;
    try {
      const workers: Promise<void>[] = [];
      for (let w = 0; w <= extra; w++) workers.push(worker());
      await Promise.all(workers);
    } finally {
      run.parts = null;
      if (limit !== null) for (let w = 0; w < extra; w++) limit.release();
    }

    run.beginRound();
    const of = p.list.length;
    let judged: { failure: Failure; rec: Attempt; recIndex: number } | null = null;
    const others: Moved[] = [];
    for (let n = 0; n < todo.length; n++) {
      const r = results[n];
      if (r === undefined) continue;
      const i = todo[n];
      const part = p.list[i];
      const out = r.out;
      const rec = run.callPart(target, keyName, out.status, r.ms, out.ok ? null : out.message, p.prev[i], { index: i, of, first_input: part.first, inputs: part.inputs });
      if (r.upstreamId !== undefined) rec.upstream_request_id = r.upstreamId;
      if (out.ok) {
        p.done[i] = out.value;
        continue;
      }
      const recIndex = run.attempts.length - 1;
      p.prev[i] = recIndex;
      const failure: Failure = { ...out, message: `part ${i + 1} of ${of} (inputs ${part.first}-${part.first + part.inputs - 1}): ${out.message}` };
      if (judged === null || rank(out.kind) > rank(judged.failure.kind)) {
        if (judged !== null) others.push({ rec: judged.rec, kind: judged.failure.kind as FallbackReason });
        judged = { failure, rec, recIndex };
      } else others.push({ rec, kind: out.kind as FallbackReason });
    }
    if (judged !== null) return { ok: false, ...judged, others };
    if (run.opts.signal.aborted) return null;
    return { ok: true, value: mode.join!(p.done as T[]) };
  }

  /**
   * Moves the request's admission to `provider`: null once it covers it; the provider's
   * refusal to record; or what ends the request (a client gone meanwhile, another error).
   */
  private async moveAdmission(run: Run, target: PlanTarget, provider: string): Promise<null | SwitchyardError | DispatchError | 'aborted'> {
    try {
      const moving = run.opts.admission!.moveTo({ provider, model: target.model });
      if (moving !== undefined) await moving;
    } catch (err) {
      if (!(err instanceof SwitchyardError)) {
        return new DispatchError('SY_ERR_INTERNAL', `admitting the request on provider ${provider} failed: ${err instanceof Error ? err.message : String(err)}`, run.attempts, { cause: err });
      }
      if ((err.code === 'SY_ERR_BUDGET_EXCEEDED' || err.code === 'SY_ERR_RATE_LIMITED') && err.details?.level === 'provider') return err;
      return new DispatchError(err.code, err.message, run.attempts, { status: err.status, retryAfter: err.retryAfter, details: err.details, cause: err });
    }
    run.admitted = provider;
    return run.opts.signal.aborted ? 'aborted' : null;
  }

  /** The upstream request for `req`, with the client's headers; throws when the adapter cannot build it. */
  private build<R, T>(run: Run, mode: Mode<R, T>, rt: ProviderRuntime, req: R, at: AttemptTarget): WireRequest {
    const spec = toWire(mode.build(rt.adapter, req, at));
    if (run.opts.headers !== undefined) spec.headers = withClientHeaders(run.opts.headers, spec.headers);
    return spec;
  }

  /** The provider (and key) answered: the breaker hears of it, unless they were tried in panic while cooling down. */
  private succeeded(providerId: string, pAdm: Admission, keyId: string | null, kAdm: Admission): void {
    if (pAdm !== 'cooldown') this.health.success(providerId);
    if (keyId !== null && kAdm !== 'cooldown') this.health.success(keyId);
  }

  /** Gives back probes that were admitted but never got a verdict. */
  private release(providerId: string, pAdm: Admission, keyId: string | null, kAdm: Admission): void {
    if (pAdm === 'probe') this.health.release(providerId);
    if (kAdm === 'probe' && keyId !== null) this.health.release(keyId);
  }

  /** Past the commit point: the stream is the caller's; settle the books when it ends. */
  private handOver(run: Run, out: Committed, rec: Attempt, served: ServedTarget, rt: ProviderRuntime, reports: boolean): ChatResult {
    const stream = out.stream;
    run.stream = stream;
    let resolve!: (o: StreamOutcome) => void;
    const done = new Promise<StreamOutcome>((r) => (resolve = r));
    stream.onSettle((s) => {
      rt.limit?.release();
      run.stream = null;
      run.dispose();
      if (!s.ok && !s.clientAborted) {
        rec.error = 'stream_error';
        if (reports) this.health.failure(rt.id);
      }
      resolve({ ok: s.ok, error: s.error, clientAborted: s.clientAborted, usage: s.usage, inputUsage: s.inputUsage, finishReason: s.finishReason, latencyMs: Math.round(this.clock.now() - run.started) });
    });
    return { kind: 'stream', first: out.first, rest: stream, attempts: run.attempts, served, done };
  }
}

/** The parts of a request not yet answered, by index. */
function pending<R, T>(p: Parts<R, T>): number[] {
  const todo: number[] = [];
  for (let i = 0; i < p.list.length; i++) if (p.done[i] === undefined) todo.push(i);
  return todo;
}

/**
 * An adapter that fails to build the request for another reason than the request itself
 * (a provider setting it lacks, a fault of its own) ends the request as is.
 */
function buildError(run: Run, err: unknown): DispatchError {
  if (err instanceof SwitchyardError) return new DispatchError(err.code, err.message, run.attempts, { status: err.status, details: err.details, cause: err });
  return new DispatchError('SY_ERR_INTERNAL', `building the upstream request failed: ${err instanceof Error ? err.message : String(err)}`, run.attempts, { cause: err });
}
