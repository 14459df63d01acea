/** Mock provider behaviour, read once per options object from provider `options`. */

export interface MockBehaviour {
  /** Wait before answering (`latency_ms`). */
  latencyMs: number;
  /** Wait between stream chunks (`chunk_delay_ms`). */
  chunkDelayMs: number;
  /** Content chunks per streamed reply (`chunks`, default 4). */
  chunks: number;
  /** Completion tokens to report, the reply padded to about 4 characters each (`output_tokens`). */
  outputTokens: number | undefined;
  /** Embedding size when the request names none (`dimensions`, default 8). */
  dimensions: number;
  /** Share of requests that fail (`fail_rate`, 0–1), drawn from the injected RNG. */
  failRate: number;
  /** Status of those failures (`fail_status`, default 500). */
  failStatus: number;
  /** Models listed by GET /models (`models`). */
  models: string[];
}

function num(v: unknown, dflt: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : dflt;
}

const cache = new WeakMap<object, MockBehaviour>();
const DEFAULTS = read({});

function read(o: Record<string, unknown>): MockBehaviour {
  return {
    latencyMs: num(o.latency_ms, 0, 0, 600_000),
    chunkDelayMs: num(o.chunk_delay_ms, 0, 0, 60_000),
    chunks: Math.floor(num(o.chunks, 4, 1, 100_000)),
    outputTokens: typeof o.output_tokens === 'number' && o.output_tokens >= 0 ? Math.floor(o.output_tokens) : undefined,
    dimensions: Math.floor(num(o.dimensions, 8, 1, 65_536)),
    failRate: num(o.fail_rate, 0, 0, 1),
    failStatus: Math.floor(num(o.fail_status, 500, 400, 599)),
    models: Array.isArray(o.models) && o.models.every((m) => typeof m === 'string') ? (o.models as string[]) : ['mock-model'],
  };
}

export function mockBehaviour(options: Record<string, unknown> | undefined): MockBehaviour {
  if (!options) return DEFAULTS;
  let b = cache.get(options);
  if (!b) {
    b = read(options);
    cache.set(options, b);
  }
  return b;
}
