import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sqliteSink } from '../../src/audit/sinks/sqlite.js';
import type { SinkDriver } from '../../src/audit/sinks/types.js';
import { openDatabase } from '../../src/audit/sinks/sqlite-writer.js';
import { sqlite } from '../../src/audit/sql/dialect.js';
import { applyRetention } from '../../src/audit/sql/retention.js';
import { EVENT_COLUMNS, FALLBACK_COLUMNS } from '../../src/audit/sql/tables.js';
import type { AuditFilter } from '../../src/audit/filter.js';
import { sqlReader } from '../../src/audit/query.js';
import { executor } from '../../src/audit/sinks/sqlite-writer.js';
import { storedEvent } from '../../src/audit/stored.js';
import { makeEvents } from './fixtures.js';
import { sinkContract } from './sink-contract.js';

for (const writer of ['thread', 'inline'] as const) {
  sinkContract(`sqlite (${writer} writer)`, async (table, retention) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
    const path = join(dir, 'audit.db');
    let driver: SinkDriver | undefined;
    return {
      // Made on first use: the sink lays out its tables when it is made, and a test may lay out older ones first.
      get driver() {
        return (driver ??= sqliteSink({ type: 'sqlite', path, table, retention }, { writer }));
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      dialect: sqlite,
      async exec(sql) {
        const db = new Database(path);
        db.exec(sql);
        db.close();
      },
    };
  });
}

