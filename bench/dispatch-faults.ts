/**
 * Dispatch under faults, against real fake upstreams on 127.0.0.1 (test/fakes/upstream.ts).
 *
 *   (a) three upstreams, one failing 100% with 5xx, 1,000 requests: client-visible error
 *       rate and upstream calls per request (target: 0 errors, ≤ 1 + the retry budget).
 *       Also run with the circuit breaker disabled, to show the retry budget alone.
 *   (b) every upstream failing (5xx, hang, reset): the most calls any request made
 *       (≤ max_attempts) and p99 time to error (≤ total deadline + 50 ms).
 *
 * Plans are made like the router makes them: a uniform primary among the providers not in
 * `dispatcher.health.unavailable()`, the other available providers as fallbacks.
 *
 * Usage: npx tsx bench/dispatch-faults.ts [--json]
 */
import { performance } from 'node:perf_hooks';
import type { ChatRequest } from '../src/canonical.js';
import type { ResolvedProvider } from '../src/config/types.js';
import { createDispatcher, DispatchError, type Dispatcher, type Plan } from '../src/dispatch/index.js';
import type { Attempt } from '../src/dispatch/types.js';
import type { DispatchConfig } from '../src/types/gateway-config.js';
import { startFakeUpstream, type FakeUpstream } from '../test/fakes/upstream.js';

const REQUEST: ChatRequest = { kind: 'chat', model: 'gpt-bench', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false };

function providerFor(f: FakeUpstream): ResolvedProvider {
  return {
    id: f.name, type: 'openai', enabled: true, weight: 1, baseUrl: `${f.url}/v1`, headers: {}, options: {}, models: null,
    keys: [{ name: `${f.name}-key`, value: 'sk-bench', models: null, weight: 1, enabled: true }],
    config: { type: 'openai' },
  };
}

function planFor(d: Dispatcher, providers: ResolvedProvider[], fallbackOn: Plan['fallbackOn']): Plan {
  const out = d.health.unavailable();
  const up = providers.filter((p) => !out.has(p.id));
  const pool = up.length ? up : providers;
  const i = Math.floor(Math.random() * pool.length);
  const t = (p: ResolvedProvider) => ({ provider: p, model: 'gpt-bench', key: null });
  return { primary: t(pool[i]), fallbacks: pool.filter((_, j) => j !== i).map(t), fallbackOn };
}

interface RunStats {
  requests: number;
  errors: number;
  errorCodes: Record<string, number>;
  upstreamCalls: number;
  maxCallsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  p99ErrorMs: number | null;
  maxErrorMs: number | null;
  seconds: number;
}

const calls = (attempts: Attempt[]) => attempts.filter((a) => a.fallback_reason !== 'cooldown').length;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
}

