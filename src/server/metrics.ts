/**
 * Prometheus metrics. One registry per gateway instance so tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'switchyard_process_' });
  const r = [registry];
  return {
    registry,
    requests: new Counter({ name: 'switchyard_requests_total', help: 'Inference requests by endpoint, HTTP status and decision path.', labelNames: ['endpoint', 'status', 'via'], registers: r }),
    requestSeconds: new Histogram({ name: 'switchyard_request_duration_seconds', help: 'Request latency as the client sees it.', labelNames: ['endpoint'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60], registers: r }),
    processingSeconds: new Histogram({ name: 'switchyard_processing_seconds', help: 'Time spent inside the gateway per request (excluding the upstream).', labelNames: ['endpoint'], buckets: [0.00001, 0.00002, 0.00004, 0.00008, 0.00016, 0.00032, 0.00064, 0.00128, 0.005, 0.02], registers: r }),
    ttfbSeconds: new Histogram({ name: 'switchyard_time_to_first_byte_seconds', help: 'Streaming: request received to first byte sent to the client.', labelNames: ['endpoint'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: r }),
    attempts: new Counter({ name: 'switchyard_upstream_attempts_total', help: 'Upstream attempts by provider and outcome (ok or a fallback_reason).', labelNames: ['provider', 'outcome'], registers: r }),
    fallbacks: new Counter({ name: 'switchyard_fallbacks_total', help: 'Moves to the next target, by provider left and reason.', labelNames: ['provider', 'reason'], registers: r }),
    tokens: new Counter({ name: 'switchyard_tokens_total', help: 'Tokens by provider, model and kind (input, output, cached).', labelNames: ['provider', 'model', 'kind'], registers: r }),
    costUsd: new Counter({ name: 'switchyard_cost_usd_total', help: 'Spend in USD by provider and model.', labelNames: ['provider', 'model'], registers: r }),
    inFlight: new Gauge({ name: 'switchyard_in_flight_requests', help: 'Inference requests being served.', registers: r }),
  };
}
