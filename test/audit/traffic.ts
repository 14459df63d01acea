/**
 * Synthetic traffic through the real router: random (seeded) contexts, draws and
 * unavailable targets, decided by the fixture rules and turned into audit events.
 */
import { resolve } from 'node:path';
import type { FallbackReason } from '../../src/errors.js';
import type { RoutingContext } from '../../src/decision.js';
import { buildAuditEvent } from '../../src/audit/event.js';
import { loadConfig, type LoadedConfig } from '../../src/config/index.js';
import { compileRuleBundle, createRouter, type Router } from '../../src/rules/index.js';
import type { Attempt, AuditEventV1 } from '../../src/types/audit-event.js';

export const FIXTURE_DIR = resolve(import.meta.dirname, 'fixtures');
export const FIXTURE_CONFIG = resolve(FIXTURE_DIR, 'switchyard.yaml');
export const CANDIDATE_RULES = resolve(FIXTURE_DIR, 'candidate');

export function fixtureConfig(): LoadedConfig {
  const { config, issues } = loadConfig({ path: FIXTURE_CONFIG, env: {}, missingEnv: 'warning' });
  if (!config) throw new Error(issues.map((i) => i.message).join('\n'));
  return config;
}

export function fixtureRouter(config = fixtureConfig(), paths?: string[]): Router {
  const { bundle, issues } = compileRuleBundle(config, paths ? { paths } : {});
  if (!bundle) throw new Error(issues.map((i) => i.message).join('\n'));
  return createRouter(bundle);
}

import { seededRandom } from '../../src/balance/seeded.js';

export { seededRandom };

const PRINCIPALS = [
  { virtual_key: 'vk-app', team: 'ml-research', customer: 'acme', tier: 'premium' },
  { virtual_key: 'vk-batch', team: 'batch', customer: 'acme', tier: '' },
  { virtual_key: '', team: '', customer: '', tier: '' },
];
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'llama-3.3-70b-versatile', 'claude-sonnet-4', 'openai/gpt-4o', 'groq/gpt-4o', 'mystery-model'];
const UNAVAILABLE = ['anthropic', 'groq', 'openai', 'openai#openai-primary', 'openai#openai-secondary'];
const REASONS: FallbackReason[] = ['cooldown', 'rate_limit_exceeded', 'budget_exceeded'];
const WEEK_MS = 7 * 86_400_000;

const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

export function randomRequest(rng: () => number, end: number): { ctx: RoutingContext; unavailable: Map<string, FallbackReason> } {
  const p = pick(rng, PRINCIPALS);
  const requested = pick(rng, MODELS);
  const slash = requested.indexOf('/');
  const headers: Record<string, string> = { 'user-agent': 'openai-python/1.50' };
  if (rng() < 0.2) headers['x-region'] = 'eu';
  if (rng() < 0.15) headers['x-tier'] = 'premium';
  const ctx: RoutingContext = {
    headers,
    tier: headers['x-tier'] ?? p.tier,
    team: p.team, customer: p.customer, virtual_key: p.virtual_key,
    model: slash < 0 ? requested : requested.slice(slash + 1),
    provider: slash < 0 ? '' : requested.slice(0, slash),
    endpoint: rng() < 0.9 ? 'chat' : 'messages',
    stream: rng() < 0.5,
    params: { max_tokens: Math.floor(rng() * 4096), temperature: Math.round(rng() * 100) / 100, messages: 1 + Math.floor(rng() * 12), input_tokens_estimate: Math.floor(rng() * 20_000) },
    budget_used: rng() * 100,
    tokens_used: rng() * 100,
    requests_used: rng() * 100,
    now: new Date(Math.floor(end - rng() * WEEK_MS)),
  };
  const unavailable = new Map<string, FallbackReason>();
  if (rng() < 0.25) for (let k = 0; k < 1 + Math.floor(rng() * 2); k++) unavailable.set(pick(rng, UNAVAILABLE), pick(rng, REASONS));
  return { ctx, unavailable };
}

/** `n` events decided by `router`, with attempts and outcomes that look like real traffic. */
export function trafficEvents(router: Router, n: number, seed = 1, end = Date.now()): AuditEventV1[] {
  const rng = seededRandom(seed);
  const out: AuditEventV1[] = [];
  for (let i = 0; i < n; i++) {
    const { ctx, unavailable } = randomRequest(rng, end);
    const decision = router.decide(ctx, { draw: rng(), unavailable });
    const attempts: Attempt[] = [];
    const sel = decision.selected;
    if (sel && rng() < 0.15 && decision.fallbacks[0]) {
      attempts.push({ provider: sel.provider, model: sel.model, key: sel.key ?? null, status: 429, latency_ms: 40 + rng() * 100, fallback_reason: 'rate_limited' });
      const f = decision.fallbacks[0];
      attempts.push({ provider: f.provider, model: f.model, key: f.key ?? null, status: 200, latency_ms: 200 + rng() * 800, fallback_reason: null });
    } else if (sel) {
      attempts.push({ provider: sel.provider, model: sel.model, key: sel.key ?? null, status: 200, latency_ms: 200 + rng() * 800, fallback_reason: null });
    }
    // The provider's id for each call, as OpenAI's x-request-id looks.
    attempts.forEach((a, k) => { a.upstream_request_id = `req_${seed}_${i}_${k}`; });
    const last = attempts[attempts.length - 1];
    out.push(buildAuditEvent({
      decisionId: `d-${seed}-${i}`,
      requestId: `r-${seed}-${i}`,
      ts: ctx.now,
      decision,
      principal: { customer: ctx.customer || null, team: ctx.team || null, virtual_key: ctx.virtual_key || null, tier: ctx.tier },
      request: { endpoint: ctx.endpoint, dialect: ctx.endpoint === 'messages' ? 'anthropic' : 'openai', model: ctx.provider ? `${ctx.provider}/${ctx.model}` : ctx.model, stream: ctx.stream, headers: ctx.headers, params: ctx.params },
      attempts,
      outcome: last
        ? { status: 200, code: null, served_provider: last.provider, served_model: last.model, input_tokens: Number(ctx.params.input_tokens_estimate), output_tokens: 100 + Math.floor(rng() * 900), cost_usd: Math.round(rng() * 1e6) / 1e8, latency_ms: last.latency_ms + 5, ttft_ms: ctx.stream ? 80 + rng() * 200 : null }
        : { status: 503, code: 'SY_ERR_NO_ROUTE', served_provider: null, served_model: null, latency_ms: 1 },
    }));
  }
  return out;
}
