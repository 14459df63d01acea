/**
 * The audit log's figures:
 *  1. capacity: events/s the SQLite sink sustains through AuditLog (batched, one
 *     transaction per batch, every index), writer thread vs inline, by batch size; the
 *     same for PostgreSQL when one is reachable;
 *  2. request-path cost at a steady rate (a gateway at its peak): event-loop delay with
 *     audit off, SQLite on its writer thread, and SQLite inline;
 *  3. replay of 10,000 recorded decisions (real router, read back from SQLite): the
 *     share reproduced identically, and replays/s.
 * Usage: tsx bench/audit-sink.ts [--events 100000] [--rate 3000] [--replay 10000] [--postgres URL]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { createAuditLog } from '../src/audit/log.js';
import { replayEvent } from '../src/audit/replay.js';
import type { SinkDriver } from '../src/audit/sinks/types.js';
import { sqliteSink } from '../src/audit/sinks/sqlite.js';
import { postgresSink } from '../src/audit/sinks/postgres.js';
import type { AuditSink } from '../src/types/gateway-config.js';
import type { AuditEventV1 } from '../src/types/audit-event.js';
import { fixtureConfig, fixtureRouter, trafficEvents } from '../test/audit/traffic.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const EVENTS = Number(arg('events', '100000'));
const REPLAY = Number(arg('replay', '10000'));
const RATE = Number(arg('rate', '3000'));
const PG_URL = arg('postgres', process.env.SY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const silent = { warn() {}, error() {} };

/** `n` distinct events cycled from a pool of real router decisions. */
function workload(n: number): AuditEventV1[] {
  const pool = trafficEvents(fixtureRouter(fixtureConfig()), Math.min(n, 20_000), 42);
  return Array.from({ length: n }, (_, i) => ({ ...pool[i % pool.length], decision_id: `bench-${i}`, request_id: `req-${i}` }));
}

/** Wraps a driver to time each batch write. */
function timed(driver: SinkDriver, writes: number[]): SinkDriver {
  return { ...driver, write: async (events) => { const t = performance.now(); await driver.write(events); writes.push(performance.now() - t); } };
}

