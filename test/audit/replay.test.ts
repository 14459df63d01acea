import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DiffCollector } from '../../src/audit/diff.js';
import { createAuditLog } from '../../src/audit/log.js';
import type { AuditReader } from '../../src/audit/query.js';
import { compareDecisions, replayEvent, replayInputs } from '../../src/audit/replay.js';
import { auditEventProblems } from '../../src/audit/schema.js';
import type { AuditEventV1 } from '../../src/types/audit-event.js';
import { CANDIDATE_RULES, fixtureConfig, fixtureRouter, trafficEvents } from './traffic.js';

const silent = { warn() {}, error() {} };
const pgUrl = process.env.SY_TEST_POSTGRES_URL ?? '';

async function readAll(reader: Pick<AuditReader, 'query'>): Promise<AuditEventV1[]> {
  const out: AuditEventV1[] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.query({ limit: 1000, cursor });
    out.push(...page.events);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** Records `events` through a real sink and returns them as the store gives them back. */
async function roundTrip(sink: Parameters<typeof createAuditLog>[0], events: AuditEventV1[]): Promise<AuditEventV1[]> {
  const log = createAuditLog(sink, { logger: silent });
  for (const e of events) log.recordEvent(e);
  await log.flush();
  const stored = await readAll(log);
  await log.close();
  return stored;
}

describe('replay', () => {
  const config = fixtureConfig();
  const events = trafficEvents(fixtureRouter(config), 2000, 7);
  const dir = mkdtempSync(join(tmpdir(), 'sy-replay-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the synthetic traffic covers every path of the fixture rules', () => {
    const seen = new Set(events.map((e) => e.decision.rule_id ?? e.decision.via));
    for (const k of ['budget-guard', 'premium-tier', 'batch-split', 'late-night', 'balance', 'pinned', 'none']) assert.ok(seen.has(k), k);
    assert.ok(events.some((e) => e.decision.shadow_matches.length > 0));
    assert.ok(events.some((e) => (e.inputs.unavailable?.length ?? 0) > 0));
    for (const e of events.slice(0, 200)) assert.deepEqual(auditEventProblems(e), []);
  });

  it('reproduces 100% of decisions read back from SQLite, with a fresh router', async () => {
    const stored = await roundTrip({ sinks: [{ type: 'sqlite', path: join(dir, 'a.db') }] }, events);
    assert.equal(stored.length, events.length);
    const router = fixtureRouter(config);
    const different = stored.map((e) => replayEvent(router, e)).filter((r) => !r.identical);
    assert.deepEqual(different.slice(0, 3).map((r) => r.differences), []);
  });

  it('reproduces 100% of decisions read back from PostgreSQL (JSONB numbers)', { skip: pgUrl ? undefined : 'PostgreSQL not available at 127.0.0.1:5432' }, async () => {
    const table = `sy_replay_${process.pid}_${Date.now().toString(36)}`;
    try {
      const stored = await roundTrip({ sinks: [{ type: 'postgres', url: pgUrl, table }] }, events);
      assert.equal(stored.length, events.length);
      const router = fixtureRouter(config);
      assert.equal(stored.filter((e) => !replayEvent(router, e).identical).length, 0);
    } finally {
      const c = new pg.Client(pgUrl);
      await c.connect();
      await c.query(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table}_fallbacks"`);
      await c.end();
    }
  });

  it('rebuilds the routing context exactly', () => {
    const e = events.find((x) => (x.inputs.unavailable?.length ?? 0) > 1) ?? events.find((x) => x.inputs.unavailable?.length)!;
    const { ctx, opts } = replayInputs(e.inputs);
    assert.equal(ctx.now.toISOString(), e.inputs.now);
    assert.equal(typeof ctx.budget_used, 'number');
    assert.equal(opts.draw, e.inputs.draw);
    assert.deepEqual([...opts.unavailable!].map(([k, v]) => `${k}:${v}`), e.inputs.unavailable);
    assert.deepEqual(replayInputs({ ...e.inputs, unavailable: ['openai#openai-primary:rate_limit_exceeded'] }).opts.unavailable, new Map([['openai#openai-primary', 'rate_limit_exceeded']]));
  });

  it('reports every differing field by path', () => {
    const e = events.find((x) => x.decision.rule_id === 'premium-tier' && x.decision.selected?.provider === 'anthropic')!;
    const r = replayEvent(fixtureRouter(config, [CANDIDATE_RULES]), e);
    assert.equal(r.identical, false);
    const fields = r.differences.map((d) => d.field);
    assert.ok(fields.includes('selected.provider'));
    assert.deepEqual(r.differences.find((d) => d.field === 'selected.provider'), { field: 'selected.provider', recorded: 'anthropic', replayed: 'openai' });
    assert.ok(!fields.some((f) => f.startsWith('inputs')), 'the inputs themselves are reproduced');
    assert.deepEqual(compareDecisions({ ...e.decision, priority: undefined, reason: null }, { ...e.decision, priority: null }), []);
    assert.deepEqual(compareDecisions(e.decision, { ...e.decision, shadow_matches: ['x'], targets: [] }).map((d) => d.field).sort(), ['shadow_matches[0]', 'targets[0]']);
  });
});

describe('diff', () => {
  const config = fixtureConfig();
  const events = trafficEvents(fixtureRouter(config), 1500, 11);

  it('finds nothing when the candidate is the rule set that decided', () => {
    const c = new DiffCollector(fixtureRouter(config));
    for (const e of events) c.add(e);
    const report = c.report();
    assert.deepEqual({ total: report.total, changed: report.changed, groups: report.groups.length, drift: report.baseline_drift }, { total: 1500, changed: 0, groups: 0, drift: null });
    assert.deepEqual(Object.values(report.revisions), [1500]);
  });

  it('groups changes by old rule → new rule and target, with examples', () => {
    const c = new DiffCollector(fixtureRouter(config, [CANDIDATE_RULES]));
    for (const e of events) c.add(e);
    const report = c.report();
    assert.ok(report.changed > 0 && report.changed < report.total);
    assert.equal(report.unchanged + report.changed, 1500);
    const premium = report.groups.find((g) => g.from_rule === 'premium-tier' && g.to_rule === 'premium-tier' && g.from_target === 'anthropic/claude-sonnet-4');
    assert.ok(premium, JSON.stringify(report.groups.map((g) => [g.from_rule, g.to_rule, g.from_target, g.to_target])));
    assert.equal(premium.to_target, 'openai/gpt-4o');
    assert.ok(premium.fields.includes('selected') && premium.fields.includes('fallbacks'));
    assert.ok(premium.examples.length > 0 && premium.examples.length <= 3);
    assert.deepEqual(premium.examples[0].changes.find((ch) => ch.field === 'selected')?.recorded, events.find((e) => e.decision_id === premium.examples[0].decision_id)!.decision.selected);
    // budget_used in (80, 90]: budget-guard no longer matches under the candidate.
    const budget = report.groups.filter((g) => g.from_rule === 'budget-guard' && g.to_rule !== 'budget-guard');
    assert.ok(budget.length > 0);
    const expected = events.filter((e) => e.decision.rule_id === 'budget-guard' && e.inputs.budget_used <= 90).length;
    assert.equal(budget.reduce((n, g) => n + g.count, 0), expected);
    assert.deepEqual(report.groups.map((g) => g.count), [...report.groups.map((g) => g.count)].sort((a, b) => b - a));
  });

  it('with a baseline, counts only what the candidate changes relative to the baseline', () => {
    // Recorded under the candidate rules; the PR under review is "back to the current rules".
    const recorded = trafficEvents(fixtureRouter(config, [CANDIDATE_RULES]), 800, 12);
    const noBaseline = new DiffCollector(fixtureRouter(config, [CANDIDATE_RULES]));
    for (const e of recorded) noBaseline.add(e);
    assert.equal(noBaseline.report().changed, 0);
    const c = new DiffCollector(fixtureRouter(config, [CANDIDATE_RULES]), fixtureRouter(config));
    for (const e of recorded) c.add(e);
    const report = c.report();
    assert.ok(report.baseline_drift! > 0);
    assert.equal(report.changed, report.baseline_drift);
    assert.ok(report.groups.every((g) => g.from_rule !== g.to_rule || g.from_target !== g.to_target || g.fields.length > 0));
    const same = new DiffCollector(fixtureRouter(config), fixtureRouter(config));
    for (const e of recorded) same.add(e);
    assert.equal(same.report().changed, 0);
    assert.equal(same.report().baseline_drift, report.baseline_drift);
  });
});
