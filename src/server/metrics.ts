/**
 * Prometheus metrics. One registry per gateway instance so tests can run several. The
 * per-request metrics are FastCounter/FastHistogram (fast-metrics.ts): same exposition as
 * prom-client's, without its label validation and hashing on every observation.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter as Counter, FastGauge as Gauge, FastHistogram as Histogram } from './fast-metrics.js';

export interface Metrics {
  registry: Registry;
  requests: Counter<'endpoint' | 'status' | 'via'>;
  requestSeconds: Histogram<'endpoint'>;
  /** Gateway's own work per request: received → upstream dispatch, plus upstream answer → client write. */
  processingSeconds: Histogram<'endpoint'>;
  ttfbSeconds: Histogram<'endpoint'>;
  attempts: Counter<'provider' | 'outcome'>;
  fallbacks: Counter<'provider' | 'reason'>;
  tokens: Counter<'provider' | 'model' | 'kind'>;
  costUsd: Counter<'provider' | 'model'>;
  inFlight: Gauge;
  /** Rule evaluations that failed (the rule did not match): by rule id, a bounded set. */
  ruleErrors: Counter<'rule'>;
  /** Open Responses API WebSocket connections. */
  websockets: Gauge;
  /** Rule reloads (POST /admin/reload, SIGHUP) by result: `ok`, or `failed` (the running rules stay). */
  ruleReloads: Counter<'result'>;
  /** 1 when the last rule reload took (or none was asked for yet), 0 when it was refused. */
  ruleReloadOk: Gauge;
  /**
   * The `model` label for a served model: its name, for the first `maxModelLabels` names
   * seen, then `other`. A provider allowed by glob, or with none, serves whatever name a
   * client sends when its server ignores the field (llama.cpp, TGI): each would be a new
   * series, growing memory and every scrape without bound.
   */
  modelLabel(model: string): string;
}

/** Distinct served models that get a `model` label of their own. */
export const MAX_MODEL_LABELS = 500;

export function createMetrics(opts: { defaultMetrics?: boolean; maxModelLabels?: number } = {}): Metrics {
  const registry = new Registry();
  const labelled = new Set<string>();
  const maxModelLabels = opts.maxModelLabels ?? MAX_MODEL_LABELS;
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'switchyard_process_' });
  const r = [registry];
  const ruleReloadOk = new Gauge('switchyard_rule_reload_last_success', '1 when the last reload took (or none was asked for), 0 when it failed and the gateway still serves the rules and config it had.', r);
  ruleReloadOk.set(1);
  return {
    registry,
    requests: new Counter('switchyard_requests_total', 'Inference requests by endpoint, HTTP status and decision path.', ['endpoint', 'status', 'via'], r),
    requestSeconds: new Histogram('switchyard_request_duration_seconds', 'Request latency as the client sees it.', ['endpoint'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60], r),
    processingSeconds: new Histogram('switchyard_processing_seconds', "The gateway's own time per request: arrival until written upstream, plus the served answer's arrival until written to the client.", ['endpoint'], [0.00001, 0.00002, 0.00004, 0.00008, 0.00016, 0.00032, 0.00064, 0.00128, 0.005, 0.02], r),
    ttfbSeconds: new Histogram('switchyard_time_to_first_byte_seconds', 'Streaming: request received to first byte sent to the client.', ['endpoint'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], r),
    attempts: new Counter('switchyard_upstream_attempts_total', 'Upstream calls by provider and outcome: ok, a fallback_reason (rate_limited, server_error, timeout, ...), client_error (the provider refused the request as invalid) or client_abort.', ['provider', 'outcome'], r),
    fallbacks: new Counter('switchyard_fallbacks_total', 'Moves to the next target, by provider left and reason.', ['provider', 'reason'], r),
    tokens: new Counter('switchyard_tokens_total', `Tokens by provider, model and kind (input, output; cached and cache_write are the prompt-cache reads and writes within input); models past the first ${MAX_MODEL_LABELS} served are "other".`, ['provider', 'model', 'kind'], r),
    costUsd: new Counter('switchyard_cost_usd_total', `Spend in USD by provider and model; models past the first ${MAX_MODEL_LABELS} served are "other".`, ['provider', 'model'], r),
    inFlight: new Gauge('switchyard_in_flight_requests', 'Inference requests being served.', r),
    websockets: new Gauge('switchyard_websocket_connections', 'Open Responses API WebSocket connections.', r),
    ruleReloads: new Counter('switchyard_rule_reloads_total', 'Reloads of the rules and the config\'s governance (POST /admin/reload, SIGHUP) by result: ok, or failed (the new rules or config were refused; the running ones stay).', ['result'], r),
    ruleReloadOk,
    ruleErrors: new Counter('switchyard_rule_errors_total', 'Rule evaluations that failed at request time (the rule did not match; decision.errors has the message), by rule id.', ['rule'], r),
    modelLabel(model) {
      if (labelled.has(model)) return model;
      if (labelled.size >= maxModelLabels) return 'other';
      labelled.add(model);
      return model;
    },
  };
}
