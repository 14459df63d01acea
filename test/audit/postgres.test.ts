import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createAuditLog } from '../../src/audit/log.js';
import { postgresSink } from '../../src/audit/sinks/postgres.js';
import { sqlReader } from '../../src/audit/query.js';
import { postgres } from '../../src/audit/sql/dialect.js';
import { makeEvents } from './fixtures.js';
import { startTcpProxy } from '../fakes/tcp-proxy.js';
import { storedEvent } from '../../src/audit/stored.js';
import { sinkContract } from './sink-contract.js';

const url = process.env.SY_TEST_POSTGRES_URL ?? '';
const skip = url ? undefined : 'PostgreSQL not available at 127.0.0.1:5432';

async function drop(table: string): Promise<void> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table}_fallbacks"; DROP TABLE IF EXISTS "${table}_old"; DROP TABLE IF EXISTS "${table}_old_fallbacks"`);
  } finally {
    await c.end();
  }
}

sinkContract('postgres', async (table, retention) => ({
  driver: postgresSink({ type: 'postgres', url, table, retention }),
  cleanup: () => drop(table),
  dialect: postgres,
  async exec(sql) {
    const c = new pg.Client(url);
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  },
}), skip);

describe('postgres sink shared by several gateway instances', { skip }, () => {
  it('instances starting together create the table once and all their events land', async () => {
    const table = `sy_multi_${process.pid}_${Date.now().toString(36)}`;
    const events = makeEvents(900);
    const logs = [0, 1, 2].map(() => createAuditLog({ sinks: [{ type: 'postgres', url, table, batch_size: 40 }] }, { logger: { warn() {}, error() {} } }));
    try {
      events.forEach((e, i) => logs[i % 3].recordEvent(e));
      await Promise.all(logs.map((l) => l.flush()));
      assert.deepEqual(logs.map((l) => l.stats()[0].written), [300, 300, 300]);
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await logs[0].query({ limit: 250, cursor });
        ids.push(...page.events.map((e) => e.decision_id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      assert.deepEqual(ids, events.map((e) => e.decision_id).reverse());
    } finally {
      await Promise.all(logs.map((l) => l.close()));
      await drop(table);
    }
  });
});

describe('postgres sink when the database stops answering', { skip }, () => {
  const table = () => `sy_stall_${process.pid}_${Date.now().toString(36)}`;
  /** Settles with 'timeout' after `ms` unless `p` settles first. */
  const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => 'settled', () => 'rejected'), new Promise<string>((r) => setTimeout(() => r('timeout'), ms).unref())]);

  it('a write on a connection that went silent fails, and the next one goes through on a new connection, once', async () => {
    const name = table();
    const proxy = await startTcpProxy(5432);
    const target = new URL(url);
    target.host = proxy.address;
    const driver = postgresSink({ type: 'postgres', url: target.toString(), table: name }, { queryTimeoutMs: 300, connectTimeoutMs: 300 });
    const events = makeEvents(30);
    const stored = (from: number, to: number) => events.slice(from, to).map((e) => storedEvent(e));
    try {
      await driver.open();
      await driver.write(stored(0, 10));
      proxy.stall();
      assert.equal(await within(driver.write(stored(10, 20)), 3000), 'rejected', 'the write gives up instead of waiting for ever');
      proxy.pass();
      await driver.write(stored(10, 30));
      const c = new pg.Client(url);
      await c.connect();
      try {
        const { rows } = await c.query(`SELECT count(*)::int AS n, count(DISTINCT decision_id)::int AS d FROM "${name}"`);
        assert.deepEqual(rows[0], { n: 30, d: 30 });
      } finally {
        await c.end();
      }
      assert.equal(await within(driver.close(), 3000), 'settled');
    } finally {
      await proxy.close();
      await drop(name);
    }
  });

  it('retention on a connection that went silent fails rather than holding its connection', async () => {
    const name = table();
    const proxy = await startTcpProxy(5432);
    const target = new URL(url);
    target.host = proxy.address;
    const driver = postgresSink({ type: 'postgres', url: target.toString(), table: name, retention: { max_rows: 5 } }, { queryTimeoutMs: 300, connectTimeoutMs: 300 });
    try {
      await driver.open();
      await driver.write(makeEvents(10).map((e) => storedEvent(e)));
      proxy.stall();
      assert.equal(await within(driver.retain!(new Date()), 3000), 'rejected');
      proxy.pass();
      assert.equal(await driver.retain!(new Date()), 5);
      assert.equal(await within(driver.close(), 3000), 'settled');
    } finally {
      await proxy.close();
      await drop(name);
    }
  });

  it('shutdown with a backlog ends even while the database is silent, counting what it could not write', async () => {
    const name = table();
    const proxy = await startTcpProxy(5432);
    const target = new URL(url);
    target.host = proxy.address;
    const driver = postgresSink({ type: 'postgres', url: target.toString(), table: name }, { queryTimeoutMs: 300, connectTimeoutMs: 300 });
    const log = createAuditLog({ sinks: [{ type: 'postgres', batch_size: 10, flush_interval_ms: 5 }] }, { drivers: [driver], closeTimeoutMs: 500, backoff: { baseMs: 20, maxMs: 50 }, logger: { warn() {}, error() {} } });
    const events = makeEvents(25);
    try {
      events.slice(0, 5).forEach((e) => log.recordEvent(e));
      await log.flush();
      assert.equal(log.stats()[0].written, 5);
      proxy.stall();
      events.slice(5).forEach((e) => log.recordEvent(e));
      assert.equal(await within(log.close(), 5000), 'settled', 'close() returns');
      const s = log.stats()[0];
      assert.equal(s.written + s.dropped, 25, 'every event written or counted as dropped');
    } finally {
      await proxy.close();
      await drop(name);
    }
  });
});

describe('postgres audit lookups', { skip }, () => {
  it("finds an event by its provider's id without reading the other events", async () => {
    const table = `sy_lookup_${process.pid}_${Date.now().toString(36)}`;
    const driver = postgresSink({ type: 'postgres', url, table });
    const c = new pg.Client(url);
    await c.connect();
    try {
      await driver.open();
      await driver.write(makeEvents(400).map((e) => storedEvent(e)));
      await c.query(`ANALYZE "${table}"; ANALYZE "${table}_fallbacks"`);
      const issued: { sql: string; params: readonly unknown[] }[] = [];
      const reader = sqlReader({ dialect: postgres, all: async (sql, params) => { issued.push({ sql, params }); return (await c.query(sql, params as unknown[])).rows; } }, table);
      assert.deepEqual((await reader.query({ upstream_request_id: 'up-76' })).events.map((e) => e.decision_id), ['dec-000076']);
      assert.deepEqual((await reader.query({ upstream_request_id: 'up-30-0' })).events.map((e) => e.decision_id), ['dec-000030']);
      for (const { sql, params } of issued) {
        const [{ 'QUERY PLAN': [plan] }] = (await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params as unknown[])).rows;
        // Rows of the events table the page's scan of it read: found, or read and filtered out.
        let read = 0;
        const walk = (n: Record<string, unknown>) => {
          if (n['Relation Name'] === table && n['Alias'] === 'e') read += (Number(n['Actual Rows']) + Number(n['Rows Removed by Filter'] ?? 0)) * Number(n['Actual Loops']);
          for (const child of (n['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk(plan.Plan);
        // Two INs joined by OR were a filter checked on every event (1.7 s over a million).
        assert.ok(read <= 2, `the lookup read ${read} events of 400`);
      }
    } finally {
      await c.end();
      await driver.close();
      await drop(table);
    }
  });
});
