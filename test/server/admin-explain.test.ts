/** POST /admin/explain answers bad bodies with a 400 that names the field, never a 500. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import { buildApp, createRuntime, type Runtime } from '../../src/server/index.js';

describe('POST /admin/explain input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-explain-'));
  let rt: Runtime;
  let app: FastifyInstance;
  before(async () => {
    const path = join(dir, 'switchyard.yaml');
    writeFileSync(path, 'server: {admin_token: tok, allow_unauthenticated: true}\nproviders:\n  mock: {type: mock, models: ["*"]}\naudit: {enabled: false}\n');
    const { config, issues } = loadConfig({ path });
    assert.ok(config, JSON.stringify(issues));
    rt = createRuntime(config, { defaultMetrics: false, logger: (await import('pino')).default({ level: 'silent' }) });
    app = await buildApp(rt);
  });
  after(async () => {
    await app.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const explain = (payload: unknown) => app.inject({ method: 'POST', url: '/admin/explain', headers: { authorization: 'Bearer tok' }, payload: payload as object });

  for (const [name, body, param, pattern] of [
    ['no request', { state: {} }, 'request', /Send/],
    ['request without a model', { request: { headers: {} } }, 'request', /model/],
    ['a header that is not a string', { request: { model: 'x', headers: { 'x-tier': 5 } } }, 'request', /x-tier|string/],
    ['a capacity value that is not a number', { request: { model: 'x' }, state: { budget_used: 'high' } }, 'state', /budget_used|number/],
    ['a draw outside [0, 1)', { request: { model: 'x' }, state: { draw: 7 } }, 'state', /draw/],
    ['a time that is not a date-time', { request: { model: 'x' }, state: { now: 'garbage' } }, 'state', /now|date-time/],
  ] as const) {
    test(name, async () => {
      const res = await explain(body);
      assert.equal(res.statusCode, 400, res.body);
      const e = res.json().error;
      assert.equal(e.code, 'SY_ERR_BAD_REQUEST');
      assert.equal(e.param, param);
      assert.match(e.message, pattern);
    });
  }

  test('a good body is explained', async () => {
    const res = await explain({ request: { model: 'x', headers: { 'X-Tier': 'premium' } }, state: { budget_used: 10, draw: 0.5, now: '2026-01-01T00:00:00Z' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().decision.via, 'balance');
  });
});
