/** The dispatcher's public types: plans in, results and attempt records out. */
import type { ProxyPlan } from '../config/proxy.js';
import type { ChatResponse, Dialect, StreamEvent, Usage, FinishReason } from '../canonical.js';
import type { FallbackReason } from '../errors.js';
import type { Attempt } from '../types/audit-event.js';
import type { DispatchConfig, UpstreamConfig } from '../types/gateway-config.js';
import type { ResolvedProvider } from '../config/types.js';

export type { Attempt };

/** Milliseconds since some fixed origin; only differences are used. */
export interface Clock {
  now(): number;
}

/** Waits `ms`; rejects or resolves early when `signal` aborts (the dispatcher checks it afterwards). */
export type Sleep = (ms: number, signal?: AbortLike) => Promise<void>;

/** A provider key as dispatch needs it. */
export interface KeyRef {
  name: string;
  /** The secret; never logged or recorded. */
  value: string;
}

/**
 * A configured provider (src/config/types.ts). Provider objects are stable (config is
 * frozen at load): dispatch keys its per-provider state on their identity.
 */
export type ResolvedProviderLike = ResolvedProvider;

export interface PlanTarget {
  provider: ResolvedProviderLike;
  /** Model name as the provider knows it. */
  model: string;
  /** A key pinned by the decision (its name); null lets dispatch pick among the eligible keys. */
  key: string | null;
}

/** The decision's plan: where to try, in order, and which failure classes move on. */
export interface Plan {
  primary: PlanTarget;
  fallbacks: PlanTarget[];
  fallbackOn: readonly FallbackReason[];
  /**
   * Every target was cooling down when the router decided (Decision.panic): try them all
   * the same. Their attempts leave the breaker's state alone; its probe still decides.
   */
  panic?: boolean;
}

/** Who answered. */
export interface ServedTarget {
  provider: string;
  model: string;
  key: string | null;
}

/** How a committed stream ended; resolves once, when the stream is over. */
export interface StreamOutcome {
  /** The provider's terminator arrived: the client saw the complete answer. */
  ok: boolean;
  /** Why the stream ended early (also sent in-band as an `error` event, unless the client left). */
  error: string | null;
  clientAborted: boolean;
  /** The provider's count for the whole answer; null when the stream ended before it came. */
  usage: Usage | null;
  /**
   * What the provider counted before generating: input, cache reads and writes (the
   * `start` event's usage, which Anthropic and Gemini send). A stream cut before `usage`
   * is charged these and an estimate of the output it sent.
   */
  inputUsage: Usage | null;
  finishReason: FinishReason | null;
  /** From the start of dispatch to the end of the stream. */
  latencyMs: number;
}

/** A whole upstream answer in a client dialect (see ProviderAdapter.chatDialect). */
export interface UpstreamBody {
  dialect: Dialect;
  /** The body as it arrived: parsed and validated into the response, otherwise untouched. */
  text: string;
}

export type ChatResult =
  | {
      kind: 'response';
      response: ChatResponse;
      /** Set when the provider speaks a client dialect: a client of that dialect can be sent these bytes. */
      upstream: UpstreamBody | null;
      attempts: Attempt[];
      served: ServedTarget;
    }
  | {
      kind: 'stream';
      /**
       * Already pulled and validated, up to and including the first content-bearing event.
       * Writing them is the commit point: from then on no retry or fallback is possible.
       */
      first: StreamEvent[];
      /**
       * The rest of the stream; a failure arrives as a final `{type:'error'}` event, never
       * as a silent end. Read it to its end, or break out of it (which aborts the upstream,
       * as does aborting `signal`): the provider's concurrency slot is held until then.
       */
      rest: AsyncIterable<StreamEvent>;
      attempts: Attempt[];
      served: ServedTarget;
      done: Promise<StreamOutcome>;
    };

/**
 * What dispatch needs of an abort signal: an AbortSignal satisfies it, and so does the
 * server's per-request ClientSignal, which costs a plain object instead of an
 * AbortController (EventTarget) per request.
 */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface DispatchOptions {
  /** Aborted when the client goes away: aborts the upstream attempt and any queued or sleeping work. */
  signal: AbortLike;
  /** Client headers to forward (already filtered by `upstreamHeaders`); the adapter's headers win. */
  headers?: Record<string, string>;
  /** Filled in as the request goes upstream and back: the server's own-time figure is built on it. */
  timing?: DispatchTiming;
  /**
   * The request's admission, covering the plan's primary provider. Before the first call
   * to a target on another provider, dispatch moves it there; a provider that refuses is
   * passed over like a cooled-down one. Absent, fallbacks are not admitted anywhere.
   */
  admission?: FallbackAdmission | null;
}

/**
 * What dispatch asks of the request's admission; governance's Admission implements it.
 *
 * @example
 * const admission = await governance.admit(principal, { provider: 'openai', model: 'gpt-4o' }, estimate);
 * const r = await dispatcher.chat(req, plan, { signal, admission });
 */
export interface FallbackAdmission {
  /**
   * Admits the request on `target`'s provider, called before dispatch first calls a target
   * on a provider other than the one admitted last; returns a promise only when it waits.
   * Throwing a SwitchyardError SY_ERR_BUDGET_EXCEEDED or SY_ERR_RATE_LIMITED with
   * `details.level: 'provider'` passes the target over (`budget_exceeded`,
   * `rate_limit_exceeded`) and leaves the admission as it was; any other error ends the
   * request with it.
   */
  moveTo(target: { provider: string; model: string }): void | Promise<void>;
}

/**
 * When a request left for the upstream and when its answer was back, in performance.now()
 * milliseconds (real time, whatever clock dispatch runs its timers on); 0 until then.
 */
export interface DispatchTiming {
  /** The first attempt had been written to the transport. */
  sentAt: number;
  /** The served attempt's answer had arrived: the whole body, or the stream chunk that committed it. */
  receivedAt: number;
}

export interface DispatcherConfig {
  dispatch?: DispatchConfig;
  upstream?: UpstreamConfig;
  /** Every configured provider by id: sizes the circuit breaker's pools and the concurrency limits. */
  providers: ReadonlyMap<string, ResolvedProviderLike>;
  /** Which origins are reached through a forward proxy (LoadedConfig.proxy); default: none. */
  proxy?: ProxyPlan;
  /** PEM certificates trusted for provider TLS besides Node's roots (LoadedConfig.extraCa). */
  extraCa?: string | null;
}

/** Cooldown reasons reported to the router (DecideOptions.unavailable). */
export type Unavailability = Extract<FallbackReason, 'cooldown'>;
