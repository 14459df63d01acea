/**
 * The routing context a request is judged on, and the Decision the router returns.
 * A Decision is pure data: it carries everything the audit event needs (rule, scope,
 * targets, fallbacks, shadow matches, evaluation errors, the inputs snapshot with the
 * balancer's draw, and the config revision), so a decision can be replayed exactly.
 */
import type { DecisionInputs, DecisionRecord, Revision, TargetRecord } from './types/audit-event.js';
import type { FallbackReason } from './errors.js';
import type { Endpoint } from './canonical.js';

/**
 * Values the CEL rules can read. Numbers are plain JS numbers here; the rules layer converts.
 * Build one per request and do not mutate it after `decide`: the decision's inputs
 * record shares its `headers` and `params` objects.
 */
export interface RoutingContext {
  /** Lowercase names; credentials already removed. */
  headers: Record<string, string>;
  tier: string;
  team: string;
  customer: string;
  virtual_key: string;
  /** Requested model without the provider prefix. */
  model: string;
  /** Set when the model was requested as `provider/model`; else "". */
  provider: string;
  endpoint: Endpoint;
  stream: boolean;
  params: Record<string, number | string | boolean | null>;
  budget_used: number;
  tokens_used: number;
  requests_used: number;
  now: Date;
}

/** Per-decision facts that are not request data: availability and the random draw. */
export interface DecideOptions {
  /** Uniform draw in [0, 1) for weighted choices; taken from the router's injected RNG when absent. */
  draw?: number;
  /**
   * Targets that must be skipped, keyed `provider` or `provider#key`, valued with the
   * reason (`cooldown`, `rate_limit_exceeded`, `budget_exceeded`, ...).
   */
  unavailable?: ReadonlyMap<string, FallbackReason>;
}

export type Target = TargetRecord;

export interface Decision extends DecisionRecord {
  inputs: DecisionInputs;
  revision: Revision;
}

export type { DecisionInputs, DecisionRecord, Revision, TargetRecord };
