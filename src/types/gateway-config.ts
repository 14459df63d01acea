/* Generated from schema/gateway.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * A literal value, or `env.NAME` to read the environment variable NAME when the config is loaded (recommended for credentials).
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "SecretRef".
 */
export type SecretRef = string;
/**
 * A duration: a whole number followed by ms, s, m, h, d, w or M (calendar month). Examples: 500ms, 30s, 1m, 1h, 1d, 1w, 1M.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Duration".
 */
export type Duration = string;
/**
 * Why an attempt ended and the dispatcher moved on. A target passed over without a call (cooldown, budget_exceeded, rate_limit_exceeded, unsupported_request: its provider cannot take the request as it is, e.g. more stop sequences than its API takes) moves on whether fallback_on lists it or not.
 *
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
  | 'model_not_allowed'
  | 'unsupported_request';

/**
 * Switchyard gateway configuration (switchyard.yaml).
 */
export interface GatewayConfig {
  /**
   * Path or URL of this JSON Schema, for editor autocompletion: `./schema/gateway.schema.json`.
   */
  $schema?: string;
  server?: ServerConfig;
  upstream?: UpstreamConfig;
  /**
   * Providers by id (lowercase letters, digits, `-`, `_`). The id is what rules, aliases and `provider/model` names use.
   */
  providers: {
    [k: string]: ProviderConfig;
  };
  /**
   * Model aliases: a requested model name mapped to `provider/model` (a configured provider) or to a model name some provider key allows. Example: `fast: groq/llama-3.3-70b-versatile`.
   */
  aliases?: {
    [k: string]: string;
  };
  routing?: RoutingConfig;
  dispatch?: DispatchConfig;
  governance?: GovernanceConfig;
  /**
   * Where the routing rule files are.
   */
  rules?: {
    /**
     * Rule files or folders, relative to the config file. Default: `rules/` beside the config file, when it exists.
     */
    paths?: string[];
  };
  audit?: AuditConfig;
  /**
   * Process log (pino) settings.
   */
  logging?: {
    /**
     * Minimum log level. Default: info.
     */
    level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "ServerConfig".
 */
export interface ServerConfig {
  /**
   * TCP port to listen on (0 picks a free port). Default: 8080.
   */
  port?: number;
  /**
   * Address to bind. Default: 127.0.0.1 (use 0.0.0.0 to accept remote connections).
   */
  host?: string;
  /**
   * Most new connections the kernel holds until the gateway accepts them (listen(2)'s backlog); past it, a new connection is reset or left unanswered. Thousands of streams starting at once while the event loop is busy fill a short queue: at 5,000 concurrent streams Node's default of 511 reset 52 connections. Linux caps it at net.core.somaxconn (see /proc/sys/net/core/somaxconn: 4096 by default since Linux 5.4, 128 before), lowering a larger value without a word; raise that sysctl to go higher. Default: 4096.
   */
  backlog?: number;
  /**
   * Largest request body (and WebSocket message) accepted, in bytes. Default: 32 MiB, what Anthropic's Messages API accepts: an agent's turn with screenshots passes 4 MiB.
   */
  body_limit_bytes?: number;
  /**
   * Deepest JSON nesting accepted in a request body. Default: 64.
   */
  max_json_depth?: number;
  /**
   * Longest time a client may take to send a whole request once it has begun (headers and body). A request still arriving then is answered 408 SY_ERR_REQUEST_TIMEOUT and its connection closed, so a stalled upload cannot hold a connection for ever. Default: 60000.
   */
  request_timeout_ms?: number;
  /**
   * A stream whose first content has not come after this long is answered with its SSE headers and then an SSE comment (`: keep-alive`) every as long until it does, so a load balancer or proxy with an idle timeout does not cut a request a model is still thinking about. Fallback still works until the first content; a failure after the headers went out is sent as an error event in the client's dialect instead of an HTTP error status. 0 turns it off. Default: 15000.
   */
  stream_keepalive_ms?: number;
  /**
   * Longest the gateway waits on a client that has stopped reading its answer (its connection's buffers full). A stream is then cut, its upstream request aborted, and the request settled and audited as client_aborted; a whole answer's connection is closed. A client that never reads cannot hold an upstream request, a budget reservation or an answer in memory for ever. Default: 60000.
   */
  client_stall_ms?: number;
  /**
   * A Responses API WebSocket with no request for this long is closed (1001), and the latest answer it kept is let go; the client connects again when it next needs one (Codex does, sending its whole conversation). Default: 600000 (10 minutes).
   */
  websocket_idle_ms?: number;
  admin_token?: SecretRef;
  /**
   * Also send x-switchyard-rule-id and x-switchyard-served-by.
   */
  expose_decision_headers?: boolean;
  /**
   * Send x-switchyard-budget-remaining.
   */
  expose_budget_headers?: boolean;
  /**
   * Browser origins allowed to call the gateway (CORS), such as https://app.example.com; "*" allows any. Preflight requests from them are answered, and responses carry Access-Control-Allow-Origin and expose the gateway's headers. Credentials travel in headers, never cookies, so no Allow-Credentials is sent. Default: none (browsers refuse cross-origin calls).
   */
  cors_origins?: string[];
  /**
   * Serve requests without a virtual key as an anonymous principal, and, when no virtual keys are configured, requests with any key (the embedded default does; a warning is logged at start).
   */
  allow_unauthenticated?: boolean;
  /**
   * Responses API answers created with store (the request's default), kept so later requests may build on them: previous_response_id, and item references by id (as the Vercel AI SDK sends them). Scoped to the principal that got them; in Redis when governance.store is, else in this process.
   */
  response_items?: {
    /**
     * False keeps nothing: answers say store: false, and previous_response_id and item references are refused. Default: true.
     */
    enabled?: boolean;
    /**
     * Most JSON kept in this process for answers (their items and records), and as much again for conversations, held apart so that answers never push one out; least recently used dropped first. One conversation may take at most this much, in Redis too: a change that would make it larger is refused (400). Redis otherwise keeps both by ttl alone. Default: 64 MiB.
     */
    max_bytes?: number;
    ttl?: Duration;
  };
  /**
   * On SIGTERM, once drain_delay_ms has passed and the gateway stops accepting, how long in-flight requests may finish before the rest are cut. The process exits after that, once every request is settled and audited (up to 5 s more) and the buffered audit events are written (up to 10 s more): leave room for all of it in a container's stop timeout. Default: 10000.
   */
  shutdown_grace_ms?: number;
  /**
   * On SIGTERM, how long to keep accepting and serving requests while /readyz answers 503, before the gateway stops accepting: the time a load balancer (a Kubernetes Service's endpoints) takes to stop sending it traffic. Default: 0.
   */
  drain_delay_ms?: number;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "UpstreamConfig".
 */
export interface UpstreamConfig {
  /**
   * TCP/TLS connect timeout per upstream connection. Default: 5000.
   */
  connect_timeout_ms?: number;
  /**
   * Time to receive the upstream response headers. Default: 60000.
   */
  headers_timeout_ms?: number;
  /**
   * Time allowed between two chunks of the upstream body. Default: 60000.
   */
  body_timeout_ms?: number;
  /**
   * Largest non-streaming upstream response accepted, and the most text one event of a stream may hold before it ends (a longer one fails the stream). Default: 32 MiB.
   */
  max_response_bytes?: number;
  /**
   * The most connections to one provider origin, and so the most calls in flight to it at once (a stream holds its connection until it ends). A call that finds every connection busy waits for one within dispatch.timeouts.attempt_ms (response_ms for a non-streamed chat call), then fails as a timeout. To cap calls to a provider, providers.<id>.concurrency is the better tool: it queues a bounded number and refuses the rest at once. Default: no cap (one connection per call in flight).
   */
  connections_per_origin?: number;
  /**
   * Client headers forwarded upstream (lowercase). Credentials, hop-by-hop headers, accept-encoding and content-encoding (the gateway decodes answers and compressed request bodies itself) never are, even when listed. Default: [anthropic-beta].
   */
  forward_headers?: string[];
  proxy?: SecretRef;
  /**
   * Provider hosts reached directly, not through the proxy: a host name (also matches its subdomains; a leading `.` or `*.` is allowed), host:port, an IPv4 range such as 10.0.0.0/8, or `*` for every host. Default: the no_proxy / NO_PROXY environment variable.
   */
  no_proxy?: string[];
  /**
   * Send requests to http:// providers through a CONNECT tunnel too, for proxies that only tunnel. https:// providers are always tunnelled. Default: false (http:// requests go to the proxy in absolute form, as curl sends them).
   */
  proxy_tunnel?: boolean;
  /**
   * A PEM file of CA certificates trusted for provider TLS in addition to Node's own roots (relative paths from the config file's folder): the CA of a proxy that inspects TLS, or of an internal model server.
   */
  ca_file?: string;
}
/**
 * One upstream provider: its type, endpoint, keys, weight in balancing and limits.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "ProviderConfig".
 */
export interface ProviderConfig {
  /**
   * Wire protocol: openai, azure (Azure OpenAI; needs base_url and options.api_version), anthropic, gemini, openai-compatible (Groq, Mistral, OpenRouter, Ollama, vLLM, ...; needs base_url) or mock (built in, no network, no key).
   */
  type: 'openai' | 'azure' | 'anthropic' | 'gemini' | 'openai-compatible' | 'mock';
  /**
   * A disabled provider is never routed to, and its `env.` keys may be unset. Default: true.
   */
  enabled?: boolean;
  /**
   * API base URL, e.g. `https://api.groq.com/openai/v1`. Defaults to the official endpoint for openai, anthropic and gemini; required for azure and openai-compatible.
   */
  base_url?: string;
  /**
   * Share of unmatched traffic (auto-normalized across providers). 0: serves only when a rule or a pinned `provider/model` names it. Default: 1.
   */
  weight?: number;
  /**
   * Models this provider serves (glob `*` allowed). Keys may narrow it further. Default: any model a key allows.
   */
  models?: string[];
  /**
   * Extra headers sent upstream on every request. Values may be `env.NAME`.
   */
  headers?: {
    [k: string]: SecretRef;
  };
  /**
   * Type-specific options. azure: {api_version (required; a dated version, or v1 for the v1 API), deployments: {model: deployment}}; openai-compatible: {auth: bearer | none | header:<name> (the key alone in that header)}; openai, azure and openai-compatible: {max_tokens_field: max_tokens | max_completion_tokens, stream_usage: boolean (false: no stream_options.include_usage)}; anthropic: {anthropic_version}; openai, azure, openai-compatible and anthropic: {drop_params: [field, ...] or {model-glob: [field, ...]}}; openai, azure, openai-compatible and anthropic: {pass_params: [field, ...] (client body fields the gateway does not know, passed as sent from clients of the provider's dialect)}; openai, azure and openai-compatible: {send_reasoning: boolean (true: an assistant turn's reasoning goes back as reasoning_content, as DeepSeek and Kimi require in a tool loop)}; openai, azure, openai-compatible, anthropic and gemini: {reasoning: how a reasoning setting from a client of another dialect is sent, as one style or {model-glob: style}; effort (OpenAI-format), budget or adaptive (anthropic), budget or level (gemini), or none (no reasoning at all: not even the setting a client of the provider's own dialect sent, nor the conversation's reasoning)}; openai, azure and openai-compatible: {reasoning_summary: auto, concise or detailed, or {model-glob: one of those} (a model served through the Responses API is asked for reasoning summaries for an Anthropic client with thinking on or an OpenAI chat client with a reasoning effort, which see them as thinking or reasoning_content; OpenAI gives summaries to verified organizations only)}; openai, azure (v1 API) and openai-compatible: {api: chat or responses, or {model-glob: chat | responses} (responses: the model is served through OpenAI's Responses API, as OpenAI's codex models must be)}; openai-compatible: {tool_loop: mistral, or {model-glob: mistral} (tool loops as Mistral takes them: tool call ids of nine letters and digits, and an assistant message between a tool message and a user message)}; openai and openai-compatible: {count_tokens: boolean (Anthropic clients' token counts by POST /responses/input_tokens; default true for openai, false for openai-compatible; false: the gateway's estimate)}; every type: {max_output_tokens: tokens, or {model-glob: tokens} (a chat request asking for more goes with the cap)}; every type with embeddings (all but anthropic): {max_embedding_inputs: the most inputs one embeddings call to the provider takes (default 100 for gemini, else none below the 2,048 a client may send); a request with more goes in parts}; mock: {latency_ms, chunk_delay_ms, chunks, output_tokens, fail_rate, fail_status, dimensions, models}. An option the provider's type does not take is refused.
   */
  options?: {
    [k: string]: unknown;
  };
  /**
   * API keys. Unmatched traffic is spread over the enabled keys that allow the model, by weight. Every provider except mock (and openai-compatible with options.auth: none) needs one enabled key with a value.
   */
  keys?: ProviderKey[];
  /**
   * Spending limits for this provider as a whole.
   */
  budgets?: Budget[];
  rate_limit?: RateLimit;
  concurrency?: Concurrency;
}
/**
 * One API key of a provider.
 *
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
  /**
   * Share of this provider's unmatched traffic (auto-normalized across its keys). 0: used only when pinned. Default: 1.
   */
  weight?: number;
  /**
   * A disabled key is never used, and its `env.` value may be unset. Default: true.
   */
  enabled?: boolean;
}
/**
 * A spending limit in USD per period.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Budget".
 */
export interface Budget {
  /**
   * Spend allowed per period, in USD.
   */
  limit_usd: number;
  period: Duration;
  /**
   * Periods start at UTC day/week/month boundaries; otherwise they roll from first use.
   */
  calendar_aligned?: boolean;
  /**
   * block: refuse requests once spent (429); allow: only report it. Default: block.
   */
  on_exhausted?: 'block' | 'allow';
}
/**
 * A rate limit: `requests` and/or `tokens` per `per` window, and/or `concurrency`.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "RateLimit".
 */
export interface RateLimit {
  /**
   * Requests allowed per window.
   */
  requests?: number;
  /**
   * Tokens (input + output) allowed per window.
   */
  tokens?: number;
  per?: Duration;
  /**
   * Requests in flight at once, at the level the limit is set on (virtual key, team, customer or provider).
   */
  concurrency?: number;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Concurrency".
 */
export interface Concurrency {
  /**
   * Requests in flight at once.
   */
  max_in_flight?: number;
  /**
   * Requests that may wait for a free slot. Default: 0 (no queue).
   */
  queue_size?: number;
  /**
   * When every slot is taken and the queue is full: error (move on to the next fallback, recorded as overloaded), block (wait for a slot up to the total deadline) or drop (answer 429 with Retry-After). Default: error.
   */
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
  /**
   * Failure classes that move to a rule's next fallback when the rule gives no `fallback_on`. Default: [rate_limited, server_error, timeout, connection_error, stream_error, overloaded].
   */
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
  /**
   * Retries on the same target before moving to the next one. Default: 1.
   */
  retries_per_target?: number;
  /**
   * Exponential backoff with full jitter between retries.
   */
  backoff?: {
    /**
     * First backoff step. Default: 100.
     */
    base_ms?: number;
    /**
     * Largest backoff step. Default: 2000.
     */
    cap_ms?: number;
  };
  /**
   * Deadlines for attempts and whole requests.
   */
  timeouts?: {
    /**
     * Per attempt, to the first byte: of a streamed answer, of embeddings and of a token count. A non-streamed chat answer has response_ms instead, since it comes whole.
     */
    attempt_ms?: number;
    /**
     * Per attempt of a non-streamed chat request: the model writes its whole answer before the first byte, so this bounds the generation (10 minutes by default, the OpenAI and Anthropic SDKs' own timeout). A call started within total_ms keeps this long, past total_ms if need be.
     */
    response_ms?: number;
    /**
     * Between stream chunks.
     */
    idle_ms?: number;
    /**
     * All attempts and waits: no retry, fallback or wait starts after it, and a stream's content must begin within it. A non-streamed chat call already waiting for its answer has response_ms.
     */
    total_ms?: number;
  };
  /**
   * Calls a request makes to a provider it already called (retries, other keys, another of its models), allowed as a share of requests, so a failing provider is not hammered. A fallback's first call to another provider spends none.
   */
  retry_budget?: {
    /**
     * Retries per request, on average. Default: 0.2.
     */
    ratio?: number;
    /**
     * Retries always allowed per second regardless of ratio. Default: 5.
     */
    min_per_second?: number;
  };
  /**
   * Take a failing provider key out of rotation for a while (outlier ejection).
   */
  cooldown?: {
    /**
     * Failures in a row that start a cooldown. Default: 5.
     */
    consecutive_failures?: number;
    /**
     * First cooldown length; doubles on each repeat. Default: 10000.
     */
    base_ms?: number;
    /**
     * Longest cooldown. Default: 300000.
     */
    max_ms?: number;
    /**
     * Never cool down more than this share of a pool: the providers, or one provider's keys. Default: 50.
     */
    max_ejected_percent?: number;
    /**
     * When every target a request could use (its rule's targets and fallbacks, or every provider that serves its model) is cooling down, send it to them anyway, as Envoy's panic routing does, rather than refuse it with a 503: the breaker steers traffic to healthy targets, and a model only one provider serves keeps being served while that provider fails some requests. false refuses. Default: true.
     */
    panic?: boolean;
  };
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "GovernanceConfig".
 */
export interface GovernanceConfig {
  /**
   * Customers (ids unique).
   */
  customers?: Customer[];
  /**
   * Teams (ids unique).
   */
  teams?: Team[];
  /**
   * Virtual keys (ids and key hashes unique).
   */
  virtual_keys?: VirtualKey[];
  key_secret?: SecretRef;
  /**
   * Where budget and rate-limit counters live. memory: this process only; redis: shared by all gateway instances.
   */
  store?: {
    /**
     * memory (this process only) or redis (shared by every gateway instance). Default: memory.
     */
    type?: 'memory' | 'redis';
    url?: SecretRef;
    /**
     * Key prefix in Redis. Default: sy:.
     */
    prefix?: string;
    /**
     * When the store cannot be reached: fail_closed refuses requests (503), fail_open serves them with counters in this process (limits then apply per gateway) and sends their spend to the store once it answers again. Default: fail_closed.
     */
    on_unavailable?: 'fail_open' | 'fail_closed';
  };
  /**
   * Price overrides per model (USD per million tokens).
   */
  pricing?: {
    [k: string]: Price;
  };
  /**
   * For a model with no known price: zero counts it as free, block refuses it (403 SY_ERR_MODEL_NOT_ALLOWED, reason unknown_price), whether or not a budget applies. Default: zero.
   */
  unknown_price?: 'block' | 'zero';
  /**
   * Output tokens reserved when a request gives no max_tokens. Default: 8192.
   */
  max_reservation_tokens?: number;
}
/**
 * A customer: the top of the principal chain (virtual key → team → customer).
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Customer".
 */
export interface Customer {
  /**
   * Unique customer id (`customer` in CEL and rule scopes).
   */
  id: string;
  /**
   * Tier for routing rules (`tier` in CEL), unless the request sends an `x-tier` header.
   */
  tier?: string;
  /**
   * Models this principal may use (glob `*` allowed). Absent: all.
   */
  allowed_models?: string[];
  /**
   * Providers this principal may be routed to. Absent: all.
   */
  allowed_providers?: string[];
  /**
   * Spending limits.
   */
  budgets?: Budget[];
  rate_limit?: RateLimit;
  /**
   * A disabled principal's requests are refused (401). Default: true.
   */
  enabled?: boolean;
}
/**
 * A team, optionally belonging to a customer.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Team".
 */
export interface Team {
  /**
   * Unique team id (`team` in CEL and rule scopes).
   */
  id: string;
  /**
   * Id of the customer this team belongs to.
   */
  customer?: string;
  /**
   * Tier for routing rules (`tier` in CEL), unless the request sends an `x-tier` header.
   */
  tier?: string;
  /**
   * Models this principal may use (glob `*` allowed). Absent: all.
   */
  allowed_models?: string[];
  /**
   * Providers this principal may be routed to. Absent: all.
   */
  allowed_providers?: string[];
  /**
   * Spending limits.
   */
  budgets?: Budget[];
  rate_limit?: RateLimit;
  /**
   * A disabled principal's requests are refused (401). Default: true.
   */
  enabled?: boolean;
}
/**
 * A virtual key: the credential clients send (Bearer, x-api-key or x-switchyard-key). Only its hash is stored.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "VirtualKey".
 */
export interface VirtualKey {
  /**
   * Unique virtual key id (`virtual_key` in CEL and rule scopes); shown in audit events.
   */
  id: string;
  /**
   * `sha256:<64 hex>` of the key, or `hmac-sha256:<64 hex>` keyed with governance.key_secret.
   */
  key_hash: string;
  /**
   * Id of the team this key belongs to.
   */
  team?: string;
  /**
   * Id of the customer this key belongs to (implied by the team when absent).
   */
  customer?: string;
  /**
   * Tier for routing rules (`tier` in CEL), unless the request sends an `x-tier` header.
   */
  tier?: string;
  /**
   * Models this principal may use (glob `*` allowed). Absent: all.
   */
  allowed_models?: string[];
  /**
   * Providers this principal may be routed to. Absent: all.
   */
  allowed_providers?: string[];
  /**
   * Spending limits.
   */
  budgets?: Budget[];
  rate_limit?: RateLimit;
  /**
   * A disabled principal's requests are refused (401). Default: true.
   */
  enabled?: boolean;
}
/**
 * A model's price (USD per million tokens), as pricing.json ships it and governance.pricing overrides it.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "Price".
 */
export interface Price {
  /**
   * USD per million input tokens.
   */
  input: number;
  /**
   * USD per million output tokens.
   */
  output: number;
  /**
   * USD per million cached input tokens (default: the input price).
   */
  cached_input?: number;
  /**
   * USD per million input tokens written to the prompt cache with a five-minute lifetime (default: 1.25 × the input price, Anthropic's rate).
   */
  cache_write?: number;
  /**
   * USD per million input tokens written to the prompt cache with a one-hour lifetime (default: 2 × the input price, Anthropic's rate).
   */
  cache_write_1h?: number;
  /**
   * USD per 1,000 web searches the provider ran for a request (Anthropic's `server_tool_use.web_search_requests`, the `web_search_call` items of an OpenAI Responses API answer, one for an OpenAI chat completions answer citing pages), at every tier and context length (default: none).
   */
  web_search?: number;
  long_context?: LongContextPrice;
  /**
   * Rates of a request the provider says it served at another processing tier, by the tier's name in its answer's `service_tier` (OpenAI's `flex` and `priority`, Anthropic's `priority`). A tier not listed is charged the rates above.
   */
  service_tiers?: {
    [k: string]: TierPrice;
  };
}
/**
 * Rates of a request with more input tokens (cache reads and writes included) than `above_input_tokens`: every token of such a request, output too, is charged at these instead (Gemini 2.5 Pro and Claude Sonnet 4 / 4.5 above 200k). A cache price left out is the base one scaled by this input price ÷ the base input price.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "LongContextPrice".
 */
export interface LongContextPrice {
  /**
   * The input tokens a request must exceed to be charged at these rates.
   */
  above_input_tokens: number;
  /**
   * USD per million input tokens.
   */
  input: number;
  /**
   * USD per million output tokens.
   */
  output: number;
  /**
   * USD per million cached input tokens.
   */
  cached_input?: number;
  /**
   * USD per million input tokens written to the prompt cache with a five-minute lifetime.
   */
  cache_write?: number;
  /**
   * USD per million input tokens written to the prompt cache with a one-hour lifetime.
   */
  cache_write_1h?: number;
}
/**
 * Rates of a request served at this tier; each left out is as for a price (`cached_input` the input price, cache writes 1.25 × and 2 × it).
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "TierPrice".
 */
export interface TierPrice {
  /**
   * USD per million input tokens.
   */
  input: number;
  /**
   * USD per million output tokens.
   */
  output: number;
  /**
   * USD per million cached input tokens (default: the input price).
   */
  cached_input?: number;
  /**
   * USD per million input tokens written to the prompt cache with a five-minute lifetime (default: 1.25 × the input price, Anthropic's rate).
   */
  cache_write?: number;
  /**
   * USD per million input tokens written to the prompt cache with a one-hour lifetime (default: 2 × the input price, Anthropic's rate).
   */
  cache_write_1h?: number;
  long_context?: LongContextPrice;
}
/**
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "AuditConfig".
 */
export interface AuditConfig {
  /**
   * Write audit events. Default: true.
   */
  enabled?: boolean;
  /**
   * Sinks; every event goes to each.
   */
  sinks?: AuditSink[];
  /**
   * JSON pointers removed from every event (e.g. /request/params/temperature).
   */
  mask?: string[];
  /**
   * Keep the canonical messages in request.body (masked by `mask`). Inline images and files are kept without their data: their part, media type and omittedBytes (the size of the data).
   */
  store_prompts?: boolean;
}
/**
 * Where audit events go.
 *
 * This interface was referenced by `GatewayConfig`'s JSON-Schema
 * via the `definition` "AuditSink".
 */
export interface AuditSink {
  /**
   * sqlite (file), postgres (table) or ndjson (one JSON object per line).
   */
  type: 'sqlite' | 'postgres' | 'ndjson';
  /**
   * sqlite: database file; ndjson: file path or `stdout`. Relative paths are from the config file's folder (`serve` logs the full path at start).
   */
  path?: string;
  url?: SecretRef;
  /**
   * Table name (sqlite, postgres). Default: audit_events.
   */
  table?: string;
  /**
   * Events written per batch. Default: 500.
   */
  batch_size?: number;
  /**
   * Longest time an event waits in the buffer. Default: 50 (short, so events leave the request thread's heap young).
   */
  flush_interval_ms?: number;
  /**
   * Events buffered before new ones are dropped (and counted). Default: 50000.
   */
  buffer_size?: number;
  /**
   * Bytes of event JSON buffered before new ones are dropped (and counted), whichever of this and buffer_size comes first: with store_prompts, events carry their prompts (megabytes each), and a sink that is down or slow would otherwise hold buffer_size of them in memory. An event larger than this is still taken when the buffer is empty. Default: 268435456 (256 MB).
   */
  buffer_bytes?: number;
  /**
   * Delete events older than max_age or beyond max_rows.
   */
  retention?: {
    max_age?: Duration;
    /**
     * Keep at most this many of the newest events.
     */
    max_rows?: number;
  };
}
