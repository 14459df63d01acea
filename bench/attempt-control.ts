/**
 * What an attempt's timer costs per request: AttemptControl's lifecycle as dispatch runs
 * it for a non-streamed chat call (arm response_ms before the write → the first body chunk
 * swaps to idle_ms → clear at the end), with `open` other attempts in flight.
 *
 * Usage: npx tsx bench/attempt-control.ts [chunks]
 *   chunks: body chunks after the first (each refreshes the idle timer); default 0.
 */
import { performance } from 'node:perf_hooks';
import { AttemptControl } from '../src/dispatch/control.js';

const chunks = Number(process.argv[2] ?? 0);
const RESPONSE_MS = 600_000;
const IDLE_MS = 30_000;

function lifecycle(c: AttemptControl): void {
  c.arm(RESPONSE_MS, 'response_timeout');
  c.arm(IDLE_MS, 'idle_timeout');
  for (let i = 0; i < chunks; i++) c.refresh();
  c.clear();
}

/**
 * ns per request: each round starts one attempt's timer, and finishes the oldest of `open`
 * in flight, so that many controls stay armed (as at that concurrency). The controls are
 * made before the clock starts: only the timer's cost is measured.
 */
function run(open: number, n: number): number {
  const fresh = Array.from({ length: n + open }, () => new AttemptControl());
  const ring = fresh.slice(n);
  for (const c of ring) c.arm(RESPONSE_MS, 'response_timeout');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (open === 0) {
      lifecycle(fresh[i]);
      continue;
    }
    const slot = i % open;
    const old = ring[slot];
    old.arm(IDLE_MS, 'idle_timeout');
    for (let k = 0; k < chunks; k++) old.refresh();
    old.clear();
    const c = fresh[i];
    c.arm(RESPONSE_MS, 'response_timeout');
    ring[slot] = c;
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  for (const c of ring) c.clear();
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

for (const open of [0, 1, 500]) run(open, 50_000);
for (const open of [0, 1, 500]) {
  const rounds: number[] = [];
  for (let r = 0; r < 15; r++) {
    rounds.push(run(open, 100_000));
    await settle();
  }
  const label = open === 0 ? 'alone' : `${open} in flight`;
  console.log(`${label.padEnd(14)} ${median(rounds).toFixed(0).padStart(5)} ns/request (min ${Math.min(...rounds).toFixed(0)})`);
}
