/* Generated from schema/gateway.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * A literal value, or `env.NAME` to read the environment variable NAME at load.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "SecretRef".
 */
export type SecretRef = string;
/**
 * A duration: 500ms, 30s, 1m, 1h, 1d, 1w, 1M (calendar month).
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Duration".
 */
export type Duration = string;
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "FallbackReason".
 */
export type FallbackReason =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection_error'
  | 'stream_error'
  | 'auth_error'
  | 'overloaded'
  | 'cooldown'
  | 'budget_exceeded'
  | 'rate_limit_exceeded'
  | 'model_not_allowed';
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Customer".
 */
export type Customer = Principal & {
  id: string;
};
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Team".
 */
export type Team = Principal & {
  id: string;
  customer?: string;
};
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "VirtualKey".
 */
export type VirtualKey = Principal & {
  id: string;
  key_hash: string;
  team?: string;
  customer?: string;
};

/**
 * Switchyard gateway configuration (switchyard.yaml).
 */
export interface GatewayConfig {
  $schema?: string;
  server?: ServerConfig;
  upstream?: UpstreamConfig;
  /**
   * Providers by id. The id is what rules and `provider/model` names use.
   */
  providers: {
    [k: string]: ProviderConfig;
  };
  /**
   * Model aliases: a requested model name mapped to `provider/model` or to another model name.
   */
  aliases?: {
    [k: string]: string;
  };
  routing?: RoutingConfig;
  dispatch?: DispatchConfig;
  governance?: GovernanceConfig;
  rules?: {
    /**
     * Rule files or folders (relative to the config file). Default: [rules/].
     */
    paths?: string[];
  };
  audit?: AuditConfig;
  logging?: {
    level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "ServerConfig".
 */
export interface ServerConfig {
  port?: number;
  host?: string;
  body_limit_bytes?: number;
  max_json_depth?: number;
  /**
   * Credential for /admin/* (Bearer or x-switchyard-admin-token). Admin routes are disabled when unset.
   */
  admin_token?: string;
  /**
   * Also send x-switchyard-rule-id and x-switchyard-served-by.
   */
  expose_decision_headers?: boolean;
  /**
   * Send x-switchyard-budget-remaining.
   */
  expose_budget_headers?: boolean;
  /**
   * Serve requests without a virtual key (the embedded default does; a warning is logged at start).
   */
  allow_unauthenticated?: boolean;
  shutdown_grace_ms?: number;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "UpstreamConfig".
 */
export interface UpstreamConfig {
  connect_timeout_ms?: number;
  headers_timeout_ms?: number;
  body_timeout_ms?: number;
  max_response_bytes?: number;
  connections_per_origin?: number;
  /**
   * Client headers forwarded upstream (lowercase). Credentials and hop-by-hop headers never are.
   */
  forward_headers?: string[];
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "ProviderConfig".
 */
export interface ProviderConfig {
  type: 'openai' | 'azure' | 'anthropic' | 'gemini' | 'openai-compatible' | 'mock';
  enabled?: boolean;
  base_url?: string;
  /**
   * Share of unmatched traffic (auto-normalized). 0: serves only when a rule or a pinned provider/model names it.
   */
  weight?: number;
  /**
   * Models this provider serves (glob `*` allowed). Keys may narrow it further. Default: any model a key allows.
   */
  models?: string[];
  headers?: {
    [k: string]: string;
  };
  /**
   * Type-specific options: azure {api_version, deployments}, openai-compatible {auth}, mock {latency_ms, chunk_delay_ms, chunks, output_tokens, fail_rate, dimensions}.
   */
  options?: {};
  keys?: ProviderKey[];
  budgets?: Budget[];
  rate_limit?: RateLimit;
  concurrency?: Concurrency;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "ProviderKey".
 */
export interface ProviderKey {
  /**
   * Shown in decisions and audit events; the value never is.
   */
  name: string;
  value?: SecretRef;
  /**
   * Models this key may serve (glob `*` allowed). Absent: every model of the provider.
   */
  models?: string[];
  weight?: number;
  enabled?: boolean;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Budget".
 */
export interface Budget {
  limit_usd: number;
  period: Duration;
  /**
   * Periods start at UTC day/week/month boundaries; otherwise they roll from first use.
   */
  calendar_aligned?: boolean;
  on_exhausted?: 'block' | 'allow';
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "RateLimit".
 */
export interface RateLimit {
  requests?: number;
  tokens?: number;
  per?: Duration;
  /**
   * Requests in flight at once (virtual keys).
   */
  concurrency?: number;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Concurrency".
 */
export interface Concurrency {
  max_in_flight?: number;
  queue_size?: number;
  queue_policy?: 'error' | 'block' | 'drop';
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "RoutingConfig".
 */
export interface RoutingConfig {
  /**
   * Request shapes whose candidate rules are kept.
   */
  shape_cache_size?: number;
  /**
   * Memoized decisions for rules that read only stable inputs; 0 disables.
   */
  decision_cache_size?: number;
  default_fallback_on?: FallbackReason[];
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "DispatchConfig".
 */
export interface DispatchConfig {
  /**
   * Attempts per request across all targets and retries.
   */
  max_attempts?: number;
  retries_per_target?: number;
  backoff?: {
    base_ms?: number;
    cap_ms?: number;
  };
  timeouts?: {
    /**
     * Per attempt, to the first byte.
     */
    attempt_ms?: number;
    /**
     * Between stream chunks.
     */
    idle_ms?: number;
    /**
     * All attempts and waits.
     */
    total_ms?: number;
  };
  retry_budget?: {
    ratio?: number;
    min_per_second?: number;
  };
  cooldown?: {
    consecutive_failures?: number;
    base_ms?: number;
    max_ms?: number;
    max_ejected_percent?: number;
  };
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "GovernanceConfig".
 */
export interface GovernanceConfig {
  customers?: Customer[];
  teams?: Team[];
  virtual_keys?: VirtualKey[];
  /**
   * A literal value, or `env.NAME` to read the environment variable NAME at load.
   */
  key_secret?: string;
  store?: {
    type?: 'memory' | 'redis';
    url?: SecretRef;
    prefix?: string;
    on_unavailable?: 'fail_open' | 'fail_closed';
  };
  /**
   * Price overrides per model (USD per million tokens).
   */
  pricing?: {
    [k: string]: {
      input: number;
      output: number;
      cached_input?: number;
    };
  };
  unknown_price?: 'block' | 'zero';
  /**
   * Output tokens reserved when a request gives no max_tokens.
   */
  max_reservation_tokens?: number;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Principal".
 */
export interface Principal {
  tier?: string;
  allowed_models?: string[];
  allowed_providers?: string[];
  budgets?: Budget[];
  rate_limit?: RateLimit;
  enabled?: boolean;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "AuditConfig".
 */
export interface AuditConfig {
  enabled?: boolean;
  sinks?: AuditSink[];
  /**
   * JSON pointers removed from every event (e.g. /request/params/temperature).
   */
  mask?: string[];
  /**
   * Keep the canonical messages in request.body (masked by `mask`).
   */
  store_prompts?: boolean;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "AuditSink".
 */
export interface AuditSink {
  type: 'sqlite' | 'postgres' | 'ndjson';
  /**
   * sqlite: database file; ndjson: file path or `stdout`.
   */
  path?: string;
  /**
   * A literal value, or `env.NAME` to read the environment variable NAME at load.
   */
  url?: string;
  table?: string;
  batch_size?: number;
  flush_interval_ms?: number;
  buffer_size?: number;
  retention?: {
    max_age?: Duration;
    max_rows?: number;
  };
}
