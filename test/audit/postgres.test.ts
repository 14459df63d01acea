import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createAuditLog } from '../../src/audit/log.js';
import { postgresSink } from '../../src/audit/sinks/postgres.js';
import { postgres } from '../../src/audit/sql/dialect.js';
import { makeEvents } from './fixtures.js';
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
