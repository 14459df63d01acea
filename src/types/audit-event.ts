/* Generated from schema/audit-event.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * One routing decision and what came of it: exactly one per request that reached routing. Never holds a secret.
 */
export interface AuditEventV1 {
  version: 1;
  decision_id: string;
  request_id: string;
  /**
   * When the request was received.
   */
  ts: string;
  config_revision: Revision;
  principal: Principal;
  request: RequestSummary;
  inputs: DecisionInputs;
  decision: DecisionRecord;
  attempts: Attempt[];
  outcome: Outcome;
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "Revision".
 */
export interface Revision {
  /**
   * sha256 of config + rules content, hex, first 16 chars.
   */
  hash: string;
  /**
   * HEAD of the rules folder's git work tree, when known.
   */
  git_commit?: string | null;
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "Principal".
 */
export interface Principal {
  customer: string | null;
  team: string | null;
  virtual_key: string | null;
  tier: string;
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "RequestSummary".
 */
export interface RequestSummary {
  endpoint: 'chat' | 'embeddings' | 'messages' | 'count_tokens' | 'responses';
  dialect: 'openai' | 'anthropic';
  /**
   * As requested.
   */
  model: string;
  stream: boolean;
  /**
   * Masked: credentials removed.
   */
  headers?: {
    [k: string]: string;
  };
  params?: Params;
  /**
   * The canonical request, only with audit.store_prompts (masked by audit.mask). An inline image or file has no data there, but omittedBytes: the size of the data left out.
   */
  body?: {
    [k: string]: unknown;
  };
}
/**
 * The params CEL variable: max_tokens, temperature and top_p when sent, tools (count), messages (count), input_tokens_estimate; for embeddings inputs (count) and input_tokens_estimate.
 *
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "Params".
 */
export interface Params {
  [k: string]: number | string | boolean | null;
}
/**
 * Every value the rules and the balancer could read: enough to replay the decision.
 *
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "DecisionInputs".
 */
export interface DecisionInputs {
  headers: {
    [k: string]: string;
  };
  tier: string;
  team: string;
  customer: string;
  virtual_key: string;
  model: string;
  provider: string;
  endpoint: string;
  stream: boolean;
  params: Params;
  budget_used: number;
  tokens_used: number;
  requests_used: number;
  now: string;
  /**
   * The balancer's random draw in [0, 1).
   */
  draw: number;
  /**
   * Targets skipped as unavailable at decision time: `provider` or `provider#key`, with reason after a colon (e.g. `groq:cooldown`).
   */
  unavailable?: string[];
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "DecisionRecord".
 */
export interface DecisionRecord {
  /**
   * none: nothing could serve the request (see reason).
   */
  via: 'rule' | 'balance' | 'pinned' | 'none';
  rule_id: string | null;
  priority?: number | null;
  /**
   * `global`, `customer:ID`, `team:ID` or `virtual_key:ID`.
   */
  scope?: string | null;
  /**
   * Weighted candidates the primary was drawn from (with normalized weights).
   */
  targets: TargetRecord[];
  selected: TargetRecord | null;
  fallbacks: TargetRecord[];
  fallback_on?: string[];
  shadow_matches: string[];
  /**
   * Rules whose evaluation raised an error (treated as not matching).
   */
  errors: {
    rule_id: string;
    message: string;
  }[];
  /**
   * Why via is none (model_not_allowed, no_route, ...).
   */
  reason?: string | null;
  /**
   * Served from the decision memo.
   */
  cached?: boolean;
  /**
   * Every target the request could use was cooling down, so it went to them anyway (dispatch.cooldown.panic); inputs.unavailable lists them. Absent otherwise.
   */
  panic?: boolean;
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "TargetRecord".
 */
export interface TargetRecord {
  provider: string;
  model: string;
  key?: string | null;
  weight?: number;
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "Attempt".
 */
export interface Attempt {
  provider: string;
  model: string;
  key: string | null;
  /**
   * Upstream HTTP status; 0 when none was received.
   */
  status: number;
  latency_ms: number;
  /**
   * Why the dispatcher moved on after this attempt (rate_limited, server_error, timeout, connection_error, stream_error, auth_error, overloaded, cooldown, budget_exceeded, rate_limit_exceeded, unsupported_request); null for the attempt that served (or the final failure returned to the client). A target passed over without a call (status 0) keeps its reason.
   */
  fallback_reason: string | null;
  error?: string | null;
  /**
   * The provider's own id for this call, from its response headers (Anthropic request-id, OpenAI and most OpenAI-compatible servers x-request-id, Azure apim-request-id): what the provider's support asks for. Absent when the provider sent none.
   */
  upstream_request_id?: string;
  /**
   * Index of the attempt this retried on the same target.
   */
  retry_of?: number | null;
  /**
   * Present when the request was too large for one call to the provider (more embeddings inputs than it takes per call) and went to the target in parts, one call each: which part this call carried. The parts of one request are answered together, in input order; a failed part is retried on its own, and when the target cannot serve every part the request falls back (or fails) as a whole.
   */
  part?: {
    /**
     * 0-based.
     */
    index: number;
    /**
     * How many parts the request went in.
     */
    of: number;
    /**
     * Index in the request's input of the part's first input.
     */
    first_input: number;
    /**
     * How many inputs the part carried.
     */
    inputs: number;
  };
}
/**
 * This interface was referenced by `AuditEventV1`'s JSON-Schema
 * via the `definition` "Outcome".
 */
export interface Outcome {
  /**
   * HTTP status returned to the client.
   */
  status: number;
  /**
   * SY_ERR_* code when the request failed.
   */
  code: string | null;
  served_provider: string | null;
  served_model: string | null;
  input_tokens?: number;
  output_tokens?: number;
  cached_tokens?: number;
  /**
   * Input tokens written to the provider's prompt cache (among input_tokens), priced above plain input.
   */
  cache_write_tokens?: number;
  cost_usd?: number;
  latency_ms: number;
  /**
   * Time to first byte sent to the client (streaming).
   */
  ttft_ms?: number | null;
  /**
   * A failure after the commit point (in-band error sent).
   */
  stream_error?: string | null;
  client_aborted?: boolean;
}
