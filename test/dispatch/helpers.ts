/** Shared setup for the dispatch suites: providers pointed at fake upstreams, plans, a fake clock. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ProxyPlan } from '../../src/config/proxy.js';
import type { ChatRequest, EmbeddingsRequest } from '../../src/canonical.js';
import type { ResolvedProvider } from '../../src/config/types.js';
import { createDispatcher, type Dispatcher, type DispatcherOptions } from '../../src/dispatch/index.js';
import type { Plan, PlanTarget } from '../../src/dispatch/types.js';
import type { FallbackReason } from '../../src/errors.js';
import type { Concurrency, DispatchConfig, UpstreamConfig } from '../../src/types/gateway-config.js';

export interface ProviderSpec {
  type?: 'openai' | 'anthropic' | 'openai-compatible' | 'mock';
  /** Fake upstream URL (`http://127.0.0.1:port`); the `/v1` base path is added for OpenAI types. */
  url?: string;
  keys?: string[];
  concurrency?: Concurrency;
  options?: Record<string, unknown>;
}

export function provider(id: string, spec: ProviderSpec): ResolvedProvider {
  const type = spec.type ?? 'openai';
  const baseUrl = spec.url === undefined ? null : type === 'anthropic' ? spec.url : `${spec.url}/v1`;
  const keyNames = spec.keys ?? (type === 'mock' ? [] : [`${id}-key`]);
  return {
    id,
    type,
    enabled: true,
    weight: 1,
    baseUrl,
    headers: {},
    options: spec.options ?? (type === 'openai-compatible' ? { auth: 'none' } : {}),
    models: null,
    keys: keyNames.map((name) => ({ name, value: `secret-${name}`, models: null, weight: 1, enabled: true })),
    config: { type, concurrency: spec.concurrency },
  };
}

export function target(p: ResolvedProvider, model = 'gpt-test', key: string | null = null): PlanTarget {
  return { provider: p, model, key };
}

export const ALL_REASONS: FallbackReason[] = ['rate_limited', 'server_error', 'timeout', 'connection_error', 'stream_error', 'auth_error', 'overloaded'];

export function plan(primary: PlanTarget, fallbacks: PlanTarget[] = [], fallbackOn: FallbackReason[] = ALL_REASONS): Plan {
  return { primary, fallbacks, fallbackOn };
}

export function chatRequest(stream = false): ChatRequest {
  return { kind: 'chat', model: 'gpt-test', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream, maxTokens: 16 };
}

export function embeddingsRequest(): EmbeddingsRequest {
  return { kind: 'embeddings', model: 'embed-test', input: ['hello'] };
}

/** A clock that moves only when told to, and a sleep that moves it instead of waiting. */
export class FakeClock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

/** Deterministic draws: a fixed sequence, repeated. */
export function seq(...draws: number[]): () => number {
  let i = 0;
  return () => draws[i++ % draws.length];
}

export interface Setup {
  providers: ResolvedProvider[];
  dispatch?: DispatchConfig;
  upstream?: UpstreamConfig;
  /** `real`: performance.now and real sleeps, for deadline tests where time must pass. */
  clock?: FakeClock | 'real';
  rng?: () => number;
  keysFor?: DispatcherOptions['keysFor'];
  proxy?: ProxyPlan;
  extraCa?: string;
}

/** Defaults tuned for fast tests: short timers, no real waits, generous budget. */
export function dispatcher(s: Setup): Dispatcher {
  const clock = s.clock === 'real' ? undefined : (s.clock ?? new FakeClock());
  return createDispatcher({
    config: {
      dispatch: {
        max_attempts: 4,
        retries_per_target: 1,
        backoff: { base_ms: 100, cap_ms: 2000 },
        timeouts: { attempt_ms: 2000, response_ms: 2000, idle_ms: 2000, total_ms: 30_000 },
        retry_budget: { ratio: 1, min_per_second: 100 },
        cooldown: { consecutive_failures: 5, base_ms: 10_000, max_ms: 300_000, max_ejected_percent: 50 },
        ...s.dispatch,
      },
      upstream: { connect_timeout_ms: 1000, headers_timeout_ms: 5000, body_timeout_ms: 5000, ...s.upstream },
      providers: new Map(s.providers.map((p) => [p.id, p])),
      proxy: s.proxy,
      extraCa: s.extraCa,
    },
    clock,
    rng: s.rng ?? (() => 0.5),
    sleep: clock?.sleep,
    keysFor: s.keysFor,
  });
}

export function signal(): AbortSignal {
  return new AbortController().signal;
}

/** Runs `fn` expecting a rejection; returns the error. */
export async function rejection<T = Error>(p: Promise<unknown>): Promise<T> {
  try {
    await p;
  } catch (err) {
    return err as T;
  }
  throw new Error('expected a rejection');
}

/**
 * An upstream on 127.0.0.1 whose every answer the test writes by hand: `answer` gets each
 * request once its body has been read. `close` ends open connections too.
 */
export async function scriptedUpstream(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
