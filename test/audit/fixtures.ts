/**
 * Synthetic, realistic audit data: a Decision like the router returns and events built
 * from it, varied enough that every filter and summary has something to find.
 */
import type { Decision } from '../../src/decision.js';
import type { Attempt, AuditEventV1, Outcome, Principal, RequestSummary } from '../../src/types/audit-event.js';
import { buildAuditEvent, type EventPolicy } from '../../src/audit/event.js';

export const BASE_TS = Date.parse('2025-06-01T12:00:00.000Z');

export function makeDecision(over: Partial<Decision> = {}): Decision {
  return {
    via: 'rule',
    rule_id: 'premium-tier',
    priority: 10,
    scope: 'global',
    targets: [{ provider: 'anthropic', model: 'claude-sonnet-4', key: null, weight: 1 }],
    selected: { provider: 'anthropic', model: 'claude-sonnet-4', key: 'anthropic-main', weight: 1 },
    fallbacks: [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'gemini', model: 'gemini-2.5-pro' }],
    fallback_on: ['rate_limited', 'server_error', 'timeout', 'connection_error'],
    shadow_matches: [],
    errors: [],
    reason: null,
    inputs: {
      headers: { 'x-tier': 'premium', 'user-agent': 'openai-node/6.0' },
      tier: 'premium', team: 'ml-research', customer: 'acme', virtual_key: 'vk-app',
      model: 'gpt-4o', provider: '', endpoint: 'chat', stream: false,
      params: { max_tokens: 512, temperature: 0.2, tools: 0, messages: 3, input_tokens_estimate: 420 },
      budget_used: 12.5, tokens_used: 3.25, requests_used: 7,
      now: '2025-06-01T12:00:00.000Z', draw: 0.4217, unavailable: [],
    },
    revision: { hash: '0123456789abcdef', git_commit: null },
    ...over,
  };
}

export interface EventSeed {
  i: number;
  ts: number;
  via: Decision['via'];
  rule_id: string | null;
  provider: string;
  model: string;
  customer: string | null;
  team: string | null;
  virtual_key: string | null;
  status: number;
  fallbacks: { provider: string; model: string; reason: string }[];
  cost: number;
}

const RULES = ['premium-tier', 'cheap-small', 'eu-only'];
const PROVIDERS: [string, string][] = [['anthropic', 'claude-sonnet-4'], ['openai', 'gpt-4o'], ['groq', 'llama-3.3-70b-versatile'], ['openai', 'gpt-4o-mini']];
const TEAMS: [string | null, string | null, string | null][] = [['acme', 'ml-research', 'vk-app'], ['acme', 'platform', 'vk-batch'], ['globex', 'search', 'vk-search'], [null, null, null]];
const STATUSES = [200, 200, 200, 429, 200, 502, 200, 503, 200, 400];
const REASONS = ['rate_limited', 'server_error', 'timeout', 'connection_error', 'overloaded'];

/** Deterministic variety: the i-th event's facts. */
export function seed(i: number, base = BASE_TS): EventSeed {
  const via = (['rule', 'rule', 'balance', 'rule', 'pinned', 'none'] as const)[i % 6];
  const [provider, model] = PROVIDERS[(i * 7) % PROVIDERS.length];
  const [customer, team, virtual_key] = TEAMS[(i * 3 + (i >> 2)) % TEAMS.length];
  const nFallbacks = i % 5 === 0 ? 2 : i % 3 === 0 ? 1 : 0;
  const fallbacks = Array.from({ length: nFallbacks }, (_, k) => {
    const [p, m] = PROVIDERS[(i + k + 1) % PROVIDERS.length];
    return { provider: p, model: m, reason: REASONS[(i + k) % REASONS.length] };
  });
  return {
    i, ts: base + i * 1000, via, rule_id: via === 'rule' ? RULES[i % RULES.length] : null,
    provider, model, customer, team, virtual_key, status: via === 'none' ? 503 : STATUSES[i % STATUSES.length],
    fallbacks, cost: Math.round(((i % 13) * 0.0013 + 0.0001) * 1e6) / 1e6,
  };
}

export function eventFromSeed(s: EventSeed, policy?: EventPolicy): AuditEventV1 {
  const ts = new Date(s.ts).toISOString();
  const served = s.via !== 'none' && s.status < 400;
  const decision = makeDecision({
    via: s.via,
    rule_id: s.rule_id,
    priority: s.rule_id ? 10 : null,
    scope: s.rule_id ? 'global' : null,
    selected: s.via === 'none' ? null : { provider: s.provider, model: s.model, key: `${s.provider}-main`, weight: 1 },
    targets: s.via === 'none' ? [] : [{ provider: s.provider, model: s.model, key: null, weight: 1 }],
    reason: s.via === 'none' ? 'no_route' : null,
    inputs: { ...makeDecision().inputs, team: s.team ?? '', customer: s.customer ?? '', virtual_key: s.virtual_key ?? '', now: ts, draw: (s.i * 0.618) % 1 },
  });
  const principal: Principal = { customer: s.customer, team: s.team, virtual_key: s.virtual_key, tier: 'premium' };
  const request: RequestSummary = {
    endpoint: 'chat', dialect: 'openai', model: 'gpt-4o', stream: s.i % 2 === 0,
    headers: { 'x-tier': 'premium', 'content-type': 'application/json' },
    params: decision.inputs.params,
  };
  // Providers' ids for the calls: none for a timeout (no answer); events 20 and 21 share one.
  const attempts: Attempt[] = [
    ...s.fallbacks.map((f, k) => ({
      provider: f.provider, model: f.model, key: `${f.provider}-main`, status: f.reason === 'timeout' ? 0 : 503, latency_ms: 120, fallback_reason: f.reason, error: `upstream ${f.reason}`,
      ...(f.reason === 'timeout' ? {} : { upstream_request_id: `up-${s.i}-${k}` }),
    })),
    ...(s.via === 'none' ? [] : [{ provider: s.provider, model: s.model, key: `${s.provider}-main`, status: s.status, latency_ms: 340.5, fallback_reason: null, upstream_request_id: s.i === 20 || s.i === 21 ? 'up-shared' : `up-${s.i}` }]),
  ];
  const outcome: Outcome = {
    status: s.status, code: served ? null : 'SY_ERR_UPSTREAM_ERROR',
    served_provider: served ? s.provider : null, served_model: served ? s.model : null,
    input_tokens: 420 + s.i, output_tokens: 100 + (s.i % 50), cost_usd: s.cost, latency_ms: 512.25, ttft_ms: null,
  };
  return buildAuditEvent({ decisionId: `dec-${String(s.i).padStart(6, '0')}`, requestId: `req-${s.i}`, ts, decision, principal, request, attempts, outcome }, policy);
}

export function makeEvents(n: number, base = BASE_TS): AuditEventV1[] {
  return Array.from({ length: n }, (_, i) => eventFromSeed(seed(i, base)));
}