async function load(d: Dispatcher, providers: ResolvedProvider[], fakes: FakeUpstream[], n: number, concurrency: number, fallbackOn: Plan['fallbackOn']): Promise<RunStats> {
  for (const f of fakes) f.reset();
  const lat: number[] = [];
  const errLat: number[] = [];
  const codes: Record<string, number> = {};
  let maxCalls = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const s = performance.now();
      try {
        const r = await d.chat(REQUEST, planFor(d, providers, fallbackOn), { signal: new AbortController().signal });
        maxCalls = Math.max(maxCalls, calls(r.attempts));
        lat.push(performance.now() - s);
      } catch (err) {
        const ms = performance.now() - s;
        lat.push(ms);
        errLat.push(ms);
        const code = err instanceof DispatchError ? err.code : 'THROWN';
        codes[code] = (codes[code] ?? 0) + 1;
        if (err instanceof DispatchError) maxCalls = Math.max(maxCalls, calls(err.attempts));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  lat.sort((x, y) => x - y);
  errLat.sort((x, y) => x - y);
  return {
    requests: n,
    errors: errLat.length,
    errorCodes: codes,
    upstreamCalls: fakes.reduce((s, f) => s + f.calls, 0),
    maxCallsPerRequest: maxCalls,
    p50Ms: round(pct(lat, 50)),
    p99Ms: round(pct(lat, 99)),
    p99ErrorMs: errLat.length ? round(pct(errLat, 99)) : null,
    maxErrorMs: errLat.length ? round(errLat[errLat.length - 1]) : null,
    seconds: round((performance.now() - t0) / 1000),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

const ALL: Plan['fallbackOn'] = ['rate_limited', 'server_error', 'timeout', 'connection_error', 'stream_error', 'overloaded'];

async function scenarioA(breaker: boolean) {
  const fakes = [
    await startFakeUpstream({ name: 'up-a', defaultFault: 'status:503' }),
    await startFakeUpstream({ name: 'up-b' }),
    await startFakeUpstream({ name: 'up-c' }),
  ];
  const providers = fakes.map(providerFor);
  const dispatch: DispatchConfig = {
    max_attempts: 4, retries_per_target: 1, backoff: { base_ms: 10, cap_ms: 100 },
    timeouts: { attempt_ms: 2000, idle_ms: 2000, total_ms: 5000 },
    retry_budget: { ratio: 0.2, min_per_second: 5 },
    cooldown: breaker ? { consecutive_failures: 5, base_ms: 10_000, max_ms: 300_000, max_ejected_percent: 50 } : { consecutive_failures: 1_000_000 },
  };
  // Warm up (JIT, connections) on a throwaway dispatcher with every upstream healthy.
  fakes[0].setDefault('ok');
  const warm = createDispatcher({ config: { dispatch, providers: new Map(providers.map((p) => [p.id, p])) } });
  await load(warm, providers, fakes, 300, 32, ALL);
  await warm.close();
  fakes[0].setDefault('status:503');
  const d = createDispatcher({ config: { dispatch, providers: new Map(providers.map((p) => [p.id, p])) } });
  const stats = await load(d, providers, fakes, 1000, 32, ALL);
  const budget = dispatch.retry_budget!;
  // The budget is a sliding one-second window: ratio × requests + min_per_second per started second.
  const bound = 1 + budget.ratio! + (budget.min_per_second! * Math.ceil(stats.seconds)) / stats.requests;
  await d.close();
  await Promise.all(fakes.map((f) => f.close()));
  return {
    ...stats,
    errorRate: stats.errors / stats.requests,
    callsPerRequest: Math.round((stats.upstreamCalls / stats.requests) * 1000) / 1000,
    bound: Math.round(bound * 1000) / 1000,
  };
}

async function scenarioB() {
  const fakes = [
    await startFakeUpstream({ name: 'down-5xx', defaultFault: 'status:503' }),
    await startFakeUpstream({ name: 'down-hang', defaultFault: 'hang' }),
    await startFakeUpstream({ name: 'down-reset', defaultFault: 'reset' }),
  ];
  const providers = fakes.map(providerFor);
  const dispatch: DispatchConfig = {
    max_attempts: 4, retries_per_target: 1, backoff: { base_ms: 20, cap_ms: 200 },
    timeouts: { attempt_ms: 300, idle_ms: 300, total_ms: 1000 },
    retry_budget: { ratio: 0.2, min_per_second: 5 },
    cooldown: { consecutive_failures: 5, base_ms: 10_000, max_ms: 300_000, max_ejected_percent: 50 },
  };
  const d = createDispatcher({ config: { dispatch, providers: new Map(providers.map((p) => [p.id, p])) } });
  const stats = await load(d, providers, fakes, 300, 32, ALL);
  // A second pass with a budget that never runs out, so requests really use every attempt.
  const d2 = createDispatcher({ config: { dispatch: { ...dispatch, retry_budget: { ratio: 1, min_per_second: 10_000 }, cooldown: { consecutive_failures: 1_000_000 } }, providers: new Map(providers.map((p) => [p.id, p])) } });
  const unbudgeted = await load(d2, providers, fakes, 300, 32, ALL);
  await d.close();
  await d2.close();
  await Promise.all(fakes.map((f) => f.close()));
  return { maxAttempts: dispatch.max_attempts!, totalMs: dispatch.timeouts!.total_ms!, withDefaults: stats, unlimitedBudget: unbudgeted };
}

const a = await scenarioA(true);
const a2 = await scenarioA(false);
const b = await scenarioB();

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ a, aWithoutBreaker: a2, b }, null, 2));
} else {
  const line = (k: string, v: unknown) => console.log(`  ${k.padEnd(34)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  console.log('(a) 3 upstreams, one failing 100% with 503, 1,000 requests, 32 in flight');
  line('client-visible error rate', `${(a.errorRate * 100).toFixed(2)} % (${a.errors} errors)`);
  line('upstream calls per request', `${a.callsPerRequest} (bound 1 + ratio + min/s share = ${a.bound})`);
  line('max calls in one request', a.maxCallsPerRequest);
  line('latency p50 / p99 (ms)', `${a.p50Ms} / ${a.p99Ms}`);
  console.log('(a\') same, circuit breaker disabled: the retry budget alone');
  line('client-visible error rate', `${(a2.errorRate * 100).toFixed(2)} % (${a2.errors} errors ${JSON.stringify(a2.errorCodes)})`);
  line('upstream calls per request', `${a2.callsPerRequest} (bound ${a2.bound})`);
  console.log(`(b) every upstream failing (503 / hang / reset), max_attempts ${b.maxAttempts}, total deadline ${b.totalMs} ms, 300 requests`);
  for (const [name, s] of [['default budget + breaker', b.withDefaults], ['unlimited budget, no breaker', b.unlimitedBudget]] as const) {
    console.log(`  ${name}:`);
    line('  errors', `${s.errors}/${s.requests} ${JSON.stringify(s.errorCodes)}`);
    line('  max upstream calls in one request', s.maxCallsPerRequest);
    line('  time to error p99 / max (ms)', `${s.p99ErrorMs} / ${s.maxErrorMs}`);
  }
}
