/**
 * Runs the Redis budget concurrency scenario many times and prints the largest
 * overspend seen (committed spend above the $1.00 limit; the target is 0).
 *
 *   npx tsx bench/overspend.ts [--runs 50] [--processes] [--url redis://127.0.0.1:6379/15]
 *
 * Each run uses a fresh key prefix and three gateways firing 1,000 requests at once:
 * three Redis connections in this process, requests interleaved, 30 started per turn of
 * the event loop (default), or three Node processes firing 334 + 333 + 333 (--processes).
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../src/governance/index.js';
import { burstAcross, burstGovernance, burstSpend, warmUp, BURST_LIMIT_USD, type BurstResult } from '../test/governance/fixtures/burst.js';
import { burstInProcesses } from '../test/governance/fixtures/processes.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    processes: { type: 'boolean', default: false },
    url: { type: 'string', default: process.env.SY_TEST_REDIS_URL || 'redis://127.0.0.1:6379/15' },
  },
});
const runs = Number(values.runs);
const url = values.url;
const counts = [334, 333, 333];

async function cleanup(prefix: string): Promise<void> {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await r.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await r.quit();
}

let maxOverspend = 0;
let minOk = Infinity;
let maxOk = 0;
let errors = 0;
const started = Date.now();
for (let i = 0; i < runs; i++) {
  const prefix = `sybench:overspend:${randomBytes(4).toString('hex')}:`;
  const observer = burstGovernance(new RedisStore({ url, prefix }));
  let results: BurstResult[];
  if (values.processes) {
    results = await burstInProcesses(url, prefix, counts);
  } else {
    const govs = counts.map(() => burstGovernance(new RedisStore({ url, prefix })));
    await Promise.all(govs.map(warmUp));
    results = await burstAcross(govs, 1000, 30);
    await Promise.all(govs.map((g) => g.close()));
  }
  const { spent } = await burstSpend(observer);
  await observer.close();
  await cleanup(prefix);
  const ok = results.reduce((n, r) => n + r.ok, 0);
  errors += results.reduce((n, r) => n + r.errors.length, 0);
  maxOverspend = Math.max(maxOverspend, spent - BURST_LIMIT_USD);
  minOk = Math.min(minOk, ok);
  maxOk = Math.max(maxOk, ok);
  process.stderr.write(`run ${i + 1}/${runs}: ${ok} admitted (${results.map((r) => r.ok).join('+')}), spent $${spent.toFixed(9)}\n`);
}
console.log(JSON.stringify({
  mode: values.processes ? '3 processes' : '3 connections in one process',
  runs,
  requests_per_run: counts.reduce((a, b) => a + b, 0),
  max_overspend_usd: Math.max(0, maxOverspend),
  admitted_per_run: minOk === maxOk ? minOk : `${minOk}-${maxOk}`,
  errors,
  seconds: (Date.now() - started) / 1000,
}));