test('a new audit file has 8 KB pages; an existing one keeps its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  try {
    const fresh = openDatabase(join(dir, 'new.db'), { schema: 'audit_events' });
    assert.equal(fresh.pragma('page_size', { simple: true }), 8192);
    fresh.close();
    // A file made before (4 KB pages) opens as it is: page_size cannot change under WAL.
    const old = new Database(join(dir, 'old.db'));
    old.pragma('page_size = 4096');
    old.exec('CREATE TABLE t (x)');
    old.close();
    const reopened = openDatabase(join(dir, 'old.db'), { schema: 'audit_events' });
    assert.equal(reopened.pragma('page_size', { simple: true }), 4096);
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('opening an audit file again leaves its layout as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  try {
    const layout = (db: Database.Database) => JSON.stringify(db.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY name").all());
    const first = openDatabase(join(dir, 'a.db'), { schema: 'audit_events' });
    const made = layout(first);
    first.close();
    const second = openDatabase(join(dir, 'a.db'), { schema: 'audit_events' });
    assert.equal(layout(second), made);
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a provider's id is indexed after the time, so inserts append; a file with the id-only index has it replaced, and lookups use the new one", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  try {
    const indexes = (db: Database.Database) => (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql LIKE '%upstream_request_id%' AND tbl_name = 'audit_events'").all() as { name: string }[]).map((r) => r.name);
    const fresh = openDatabase(join(dir, 'a.db'), { schema: 'audit_events' });
    assert.deepEqual(indexes(fresh), ['audit_events_upstream_ts_idx']);
    // The layout before: an index on the id alone.
    fresh.exec('DROP INDEX audit_events_upstream_ts_idx; CREATE INDEX audit_events_upstream_idx ON audit_events (upstream_request_id) WHERE upstream_request_id IS NOT NULL');
    fresh.close();
    const reopened = openDatabase(join(dir, 'a.db'), { schema: 'audit_events' });
    assert.deepEqual(indexes(reopened), ['audit_events_upstream_ts_idx']);
    const plan = (reopened.prepare(`EXPLAIN QUERY PLAN SELECT e.seq FROM audit_events e WHERE e.seq IN (SELECT u.seq FROM audit_events u WHERE u.upstream_request_id = ?)`).all('x') as { detail: string }[]).map((r) => r.detail).join(' | ');
    assert.match(plan, /COVERING INDEX audit_events_upstream_ts_idx/);
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a query does not wait for the writes queued before it: it reads beside the writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  const path = join(dir, 'audit.db');
  const driver = sqliteSink({ type: 'sqlite', path });
  const other = new Database(path);
  try {
    await driver.open();
    const [first, second] = makeEvents(2).map((e) => storedEvent(e));
    await driver.write([first]);
    // Another connection holds the write lock, so the sink's next write waits for it.
    other.exec('BEGIN IMMEDIATE');
    let writeSettled = false;
    const write = driver.write([second]).finally(() => { writeSettled = true; });
    write.catch(() => {});
    const page = await driver.reader!().query({});
    assert.equal(writeSettled, false, 'the query was answered only once the write before it had finished');
    assert.deepEqual(page.events.map((e) => e.decision_id), [first.decision_id]);
    other.exec('COMMIT');
    await write;
    assert.equal((await driver.reader!().query({})).events.length, 2);
  } finally {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The query plan of `sql`, as lines; `under` keeps only the steps below the first step that matches it. */
function planOf(db: Database.Database, sql: string, params: readonly unknown[], under?: RegExp): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { id: number; parent: number; detail: string }[];
  if (!under) return rows.map((r) => r.detail);
  const top = rows.find((r) => under.test(r.detail));
  assert.ok(top, `no step matches ${under}: ${rows.map((r) => r.detail).join(' | ')}`);
  const ids = new Set([top.id]);
  for (const r of rows) if (ids.has(r.parent)) ids.add(r.id);
  return rows.filter((r) => r.id !== top.id && ids.has(r.id)).map((r) => r.detail);
}

/** The statements a reader issues for `filters`, run on an empty store of `db`. */
async function issued(db: Database.Database, filters: AuditFilter[]): Promise<{ sql: string; params: readonly unknown[] }[]> {
  const x = executor(db);
  const out: { sql: string; params: readonly unknown[] }[] = [];
  const reader = sqlReader({ dialect: sqlite, all: (sql, params) => { out.push({ sql, params }); return x.all(sql, params); } });
  for (const f of filters) await reader.query(f);
  return out;
}

test('a page of events by fallback reason is read in time order, not gathered and sorted whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  const db = openDatabase(join(dir, 'audit.db'), { schema: 'audit_events' });
  try {
    const cursor = Buffer.from('1000:5').toString('base64url');
    for (const { sql, params } of await issued(db, [{ fallback_reason: 'rate_limited', limit: 20 }, { fallback_reason: 'rate_limited', team: 'ml-research', from: new Date(0), limit: 20, cursor }])) {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { id: number; parent: number; detail: string }[];
      const all = rows.map((r) => r.detail).join(' | ');
      const scan = rows.find((r) => /SEARCH x USING INDEX audit_events_fb_reason_idx/.test(r.detail));
      assert.ok(scan, all);
      // The reason's rows, newest first, lead to their events, and nothing sorts them all
      // (which fetched every event with the reason for each page: 1.1 s for 89,000 of 1.5
      // million); sorting only ties of equal time stops with the page.
      const steps = rows.filter((r) => r.parent === scan.parent).map((r) => r.detail).join(' | ');
      assert.match(steps, /SEARCH e USING .*\(decision_id=\?\)/, all);
      assert.doesNotMatch(steps, /USE TEMP B-TREE FOR ORDER BY/, all);
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a page is picked from the filter\'s index alone; only its own events are read whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  const db = openDatabase(join(dir, 'audit.db'), { schema: 'audit_events' });
  try {
    const filters: [AuditFilter, string][] = [
      [{ status: '2xx', limit: 1000 }, 'audit_events_status_idx'],
      [{ status: 429 }, 'audit_events_status_idx'],
      [{ team: 'ml-research', from: new Date(0) }, 'audit_events_team_idx'],
      [{}, 'audit_events_ts_idx'],
    ];
    const statements = await issued(db, filters.map(([f]) => f));
    statements.forEach(({ sql, params }, i) => {
      // A status class is not in time order: every match is sorted. Sorted from the index,
      // that is (ts_ms, seq) per match; read from the table, it was each event's JSON too
      // (36 s for `status=2xx&limit=1000` over 1.5 million events).
      const pick = planOf(db, sql, params, /^LIST SUBQUERY/).join(' | ');
      assert.match(pick, new RegExp(`COVERING INDEX ${filters[i][1]}`), pick);
    });
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sqlite sink that cannot open its file says which file, at start', () => {
  // SQLite says only "unable to open database file" (a folder in the way, or one the
  // gateway's user may not write to), and `serve` printed just that.
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  try {
    mkdirSync(join(dir, 'audit.db'));
    assert.throws(() => sqliteSink({ type: 'sqlite', path: 'audit.db' }, { baseDir: dir }), {
      message: `cannot open the sqlite audit log ${join(dir, 'audit.db')}: unable to open database file`,
    });
    writeFileSync(join(dir, 'plain'), '');
    assert.throws(() => sqliteSink({ type: 'sqlite', path: 'plain/audit.db' }, { baseDir: dir }), {
      message: new RegExp(`^cannot open the sqlite audit log ${join(dir, 'plain/audit.db')}: EEXIST`),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('better-sqlite3 without its built module: the error says to allow and rerun its install script', { timeout: 30_000 }, () => {
  // npm 12 skips dependencies' install scripts unless package.json's allowScripts lists
  // them, and so does --ignore-scripts: better-sqlite3 is then installed without its
  // compiled module, and `new Database()` throws "Could not locate the bindings file"
  // with a dozen paths tried. A copy of the package without its build/ stands for that.
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-nobuild-'));
  try {
    const real = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
    const copy = join(dir, 'node_modules/better-sqlite3');
    cpSync(join(real, 'lib'), join(copy, 'lib'), { recursive: true });
    cpSync(join(real, 'package.json'), join(copy, 'package.json'));
    symlinkSync(dirname(createRequire(join(real, 'lib/database.js')).resolve('bindings/package.json')), join(dir, 'node_modules/bindings'));
    writeFileSync(join(dir, 'hooks.mjs'), `export async function resolve(specifier, context, next) {
  return specifier === 'better-sqlite3' ? { url: ${JSON.stringify(pathToFileURL(join(copy, 'lib/index.js')).href)}, shortCircuit: true } : next(specifier, context);
}\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const script = `
      const { sqliteSink } = await import(${JSON.stringify(new URL('../../src/audit/sinks/sqlite.ts', import.meta.url).href)});
      try { sqliteSink({ type: 'sqlite', path: ${JSON.stringify(join(dir, 'audit.db'))} }); console.log('opened'); } catch (e) { console.log(e.message); }
    `;
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `cannot open the sqlite audit log ${join(dir, 'audit.db')}: better-sqlite3 (the SQLite driver) is installed without its compiled module: its install script did not run (npm 12 runs a dependency's install script only when package.json's "allowScripts" lists it, and --ignore-scripts skips them all). Allow it with \`npm install-scripts approve better-sqlite3\` (or "allowScripts": {"better-sqlite3": true}), then run \`npm rebuild better-sqlite3\`\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('retention deletes at most 500 events or fallback rows a statement, so a pass holds the SQLite writer in short slices', async () => {
  const db = openDatabase(':memory:', { schema: 'audit_events' });
  try {
    const x = executor(db);
    const events = makeEvents(3000).map((e) => storedEvent(e));
    db.transaction(() => {
      for (const e of events) {
        db.prepare(`INSERT INTO audit_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`).run(...e.row);
        for (const f of e.fallbacks) db.prepare(`INSERT INTO audit_events_fallbacks (${FALLBACK_COLUMNS.join(', ')}) VALUES (${FALLBACK_COLUMNS.map(() => '?').join(', ')})`).run(...f);
      }
    })();
    const fallbacksBefore = (db.prepare('SELECT count(*) AS n FROM audit_events_fallbacks').get() as { n: number }).n;
    const deletes: { table: string; rows: number }[] = [];
    const counted = { ...x, run: async (sql: string, params: readonly unknown[]) => {
      const rows = await x.run(sql, params);
      deletes.push({ table: sql.includes('_fallbacks') ? 'fallbacks' : 'events', rows });
      return rows;
    } };
    assert.equal(await applyRetention(counted, 'audit_events', { max_rows: 100 }, new Date()), 2900);
    assert.ok(deletes.every((d) => d.rows <= 500), JSON.stringify(deletes));
    assert.equal(deletes.filter((d) => d.table === 'events').reduce((s, d) => s + d.rows, 0), 2900);
    const fallbacksAfter = (db.prepare('SELECT count(*) AS n FROM audit_events_fallbacks').get() as { n: number }).n;
    assert.ok(fallbacksBefore - fallbacksAfter > 500, 'the fallback rows took several statements too');
  } finally {
    db.close();
  }
});

test('an event written while retention runs lands between its statements, not after the whole pass', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  const driver = sqliteSink({ type: 'sqlite', path: join(dir, 'audit.db'), retention: { max_rows: 100 } });
  try {
    await driver.open();
    const events = makeEvents(3001).map((e) => storedEvent(e));
    await driver.write(events.slice(0, 3000));
    const order: string[] = [];
    await Promise.all([
      driver.retain!(new Date()).then((n) => order.push(`retain ${n}`)),
      driver.write(events.slice(3000)).then(() => order.push('write')),
    ]);
    assert.deepEqual(order, ['write', 'retain 2900']);
  } finally {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
