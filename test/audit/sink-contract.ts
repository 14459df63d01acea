/**
 * The one suite every database sink passes: write, query by every filter, page,
 * summarize, retain. Expected answers come from a plain-JS reference over the events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuditLog, type AuditLog } from '../../src/audit/log.js';
import type { AuditFilter } from '../../src/audit/filter.js';
import type { AuditReader, FallbackCount, RuleCount, TeamSpend } from '../../src/audit/query.js';
import type { SinkDriver } from '../../src/audit/sinks/types.js';
import type { Dialect } from '../../src/audit/sql/dialect.js';
import { storedEvent } from '../../src/audit/stored.js';
import type { AuditSink } from '../../src/types/gateway-config.js';
import type { AuditEventV1 } from '../../src/types/audit-event.js';
import { BASE_TS, makeEvents } from './fixtures.js';

export interface SinkUnderTest {
  driver: SinkDriver;
  /** Drops the tables / files. */
  cleanup(): Promise<void>;
  /** Runs SQL straight on the store (to lay out tables as an earlier version made them). */
  exec(sql: string): Promise<void>;
  dialect: Dialect;
}
export type SinkFactory = (table: string, retention?: AuditSink['retention']) => Promise<SinkUnderTest>;

const silent = { warn() {}, error() {} };

function destination(e: AuditEventV1) {
  return e.outcome.served_provider
    ? { provider: e.outcome.served_provider, model: e.outcome.served_model }
    : { provider: e.decision.selected?.provider ?? null, model: e.decision.selected?.model ?? null };
}

/** The filter semantics, in plain JS. */
function matches(e: AuditEventV1, f: AuditFilter): boolean {
  const ts = Date.parse(e.ts);
  const d = destination(e);
  if (f.from && ts < f.from.getTime()) return false;
  if (f.to && ts >= f.to.getTime()) return false;
  if (f.rule_id !== undefined && e.decision.rule_id !== f.rule_id) return false;
  if (f.via !== undefined && e.decision.via !== f.via) return false;
  if (f.provider !== undefined && d.provider !== f.provider) return false;
  if (f.model !== undefined && d.model !== f.model) return false;
  if (f.customer !== undefined && e.principal.customer !== f.customer) return false;
  if (f.team !== undefined && e.principal.team !== f.team) return false;
  if (f.virtual_key !== undefined && e.principal.virtual_key !== f.virtual_key) return false;
  if (typeof f.status === 'number' && e.outcome.status !== f.status) return false;
  if (typeof f.status === 'string' && Math.floor(e.outcome.status / 100) !== Number(f.status[0])) return false;
  if (f.fallback_reason !== undefined && !e.attempts.some((a) => a.fallback_reason === f.fallback_reason)) return false;
  if (f.decision_id !== undefined && e.decision_id !== f.decision_id) return false;
  if (f.request_id !== undefined && e.request_id !== f.request_id) return false;
  if (f.upstream_request_id !== undefined && !e.attempts.some((a) => a.upstream_request_id === f.upstream_request_id)) return false;
  return true;
}

const newestFirst = (a: AuditEventV1, b: AuditEventV1) => Date.parse(b.ts) - Date.parse(a.ts);