async function throughput(label: string, make: () => SinkDriver, sink: AuditSink, events: AuditEventV1[]): Promise<void> {
  const writes: number[] = [];
  const log = createAuditLog({ sinks: [sink] }, { drivers: [timed(make(), writes)], logger: silent, flushTimeoutMs: 600_000 });
  await log.flush();
  const t0 = performance.now();
  for (const e of events) log.recordEvent(e);
  const recordMs = performance.now() - t0;
  await log.flush();
  const seconds = (performance.now() - t0) / 1000;
  const s = log.stats()[0];
  await log.close();
  writes.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(30)} ${String(Math.round(s.written / seconds)).padStart(8)} events/s   ` +
    `record() ${((recordMs * 1000) / events.length).toFixed(2)} µs/event   ` +
    `batch write p50 ${writes[Math.floor(writes.length / 2)].toFixed(1)} ms, max ${writes[writes.length - 1].toFixed(1)} ms   ` +
    `(written ${s.written}, dropped ${s.dropped})`,
  );
}

/** Records `rate` events/s for `seconds` in 5 ms ticks; reports event-loop delay while doing it. */
async function paced(label: string, make: (() => SinkDriver) | null, events: AuditEventV1[], rate: number, seconds: number): Promise<void> {
  const log = make ? createAuditLog({ sinks: [{ type: 'sqlite' }] }, { drivers: [make()], logger: silent }) : null;
  await log?.flush();
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let i = 0;
  const perTick = (rate * 5) / 1000;
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      // A little work per "request", as serving one would do.
      for (let k = 0; k < perTick && i < events.length; k++) {
        const e = events[i++];
        if (log) log.recordEvent(e);
        else JSON.stringify(e.decision);
      }
      if (i >= rate * seconds || i >= events.length) {
        clearInterval(t);
        resolve();
      }
    }, 5);
  });
  h.disable();
  await log?.close();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.log(`${label.padEnd(30)} event-loop delay p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms${log ? `   (written ${log.stats()[0].written})` : ''}`);
}

async function postgresReachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sy-bench-audit-'));
try {
  console.log(`\naudit sink throughput: ${EVENTS} synthetic events from real router decisions (buffer ${EVENTS}, all indexes)\n`);
  const events = workload(EVENTS);
  const bytes = events.slice(0, 1000).reduce((n, e) => n + JSON.stringify(e).length, 0) / 1000;
  console.log(`event size: ${Math.round(bytes)} bytes of JSON on average\n`);
  for (const writer of ['thread', 'inline'] as const) {
    for (const batch of [50, 500, 2000]) {
      const path = join(dir, `${writer}-${batch}.db`);
      await throughput(`sqlite ${writer} batch_size ${batch}`, () => sqliteSink({ type: 'sqlite', path }, { writer }), { type: 'sqlite', batch_size: batch, buffer_size: EVENTS }, events);
    }
  }
  if (await postgresReachable(PG_URL)) {
    const table = `sy_bench_${process.pid}`;
    try {
      for (const batch of [50, 500, 2000]) {
        await throughput(`postgres batch_size ${batch}`, () => postgresSink({ type: 'postgres', url: PG_URL, table: `${table}_${batch}` }), { type: 'postgres', batch_size: batch, buffer_size: EVENTS }, events);
      }
    } finally {
      const c = new pg.Client(PG_URL);
      await c.connect();
      for (const batch of [50, 500, 2000]) await c.query(`DROP TABLE IF EXISTS "${table}_${batch}"; DROP TABLE IF EXISTS "${table}_${batch}_fallbacks"`);
      await c.end();
    }
  } else {
    console.log('postgres: not reachable, skipped');
  }

  console.log(`\nrequest-path cost: ${RATE} events/s for 5 s (default batch_size 500, flush_interval_ms 200)\n`);
  await paced('audit off', null, events, RATE, 5);
  await paced('sqlite, writer thread', () => sqliteSink({ type: 'sqlite', path: join(dir, 'paced-thread.db') }), events, RATE, 5);
  await paced('sqlite, inline', () => sqliteSink({ type: 'sqlite', path: join(dir, 'paced-inline.db') }, { writer: 'inline' }), events, RATE, 5);

  console.log(`\nreplay: ${REPLAY} decisions recorded through the SQLite sink, read back, replayed with a fresh router\n`);
  const config = fixtureConfig();
  const recorded = trafficEvents(fixtureRouter(config), REPLAY, 2024);
  const path = join(dir, 'replay.db');
  const log = createAuditLog({ sinks: [{ type: 'sqlite', path, buffer_size: REPLAY }] }, { logger: silent });
  for (const e of recorded) log.recordEvent(e);
  await log.flush();
  const stored: AuditEventV1[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.query({ limit: 1000, cursor });
    stored.push(...page.events);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  await log.close();
  const router = fixtureRouter(config);
  const t0 = performance.now();
  const identical = stored.filter((e) => replayEvent(router, e).identical).length;
  const seconds = (performance.now() - t0) / 1000;
  const via = new Map<string, number>();
  for (const e of stored) via.set(e.decision.rule_id ?? e.decision.via, (via.get(e.decision.rule_id ?? e.decision.via) ?? 0) + 1);
  console.log(`read back ${stored.length}; mix: ${[...via].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`with unavailable targets: ${stored.filter((e) => e.inputs.unavailable?.length).length}, shadow matches: ${stored.filter((e) => e.decision.shadow_matches.length).length}`);
  console.log(`reproduced identically: ${identical}/${stored.length} = ${((identical / stored.length) * 100).toFixed(2)}%   (${Math.round(stored.length / seconds)} replays/s)\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
