/**
 * A small load generator: open-loop (requests fired on an even schedule, latency
 * measured from the scheduled send time so a stalled server cannot hide its queue)
 * or closed-loop at saturation (N workers back to back).
 */
import { Pool } from 'undici';

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  seconds: number;
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  /** Streaming: time to first body byte, ms. */
  ttfbP50?: number;
  ttfbP99?: number;
  /** Server-Timing `sy;dur=` values reported by the gateway, ms. */
  serverTimingP50?: number;
}

export interface LoadSpec {
  url: string;
  path: string;
  body: string;
  /** Fixed headers, or a function called per request (a different virtual key each time). */
  headers?: Record<string, string> | (() => Record<string, string>);
  stream?: boolean;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function makePool(url: string, connections: number) {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

async function one(pool: Pool, spec: LoadSpec, started: number, lat: number[], ttfb: number[], st: number[]): Promise<boolean> {
  const res = await pool.request({
    method: 'POST', path: spec.path, body: spec.body,
    headers: { 'content-type': 'application/json', ...(typeof spec.headers === 'function' ? spec.headers() : spec.headers) },
  });
  let first = true;
  for await (const _chunk of res.body) {
    if (first) { ttfb.push(performance.now() - started); first = false; }
  }
  lat.push(performance.now() - started);
  const timing = res.headers['server-timing'];
  if (typeof timing === 'string') {
    const m = /sy;dur=([0-9.]+)/.exec(timing);
    if (m) st.push(Number(m[1]));
  }
  return res.statusCode === 200;
}

function summarize(lat: number[], ttfb: number[], st: number[], sent: number, ok: number, seconds: number): LoadResult {
  lat.sort((a, b) => a - b); ttfb.sort((a, b) => a - b); st.sort((a, b) => a - b);
  return {
    sent, ok, errors: sent - ok, seconds, rps: ok / seconds,
    p50: percentile(lat, 50), p99: percentile(lat, 99),
    ttfbP50: ttfb.length ? percentile(ttfb, 50) : undefined,
    ttfbP99: ttfb.length ? percentile(ttfb, 99) : undefined,
    serverTimingP50: st.length ? percentile(st, 50) : undefined,
  };
}

/** Fires `rate` requests per second, evenly spaced, for `seconds`. */
export async function openLoop(spec: LoadSpec, rate: number, seconds: number): Promise<LoadResult> {
  const pool = makePool(spec.url, 256);
  const lat: number[] = [], ttfb: number[] = [], st: number[] = [];
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const t0 = performance.now();
  let sent = 0, ok = 0;
  const inflight: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + sent * interval <= now) {
        const scheduled = t0 + sent * interval;
        sent++;
        inflight.push(one(pool, spec, scheduled, lat, ttfb, st).then((g) => { if (g) ok++; }, () => {}));
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + sent * interval - performance.now())));
      else resolve();
    };
    tick();
  });
  await Promise.all(inflight);
  const seconds2 = (performance.now() - t0) / 1000;
  await pool.close();
  return summarize(lat, ttfb, st, sent, ok, seconds2);
}

/** `concurrency` workers back to back for `seconds`: peak throughput. */
export async function closedLoop(spec: LoadSpec, concurrency: number, seconds: number): Promise<LoadResult> {
  const pool = makePool(spec.url, concurrency);
  const lat: number[] = [], ttfb: number[] = [], st: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let sent = 0, ok = 0;
  const worker = async () => {
    while (performance.now() < end) {
      sent++;
      try { if (await one(pool, spec, performance.now(), lat, ttfb, st)) ok++; } catch { /* counted as error */ }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  return summarize(lat, ttfb, st, sent, ok, secs);
}
