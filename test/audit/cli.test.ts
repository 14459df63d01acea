/** `switchyard audit | replay | diff` end to end, in-process, against a SQLite store of real router decisions. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuditLog } from '../../src/audit/log.js';
import type { CommandIO } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import type { AuditEventV1 } from '../../src/types/audit-event.js';
import { CANDIDATE_RULES, FIXTURE_CONFIG, FIXTURE_DIR, fixtureConfig, fixtureRouter, trafficEvents } from './traffic.js';

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {}, cwd };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function store(path: string, events: AuditEventV1[]): Promise<void> {
  const log = createAuditLog({ sinks: [{ type: 'sqlite', path }] }, { logger: { warn() {}, error() {} } });
  for (const e of events) log.recordEvent(e);
  await log.close();
}

describe('audit commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-cli-'));
  const db = join(dir, 'audit.db');
  const events = trafficEvents(fixtureRouter(fixtureConfig()), 400, 3);
  const cfg = ['--config', FIXTURE_CONFIG, '--db', db];
  before(() => store(db, events));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('audit lists decisions newest first, as a table or JSON, with paging', async () => {
    const t = await run(['audit', '--db', db, '--limit', '5'], dir);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^TIME\s+DECISION\s+VIA\s+RULE\s+TARGET\s+STATUS\s+FALLBACKS\s+TEAM\s+MS\s+COST$/);
    assert.equal(lines.length, 7);
    assert.match(lines[6], /^more: --cursor \S+$/);
    const j = await run(['audit', '--db', db, '--rule', 'premium-tier', '--since', '30d', '--limit', '1000', '--json'], dir);
    const page = JSON.parse(j.stdout) as { events: AuditEventV1[]; next_cursor: string | null };
    assert.equal(page.events.length, events.filter((e) => e.decision.rule_id === 'premium-tier').length);
    assert.ok(page.events.every((e) => e.decision.rule_id === 'premium-tier'));
    assert.equal(page.next_cursor, null);
  });

  it('audit --decision-id shows one decision in full', async () => {
    const e = events.find((x) => x.attempts.some((a) => a.fallback_reason) && x.decision.shadow_matches.length) ?? events.find((x) => x.attempts.some((a) => a.fallback_reason))!;
    const r = await run(['audit', '--db', db, '--decision-id', e.decision_id], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^decision\\s+${e.decision_id}`));
    assert.match(r.stdout, /attempts\s+1\. \S+ {2}429 .*→ rate_limited/);
    assert.match(r.stdout, /inputs\s+budget_used [\d.]+, tokens_used [\d.]+, requests_used [\d.]+, draw [\d.]+, now \S+Z/);
    assert.equal((await run(['audit', '--db', db, '--decision-id', 'nope'], dir)).code, 1);
  });

  it('audit --request-id that names more decisions than a page says where the rest are', async () => {
    // The client's own x-request-id becomes the request id, so a client that resends it has several decisions.
    const same = join(dir, 'same-request.db');
    await store(same, events.slice(0, 3).map((e) => ({ ...e, request_id: 'client-retry-1' })));
    const first = await run(['audit', '--db', same, '--request-id', 'client-retry-1', '--limit', '2'], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.match(/^decision /gm)?.length, 2);
    const cursor = /\nmore: --cursor (\S+)\n$/.exec(first.stdout)?.[1];
    assert.ok(cursor, first.stdout);
    const rest = await run(['audit', '--db', same, '--request-id', 'client-retry-1', '--limit', '2', '--cursor', cursor], dir);
    assert.equal(rest.stdout.match(/^decision /gm)?.length, 1);
    assert.doesNotMatch(rest.stdout, /more:/);
  });

  it("audit --upstream-request-id finds the decision from a provider's id, including a call that fell back", async () => {
    const e = events.find((x) => x.attempts.some((a) => a.fallback_reason))!;
    const failed = e.attempts.find((a) => a.fallback_reason)!;
    const r = await run(['audit', '--db', db, '--upstream-request-id', failed.upstream_request_id!], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^decision\\s+${e.decision_id}`));
    assert.match(r.stdout, new RegExp(`1\\. .* 429 .*→ rate_limited {2}upstream id ${failed.upstream_request_id}`));
    const none = await run(['audit', '--db', db, '--upstream-request-id', 'req_nope'], dir);
    assert.match(none.stderr, /^no such decision in the audit log \(a request refused before it was routed/);
    assert.equal(none.code, 1, 'nothing found by an id fails, as with --decision-id');
    assert.equal((await run(['audit', '--db', db, '--request-id', 'req_nope'], dir)).code, 1);
  });

  it('audit --upstream-request-id on a store no gateway of this version has opened says so', async () => {
    const old = join(dir, 'old.db');
    const db = new Database(old);
    db.exec(`CREATE TABLE "audit_events" (seq INTEGER PRIMARY KEY, decision_id TEXT NOT NULL UNIQUE, request_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,
      via TEXT NOT NULL, rule_id TEXT, provider TEXT, model TEXT, customer TEXT, team TEXT, virtual_key TEXT, status INTEGER NOT NULL,
      cost_usd REAL, input_tokens INTEGER, output_tokens INTEGER, event TEXT NOT NULL);
      CREATE TABLE "audit_events_fallbacks" (decision_id TEXT NOT NULL, idx INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
      provider TEXT NOT NULL, model TEXT NOT NULL, fallback_reason TEXT NOT NULL, PRIMARY KEY (decision_id, idx))`);
    db.close();
    const r = await run(['audit', '--db', old, '--upstream-request-id', 'req_1'], dir);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /written by a version without --upstream-request-id: it gains the column the next time/);
    assert.equal((await run(['audit', '--db', old], dir)).code, 0, 'other filters read it as before');
  });

  it('audit --cursor that is not one is a usage error, not a crash', async () => {
    const r = await run(['audit', '--db', db, '--cursor', 'bm90LWEtY3Vyc29y'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cursor is not a cursor this server returned/);
  });

  it('audit --summary rules|fallbacks|spend', async () => {
    const rules = await run(['audit', '--db', db, '--summary', 'rules', '--json'], dir);
    const rows = (JSON.parse(rules.stdout) as { rows: { rule_id: string | null; count: number }[] }).rows;
    assert.equal(rows.reduce((n, r) => n + r.count, 0), 400);
    const fb = await run(['audit', '--db', db, '--summary', 'fallbacks'], dir);
    assert.match(fb.stdout, /^PROVIDER\s+FALLBACK_REASON\s+COUNT\n\S+\s+rate_limited\s+\d+/);
    const spend = await run(['audit', '--db', db, '--summary', 'spend', '--since', '30d'], dir);
    assert.match(spend.stdout, /^TEAM\s+CUSTOMER\s+REQUESTS\s+COST/);
    assert.match(spend.stdout, /\nml-research\s+acme\s+\d+\s+\$\d+\.\d{6}/);
  });

  it('audit refuses bad usage with exit 2 and names the flag', async () => {
    for (const [argv, message] of [
      [['--status', 'teapot'], /--status must be an HTTP status/],
      [['--since', 'yesterday'], /--since must be an ISO date-time or a duration/],
      [['--fallback-reason', 'bored'], /--fallback-reason must be one of rate_limited/],
      [['--summary', 'all'], /--summary must be one of rules, fallbacks, spend/],
      [['--limit', '5000'], /--limit must be an integer from 1 to 1000/],
      [['--rul', 'x'], /unknown option --rul; did you mean --rule\?/],
    ] as const) {
      const r = await run(['audit', '--db', db, ...argv], dir);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, message);
    }
    // An ndjson sink's file: SQLite said only "file is not a database".
    const ndjson = join(dir, 'audit.ndjson');
    writeFileSync(ndjson, events.slice(0, 3).map((e) => JSON.stringify(e)).join('\n') + '\n');
    for (const command of [['audit'], ['replay', events[0].decision_id, '--config', FIXTURE_CONFIG], ['diff', '--rules', CANDIDATE_RULES, '--config', FIXTURE_CONFIG]]) {
      const r = await run([...command, '--db', ndjson], dir);
      assert.equal(r.code, 2, command[0]);
      assert.match(r.stderr, /cannot open the audit store: \S+audit\.ndjson is not a SQLite database: it holds JSON lines, as an ndjson sink writes, which are for log pipelines; read a sqlite file or a postgres:\/\/ URL/, command[0]);
    }
    const missing = await run(['audit', '--db', join(dir, 'missing.db')], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot open the audit store: there is no audit log at \S+missing\.db: a gateway with this sink creates it when it starts/);
  });

  it('replay reproduces a decision and exits 0; against other rules it shows the differences and exits 1', async () => {
    const e = events.find((x) => x.decision.rule_id === 'premium-tier' && x.decision.selected?.provider === 'anthropic')!;
    const same = await run(['replay', e.decision_id, ...cfg], dir);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /replayed with the recorded revision \(the current rules\)/);
    assert.match(same.stdout, /identical: premium-tier → anthropic\/claude-sonnet-4/);
    const other = await run(['replay', e.decision_id, ...cfg, '--rules', CANDIDATE_RULES, '--json'], dir);
    assert.equal(other.code, 1);
    const result = JSON.parse(other.stdout) as { identical: boolean; differences: { field: string; recorded: unknown; replayed: unknown }[] };
    assert.equal(result.identical, false);
    assert.ok(result.differences.some((d) => d.field === 'selected.provider' && d.recorded === 'anthropic' && d.replayed === 'openai'));
    assert.equal((await run(['replay', 'nope', ...cfg], dir)).code, 2);
    assert.equal((await run(['replay', ...cfg], dir)).code, 2);
  });

  it('replay run where there is no config file refuses, rather than call every decision DIFFERENT', async () => {
    // `dir` holds only the store: the embedded default (mock provider, no rules) is what would decide.
    const e = events.find((x) => x.decision.rule_id === 'premium-tier')!;
    const r = await run(['replay', e.decision_id, '--db', db], dir);
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no config file was found \(switchyard\.yaml, switchyard\.yml, switchyard\.json in .*, SWITCHYARD_CONFIG or --config\), and the embedded default did not make this decision \(revision \w+\): name the gateway's config with --config/);
    const d = await run(['diff', '--db', db, '--rules', CANDIDATE_RULES, '--since', '30d'], dir);
    assert.match(d.stderr, /^note: no config file was found .*: the rules are compiled with the providers and principals of the embedded default$/m);
  });

  it('diff reports changes grouped by rule, and --fail-on-change exits 1', async () => {
    const text = await run(['diff', ...cfg, '--rules', CANDIDATE_RULES, '--since', '30d'], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^replayed 400 recorded decisions from \S+ \S+ to \S+ \S+ against the rules in /);
    assert.match(text.stdout, /\n\d+ unchanged, \d+ would change \(\d+\.\d%\)\n/);
    assert.match(text.stdout, /\npremium-tier → premium-tier: \d+ decisions\n {2}BEFORE\s+AFTER\s+COUNT\s+EXAMPLES\n(.*\n)*? {2}anthropic\/claude-sonnet-4\s+openai\/gpt-4o\s+\d+\s+d-3-\d+/);
    assert.match(text.stdout, /\n {4}selected\s+anthropic\/claude-sonnet-4#anthropic-main → openai\/gpt-4o#openai-\w+\n/);
    const failing = await run(['diff', ...cfg, '--rules', CANDIDATE_RULES, '--since', '30d', '--fail-on-change', '--json'], dir);
    assert.equal(failing.code, 1);
    const report = JSON.parse(failing.stdout) as { total: number; changed: number; baseline_drift: number | null };
    assert.equal(report.total, 400);
    assert.ok(report.changed > 0);
    assert.equal(report.baseline_drift, null);
    const based = await run(['diff', ...cfg, '--rules', CANDIDATE_RULES, '--baseline', join(FIXTURE_DIR, 'rules'), '--since', '30d', '--json'], dir);
    const withBase = JSON.parse(based.stdout) as { changed: number; baseline_drift: number | null };
    assert.deepEqual(withBase, { ...withBase, changed: report.changed, baseline_drift: 0 });
    const unchanged = await run(['diff', ...cfg, '--rules', join(FIXTURE_DIR, 'rules'), '--since', '30d', '--fail-on-change'], dir);
    assert.equal(unchanged.code, 0, unchanged.stdout);
    assert.match(unchanged.stdout, /400 unchanged, 0 would change/);
    const empty = await run(['diff', ...cfg, '--rules', CANDIDATE_RULES, '--since', '30d', '--rule', 'no-such-rule', '--fail-on-change'], dir);
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /^replayed 0 recorded decisions against/);
    assert.match(empty.stderr, /^note: no recorded decision matched since \S+Z: nothing was compared \(check --db, --table and --since\)$/m);
    assert.equal(text.stderr, '');
    const limited = await run(['diff', ...cfg, '--rules', CANDIDATE_RULES, '--since', '30d', '--limit', '25', '--json'], dir);
    assert.equal((JSON.parse(limited.stdout) as { total: number }).total, 25);
    assert.equal((await run(['diff', ...cfg], dir)).code, 2);
  });
});

describe('--db with a config whose sink names its table', () => {
  it('reads the table of the config\'s sink of that kind, as audit, replay and diff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-table-'));
    try {
      // The gateway writes `custom_audit`; CI reads the same store through --db (another role, another path).
      const config = readFileSync(FIXTURE_CONFIG, 'utf8').replace(/^audit: .*$/m, 'audit: {sinks: [{type: sqlite, path: data/audit.db, table: custom_audit}]}');
      writeFileSync(join(dir, 'switchyard.yaml'), config);
      cpSync(join(FIXTURE_DIR, 'rules'), join(dir, 'rules'), { recursive: true });
      const events = trafficEvents(fixtureRouter(fixtureConfig()), 20, 9);
      const db = join(dir, 'copy.db');
      const log = createAuditLog({ sinks: [{ type: 'sqlite', path: db, table: 'custom_audit' }] }, { logger: { warn() {}, error() {} } });
      for (const e of events) log.recordEvent(e);
      await log.close();

      const listed = await run(['audit', '--db', db, '--limit', '1000', '--json'], dir);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal((JSON.parse(listed.stdout) as { events: unknown[] }).events.length, 20);
      const diff = await run(['diff', '--db', db, '--rules', join(dir, 'rules'), '--since', '30d', '--json'], dir);
      assert.equal(diff.code, 0, diff.stderr);
      assert.equal((JSON.parse(diff.stdout) as { total: number }).total, 20);
      const replay = await run(['replay', events[0].decision_id, '--db', db], dir);
      assert.equal(replay.code, 0, replay.stderr);
      const named = await run(['audit', '--db', db, '--table', 'audit_events'], dir);
      assert.equal(named.code, 2, '--table still wins');
      assert.match(named.stderr, /no such table: audit_events/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('replay with the rules of the recorded git commit', () => {
  let hasGit = true;
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
  } catch {
    hasGit = false;
  }

  it('reads the rules at the recorded commit when the working rules changed', { skip: hasGit ? undefined : 'git is not installed' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-git-'));
    try {
      cpSync(FIXTURE_CONFIG, join(dir, 'switchyard.yaml'));
      cpSync(join(FIXTURE_DIR, 'rules'), join(dir, 'rules'), { recursive: true });
      // A throwaway repository in a temp folder, with its own identity: nothing outside it is touched.
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'pipe' });
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'rules v1');
      const { loadConfig } = await import('../../src/config/index.js');
      const loaded = loadConfig({ path: join(dir, 'switchyard.yaml'), env: {}, missingEnv: 'warning' }).config!;
      const events = trafficEvents(fixtureRouter(loaded), 300, 5);
      assert.ok(events[0].config_revision.git_commit);
      const db = join(dir, 'audit.db');
      await store(db, events);
      cpSync(join(CANDIDATE_RULES, 'routing.yaml'), join(dir, 'rules', 'routing.yaml'));
      writeFileSync(join(dir, 'rules', 'extra.yaml'), 'rules:\n  - id: everything-to-groq\n    when: "true"\n    route: groq/llama-3.3-70b-versatile\n    priority: 0\n');
      const e = events.find((x) => x.decision.rule_id === 'premium-tier' && x.decision.selected?.provider === 'anthropic')!;
      const r = await run(['replay', e.decision_id, '--config', join(dir, 'switchyard.yaml'), '--db', db], dir);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`replayed with the rules at git commit ${events[0].config_revision.git_commit!.slice(0, 12)} \\(with the providers and principals of the config given now\\)`));
      assert.match(r.stdout, new RegExp(`revision ${events[0].config_revision.hash}`), 'the rules read from git compile to the recorded revision');
      assert.doesNotMatch(r.stderr, /note:/);
      const now = await run(['replay', e.decision_id, '--config', join(dir, 'switchyard.yaml'), '--db', db, '--rules', join(dir, 'rules')], dir);
      assert.equal(now.code, 1);
      assert.match(now.stdout, /DIFFERENT: premium-tier → anthropic\/claude-sonnet-4#anthropic-main became everything-to-groq → groq\/llama-3.3-70b-versatile/);

      // Made from rule files with changes not committed: the commit's rules are not the recorded revision, and replay says so.
      const dirty = join(dir, 'dirty.db');
      await store(dirty, [{ ...e, config_revision: { ...e.config_revision, hash: '0123456789abcdef' } }]);
      const noted = await run(['replay', e.decision_id, '--config', join(dir, 'switchyard.yaml'), '--db', dirty], dir);
      assert.match(noted.stderr, /^note: the rules at git commit \w{12} are not the recorded revision 0123456789abcdef \(they compile to \w+\): the decision was made from rule files with changes not committed/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
