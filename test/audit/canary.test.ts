/**
 * Canary secrets: provider keys, client keys and a database password go in through
 * every door the audit log has; afterwards no stored byte, log line or error body holds one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { auditResponse } from '../../src/audit/http.js';
import { createAuditLog } from '../../src/audit/log.js';
import { makeDecision } from './fixtures.js';

const CANARIES = {
  provider: 'sk-canary-provider-7f3a9c2e41d8',
  client: 'sk-canary-client-0b6d2e9a7c15',
  admin: 'canary-admin-5e8f1a3b9d27',
  cookie: 'canary-cookie-2c4e6a8b0d1f',
  dbPassword: 'canarypw93k2j4h5',
};
const ALL = Object.values(CANARIES);

function assertClean(where: string, text: string) {
  for (const c of ALL) assert.equal(text.includes(c), false, `${where} contains canary ${c}`);
}

const pgUrl = process.env.SY_TEST_POSTGRES_URL ?? '';
const table = `sy_canary_${process.pid}_${Date.now().toString(36)}`;

describe('canary secrets never reach the audit log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-canary-'));
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (pgUrl) {
      const c = new pg.Client(pgUrl);
      await c.connect();
      await c.query(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table}_fallbacks"`);
      await c.end();
    }
  });

  it('in stored events, files, logs and error bodies', async () => {
    const logLines: string[] = [];
    const logger = {
      warn: (obj: object, msg?: string) => logLines.push(JSON.stringify({ obj, msg })),
      error: (obj: object, msg?: string) => logLines.push(JSON.stringify({ obj, msg })),
    };
    const sinks = [
      { type: 'sqlite' as const, path: join(dir, 'audit.db') },
      { type: 'ndjson' as const, path: join(dir, 'audit.ndjson') },
      // A database that is down, reached with a password: its failures are logged.
      { type: 'postgres' as const, url: `postgres://postgres:${CANARIES.dbPassword}@127.0.0.1:1/test`, buffer_size: 10 },
      ...(pgUrl ? [{ type: 'postgres' as const, url: pgUrl, table }] : []),
    ];
    const log = createAuditLog({ sinks, store_prompts: true, mask: ['/request/body/messages/*/content'] }, {
      logger, secrets: [CANARIES.provider, CANARIES.admin], closeTimeoutMs: 300, flushTimeoutMs: 1500, backoff: { baseMs: 10, maxMs: 50 },
    });
    const headers = {
      authorization: `Bearer ${CANARIES.client}`, 'x-api-key': CANARIES.client, 'x-switchyard-key': CANARIES.client,
      'api-key': CANARIES.client, 'x-goog-api-key': CANARIES.provider, cookie: `sid=${CANARIES.cookie}`,
      'proxy-authorization': `Basic ${CANARIES.admin}`, 'x-upstream-token': CANARIES.provider, 'x-tier': 'premium',
    };
    const decision = makeDecision();
    for (let i = 0; i < 25; i++) {
      log.record({
        decisionId: `canary-${i}`, requestId: `r-${i}`, ts: new Date(),
        decision: { ...decision, inputs: { ...decision.inputs, headers } },
        principal: { customer: 'acme', team: 'ml', virtual_key: 'vk-app', tier: 'premium' },
        request: { endpoint: 'chat', dialect: 'openai', model: 'gpt-4o', stream: false, headers, body: { messages: [{ role: 'user', content: `use ${CANARIES.client}` }] } },
        attempts: [{ provider: 'openai', model: 'gpt-4o', key: 'openai-primary', status: 401, latency_ms: 5, fallback_reason: 'auth_error', error: `Incorrect API key provided: ${CANARIES.provider}` }],
        outcome: { status: 502, code: 'SY_ERR_UPSTREAM_AUTH', served_provider: null, served_model: null, latency_ms: 9 },
      });
    }
    await log.flush();
    const page = await log.query({ limit: 100 });
    assert.equal(page.events.length, 25);
    assertClean('query result', JSON.stringify(page));
    assertClean('summary', JSON.stringify(await log.summary('fallbacks', {})));
    for (const bad of [{ status: 'teapot' }, { nope: '1' }, { cursor: 'x' }]) {
      const err = await auditResponse(log, bad).then(() => null, (e: unknown) => e);
      assert.equal((err as { code?: string }).code, 'SY_ERR_BAD_REQUEST');
      assertClean('error body', JSON.stringify({ message: (err as Error).message, details: (err as { details?: unknown }).details }));
    }
    await log.close();
    assert.ok(log.stats()[2].dropped > 0, 'the dead database was tried and its events counted');
    for (const f of readdirSync(dir)) assertClean(f, readFileSync(join(dir, f)).toString('latin1'));
    assertClean('logs', logLines.join('\n'));
    assert.ok(logLines.length > 0);
    if (pgUrl) {
      const c = new pg.Client(pgUrl);
      await c.connect();
      const { rows } = await c.query(`SELECT event::text AS t FROM "${table}"`);
      await c.end();
      assert.equal(rows.length, 25);
      assertClean('postgres', rows.map((r: { t: string }) => r.t).join('\n'));
    }
  });
});