async function allPages(reader: Pick<AuditReader, 'query'>, filter: AuditFilter): Promise<AuditEventV1[]> {
  const out: AuditEventV1[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await reader.query({ ...filter, cursor });
    out.push(...page.events);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
  throw new Error('paging did not end');
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
}

const N = 150;
const at = (i: number) => new Date(BASE_TS + i * 1000);

export const FILTERS: [string, AuditFilter][] = [
  ['everything', {}],
  ['from', { from: at(100) }],
  ['to', { to: at(20) }],
  ['from+to', { from: at(30), to: at(60) }],
  ['rule_id', { rule_id: 'cheap-small' }],
  ['via balance', { via: 'balance' }],
  ['via none', { via: 'none' }],
  ['provider', { provider: 'groq' }],
  ['model', { model: 'gpt-4o-mini' }],
  ['customer', { customer: 'globex' }],
  ['team', { team: 'platform' }],
  ['virtual_key', { virtual_key: 'vk-app' }],
  ['status exact', { status: 429 }],
  ['status class', { status: '5xx' }],
  ['fallback_reason', { fallback_reason: 'timeout' }],
  ['decision_id', { decision_id: 'dec-000042' }],
  ['request_id', { request_id: 'req-77' }],
  ['upstream_request_id of a served call', { upstream_request_id: 'up-76' }],
  ['upstream_request_id of a call that fell back', { upstream_request_id: 'up-30-0' }],
  ['upstream_request_id shared by two events', { upstream_request_id: 'up-shared' }],
  ['upstream_request_id and a window', { upstream_request_id: 'up-shared', from: at(21) }],
  ['combined', { team: 'ml-research', status: '2xx', from: at(10), fallback_reason: 'rate_limited' }],
  ['nothing matches', { rule_id: 'no-such-rule' }],
];

export function sinkContract(name: string, make: SinkFactory, skip?: string): void {
  describe(`${name} sink contract`, { skip }, () => {
    const events = makeEvents(N);
    const table = `sy_audit_${process.pid}_${Date.now().toString(36)}`;
    let sut: SinkUnderTest;
    let log: AuditLog;

    before(async () => {
      sut = await make(table);
      log = createAuditLog({ sinks: [{ type: sut.driver.type, batch_size: 25, flush_interval_ms: 5 }] }, { drivers: [sut.driver], logger: silent });
      // Shuffled arrival: paging must follow ts, not insertion order.
      const shuffled = events.map((e, i) => [e, (i * 7919) % N] as const).sort((a, b) => a[1] - b[1]).map(([e]) => e);
      for (const e of shuffled) log.recordEvent(e);
      log.recordEvent(events[3]); // a duplicate decision id is stored once
      await log.flush();
    });
    after(async () => {
      await log.close();
      await sut.cleanup();
    });

    it('stores every event once, intact', async () => {
      const s = log.stats()[0];
      assert.equal(s.queued, 0);
      assert.equal(s.written, N + 1);
      const all = await allPages(log, { limit: 1000 });
      assert.equal(all.length, N);
      assert.deepEqual(await log.get('dec-000017'), events[17]);
      assert.equal(await log.get('dec-nope'), null);
    });

    for (const [label, filter] of FILTERS) {
      it(`filters by ${label}`, async () => {
        const expected = events.filter((e) => matches(e, filter)).sort(newestFirst).map((e) => e.decision_id);
        const got = (await allPages(log, { ...filter, limit: 9 })).map((e) => e.decision_id);
        assert.deepEqual(got, expected);
        if (label !== 'nothing matches') assert.ok(expected.length > 0, `fixture has events for ${label}`);
      });
    }

    it('pages newest first with a stable cursor', async () => {
      const first = await log.query({ limit: 7 });
      assert.equal(first.events.length, 7);
      assert.ok(first.next_cursor);
      const second = await log.query({ limit: 7, cursor: first.next_cursor });
      assert.equal(second.events[0].decision_id, `dec-${String(N - 8).padStart(6, '0')}`);
      const all = await allPages(log, { limit: 7 });
      assert.deepEqual(all.map((e) => e.decision_id), [...events].sort(newestFirst).map((e) => e.decision_id));
      const last = await log.query({ limit: 10, cursor: (await log.query({ limit: N - 10 })).next_cursor ?? undefined });
      assert.equal(last.events.length, 10);
      assert.equal(last.next_cursor, null);
    });

    it('summarizes counts per rule', async () => {
      const window: AuditFilter = { from: at(10), to: at(130) };
      const inWindow = events.filter((e) => matches(e, window));
      const rows = await log.summary('rules', window);
      const expected = countBy(inWindow, (e) => `${e.decision.via}|${e.decision.rule_id}`);
      assert.equal(rows.length, expected.size);
      for (const r of rows as RuleCount[]) {
        assert.equal(r.count, expected.get(`${r.via}|${r.rule_id}`), `${r.via}|${r.rule_id}`);
        const errs = inWindow.filter((e) => e.decision.via === r.via && e.decision.rule_id === r.rule_id && e.outcome.status >= 400).length;
        assert.equal(r.errors, errs);
      }
      assert.deepEqual(rows.map((r) => r.count), [...rows.map((r) => r.count)].sort((a, b) => b - a));
    });

    it('summarizes fallback reasons per provider', async () => {
      const attempts = events.flatMap((e) => e.attempts.filter((a) => a.fallback_reason));
      const expected = countBy(attempts, (a) => `${a.provider}|${a.fallback_reason}`);
      const rows = (await log.summary('fallbacks', {})) as FallbackCount[];
      assert.deepEqual(new Map(rows.map((r) => [`${r.provider}|${r.fallback_reason}`, r.count])), expected);
      const groq = (await log.summary('fallbacks', { provider: 'groq' })) as FallbackCount[];
      assert.ok(groq.length > 0 && groq.every((r) => r.provider === 'groq'));
      // Filtered by a reason, the rows count that reason, not every fallback of the requests that had it.
      const serverErrors = (await log.summary('fallbacks', { fallback_reason: 'server_error' })) as FallbackCount[];
      assert.deepEqual(new Map(serverErrors.map((r) => [`${r.provider}|${r.fallback_reason}`, r.count])), new Map([...expected].filter(([k]) => k.endsWith('|server_error'))));
    });

    it('summarizes spend per team over a window', async () => {
      const window: AuditFilter = { from: at(0), to: at(75) };
      const inWindow = events.filter((e) => matches(e, window));
      const rows = (await log.summary('spend', window)) as TeamSpend[];
      const teams = new Set(inWindow.map((e) => e.principal.team));
      assert.equal(rows.length, teams.size);
      for (const r of rows) {
        const mine = inWindow.filter((e) => e.principal.team === r.team);
        assert.equal(r.requests, mine.length);
        // To the nano-dollar, as budgets count it: no binary rounding noise for a reconciliation to trip on.
        const nano = mine.reduce((s, e) => s + Math.round((e.outcome.cost_usd ?? 0) * 1e9), 0);
        assert.equal(r.cost_usd, nano / 1e9);
        assert.equal(r.input_tokens, mine.reduce((s, e) => s + (e.outcome.input_tokens ?? 0), 0));
        assert.equal(r.customer, mine[0].principal.customer);
      }
      assert.deepEqual(rows.map((r) => r.cost_usd), [...rows.map((r) => r.cost_usd)].sort((a, b) => b - a));
    });

    it('applies retention by size, then by age', async () => {
      const retained = await make(`${table}_r`, { max_rows: 40, max_age: '1h' });
      const driver = retained.driver;
      try {
        await driver.open();
        await driver.write(events.map((e) => storedEvent(e)));
        // Older than an hour before `now`: everything before event 100 (1 s apart).
        const now = new Date(BASE_TS + 100 * 1000 + 3600 * 1000);
        // max_age alone would keep 100..149; max_rows keeps only 110..149.
        assert.equal(await driver.retain!(now), N - 40);
        const reader = driver.reader!();
        const left = await allPages(reader, { limit: 1000 });
        assert.deepEqual(left.map((e) => e.decision_id), events.slice(N - 40).reverse().map((e) => e.decision_id));
        assert.equal((await reader.query({ upstream_request_id: 'up-76' })).events.length, 0, 'an id of a deleted event finds nothing');
        assert.deepEqual((await reader.query({ upstream_request_id: 'up-120' })).events.map((e) => e.decision_id), ['dec-000120']);
        const fb = (await reader.summary('fallbacks', {})) as FallbackCount[];
        assert.equal(fb.reduce((s, r) => s + r.count, 0), events.slice(N - 40).flatMap((e) => e.attempts.filter((a) => a.fallback_reason)).length);
        const later = new Date(BASE_TS + 140 * 1000 + 3600 * 1000);
        assert.equal(await driver.retain!(later), 30);
        assert.equal((await allPages(reader, { limit: 1000 })).length, 10);
      } finally {
        await driver.close();
        await retained.cleanup();
      }
    });

    it('brings a store made before upstream_request_id up to date when it opens', async () => {
      const old = await make(`${table}_old`);
      const { seq, bigint, real, json } = old.dialect.types;
      try {
        // The tables as the first release made them, holding one event.
        await old.exec(`CREATE TABLE "${table}_old" (seq ${seq}, decision_id TEXT NOT NULL UNIQUE, request_id TEXT NOT NULL, ts_ms ${bigint} NOT NULL,
          via TEXT NOT NULL, rule_id TEXT, provider TEXT, model TEXT, customer TEXT, team TEXT, virtual_key TEXT, status INTEGER NOT NULL,
          cost_usd ${real}, input_tokens ${bigint}, output_tokens ${bigint}, event ${json} NOT NULL)`);
        await old.exec(`CREATE TABLE "${table}_old_fallbacks" (decision_id TEXT NOT NULL, idx INTEGER NOT NULL, ts_ms ${bigint} NOT NULL,
          provider TEXT NOT NULL, model TEXT NOT NULL, fallback_reason TEXT NOT NULL, PRIMARY KEY (decision_id, idx))`);
        const before = { ...events[0], decision_id: 'dec-before' };
        await old.exec(`INSERT INTO "${table}_old" (decision_id, request_id, ts_ms, via, status, event) VALUES ('dec-before', 'req-before', ${Date.parse(before.ts)}, 'balance', 200, '${JSON.stringify(before).replaceAll("'", "''")}')`);
        await old.driver.open();
        await old.driver.write(events.slice(0, 40).map((e) => storedEvent(e)));
        const reader = old.driver.reader!();
        assert.deepEqual((await reader.query({ upstream_request_id: 'up-30-0' })).events.map((e) => e.decision_id), ['dec-000030']);
        assert.deepEqual((await reader.query({ upstream_request_id: 'up-shared' })).events.map((e) => e.decision_id), ['dec-000021', 'dec-000020']);
        assert.equal((await reader.get('dec-before'))?.decision_id, 'dec-before', 'the earlier event is still there');
        assert.equal((await allPages(reader, { limit: 1000 })).length, 41);
      } finally {
        await old.driver.close();
        await old.cleanup();
      }
    });

    it('lists an event whose attempts fell back twice for the reason once, paging through equal times in order', async () => {
      const store = await make(`${table}_fb`);
      try {
        // Three events per second; each fell back twice for rate_limited, then was served.
        const twice = events.slice(0, 30).map((e, i) => {
          const served = { provider: 'openai', model: 'gpt-4o', key: 'openai-main', status: 200, latency_ms: 300, fallback_reason: null };
          const fell = (k: number) => ({ ...served, status: 429, fallback_reason: 'rate_limited', upstream_request_id: `twice-${i}-${k}` });
          return { ...e, ts: new Date(BASE_TS + Math.floor(i / 3) * 1000).toISOString(), attempts: [fell(0), fell(1), served] };
        });
        await store.driver.open();
        await store.driver.write(twice.map((e) => storedEvent(e)));
        const reader = store.driver.reader!();
        const got = await allPages(reader, { fallback_reason: 'rate_limited', limit: 4 });
        assert.deepEqual(got.map((e) => e.decision_id), twice.map((e) => e.decision_id).reverse());
        const windowed = await allPages(reader, { fallback_reason: 'rate_limited', from: at(2), to: at(5), limit: 2 });
        assert.deepEqual(windowed.map((e) => e.decision_id), twice.slice(6, 15).map((e) => e.decision_id).reverse());
      } finally {
        await store.driver.close();
        await store.cleanup();
      }
    });

    it('refuses a foreign cursor with SY_ERR_BAD_REQUEST', async () => {
      await assert.rejects(log.query({ cursor: 'bm90LWEtY3Vyc29y' }), { code: 'SY_ERR_BAD_REQUEST' });
    });
  });
}
