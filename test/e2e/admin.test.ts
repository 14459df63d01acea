/**
 * Admin and ops routes: POST /admin/explain, GET /admin/rules, POST /admin/reload and
 * GET /admin/audit behind server.admin_token (Bearer or x-switchyard-admin-token);
 * GET /healthz, /readyz and /metrics (Prometheus text) open.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOpenAIError, postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ADMIN = 'adm-e2e-4f9d2c7b1a';
const bearer = { authorization: `Bearer ${ADMIN}` };

let e2e: E2EGateway;
let noAdmin: E2EGateway;

const providers = {
  small: { type: 'mock', weight: 1 },
  big: { type: 'mock', weight: 0 },
};

const RULES_V1 = {
  rules: [
    { id: 'premium-big', description: 'premium to the big mock', when: 'tier == "premium"', route: 'big/big-model', priority: 10 },
  ],
};

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true, admin_token: 'env.ADMIN_TOKEN', expose_decision_headers: true },
    providers,
  }, { rules: { 'routing.yaml': RULES_V1 }, env: { ADMIN_TOKEN: ADMIN } });
  noAdmin = await startE2E({ server: { allow_unauthenticated: true }, providers });
}, HOOK);

after(async () => {
  await e2e?.close();
  await noAdmin?.close();
}, HOOK);

const explainBody = { request: { model: 'gpt-4o', headers: { 'x-tier': 'premium' } } };

describe('admin credential', SUITE, () => {
  const routes: [string, string, unknown?][] = [
    ['POST', '/admin/explain', explainBody],
    ['GET', '/admin/rules'],
    ['POST', '/admin/reload', {}],
    ['GET', '/admin/audit'],
  ];
  for (const [method, path, body] of routes) {
    test(`${method} ${path}: 401 without the token, 401 with a wrong one`, async () => {
      assertOpenAIError(await raw(e2e.url, path, { method, body }), 401, 'SY_ERR_ADMIN_UNAUTHORIZED');
      assertOpenAIError(await raw(e2e.url, path, { method, body, headers: { authorization: 'Bearer wrong-token' } }), 401, 'SY_ERR_ADMIN_UNAUTHORIZED');
      assertOpenAIError(await raw(e2e.url, path, { method, body, headers: { 'x-switchyard-admin-token': `${ADMIN}x` } }), 401, 'SY_ERR_ADMIN_UNAUTHORIZED');
    });
  }

  test('a virtual-key style header is not the admin credential', async () => {
    assertOpenAIError(await raw(e2e.url, '/admin/rules', { headers: { 'x-api-key': ADMIN } }), 401, 'SY_ERR_ADMIN_UNAUTHORIZED');
  });

  test('without server.admin_token the admin API is off (404)', async () => {
    assertOpenAIError(await raw(noAdmin.url, '/admin/rules', { headers: bearer }), 404, 'SY_ERR_NOT_FOUND');
    assertOpenAIError(await postJson(noAdmin.url, '/admin/explain', explainBody, bearer), 404, 'SY_ERR_NOT_FOUND');
  });
});

describe('admin routes with the token', SUITE, () => {
  test('POST /admin/explain traces the rules and returns the decision', async () => {
    const res = await postJson(e2e.url, '/admin/explain', explainBody, bearer);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.decision.via, 'rule');
    assert.equal(res.json.decision.rule_id, 'premium-big');
    assert.equal(res.json.decision.selected.provider, 'big');
    assert.equal(res.json.decision.selected.model, 'big-model');
    const trace = res.json.rules.find((r: { rule_id: string }) => r.rule_id === 'premium-big');
    assert.equal(trace.status, 'matched');
    assert.equal(trace.when, 'tier == "premium"');

    const other = await postJson(e2e.url, '/admin/explain', { request: { model: 'gpt-4o' } }, { 'x-switchyard-admin-token': ADMIN });
    assert.equal(other.status, 200, other.text);
    assert.equal(other.json.decision.via, 'balance');
    assert.equal(other.json.rules[0].status, 'false');
  });

  test('POST /admin/explain with a bad body is a 400 with a stable code', async () => {
    assertOpenAIError(await postJson(e2e.url, '/admin/explain', { nope: true }, bearer), 400, 'SY_ERR_BAD_REQUEST');
    const ghost = await postJson(e2e.url, '/admin/explain', { request: { model: 'gpt-4o', team: 'nobody' } }, bearer);
    assertOpenAIError(ghost, 400, 'SY_ERR_BAD_REQUEST');
    assert.equal(ghost.json.error.param, 'request.team');
    assert.match(ghost.json.error.message, /unknown team "nobody"/);
    assertOpenAIError(await raw(e2e.url, '/admin/explain', { method: 'POST', body: '{"request":', headers: { ...bearer, 'content-type': 'application/json' } }), 400, 'SY_ERR_INVALID_JSON');
  });

  test('GET /admin/rules lists the loaded rules with their revision', async () => {
    const res = await raw(e2e.url, '/admin/rules', { headers: bearer });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.revision.hash, /^[0-9a-f]{16}$/);
    assert.deepEqual(res.json.rules.map((r: { id: string }) => r.id), ['premium-big']);
    const r = res.json.rules[0];
    assert.equal(r.priority, 10);
    assert.equal(r.mode, 'enforce');
    assert.equal(r.enabled, true);
    assert.match(r.file, /routing\.yaml$/);
    assert.equal(typeof r.line, 'number');
  });

  test('POST /admin/reload picks up a changed rule file; a broken one is refused and the old rules stay', async () => {
    const before = await raw(e2e.url, '/admin/rules', { headers: bearer });
    const oldRevision = before.json.revision.hash;

    e2e.writeRule('extra.yaml', { rules: [{ id: 'batch-small', when: 'headers["x-batch"] == "1"', route: 'small/batch-model', priority: 5 }] });
    const ok = await raw(e2e.url, '/admin/reload', { method: 'POST', headers: bearer });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.ok, true);
    assert.notEqual(ok.json.revision.hash, oldRevision);
    const after = await raw(e2e.url, '/admin/rules', { headers: bearer });
    assert.deepEqual(after.json.rules.map((r: { id: string }) => r.id).sort(), ['batch-small', 'premium-big']);

    // The new rule routes live traffic.
    const routed = await postJson(e2e.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'b' }] }, { 'x-batch': '1' });
    assert.equal(routed.status, 200, routed.text);
    assert.equal(routed.headers['x-switchyard-rule-id'], 'batch-small');
    assert.equal(routed.headers['x-switchyard-served-by'], 'small/batch-model');

    e2e.writeRule('extra.yaml', 'rules:\n  - id: broken\n    when: tier ==\n    route: small/x\n');
    const bad = await raw(e2e.url, '/admin/reload', { method: 'POST', headers: bearer });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.json.ok, false);
    assert.ok(bad.json.issues.length > 0);
    assert.ok(bad.json.issues.some((i: { severity: string; text: string }) => i.severity === 'error' && /extra\.yaml/.test(i.text)), JSON.stringify(bad.json.issues));
    assert.deepEqual(bad.json.revision, ok.json.revision, 'the previous rules are still in force');
    // An operator's alert sees the refusal: the counter and the last result.
    const failed = (await raw(e2e.url, '/metrics')).text;
    assert.match(failed, /^switchyard_rule_reloads_total\{result="ok"\} 1$/m);
    assert.match(failed, /^switchyard_rule_reloads_total\{result="failed"\} 1$/m);
    assert.match(failed, /^switchyard_rule_reload_last_success 0$/m);
    const still = await postJson(e2e.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'b' }] }, { 'x-tier': 'premium' });
    assert.equal(still.headers['x-switchyard-rule-id'], 'premium-big');
    // A rule naming a provider the running config does not have: the refusal says the config is not reloaded.
    e2e.writeRule('extra.yaml', { rules: [{ id: 'new-provider', when: 'true', route: 'newcomer/model' }] });
    const config = await raw(e2e.url, '/admin/reload', { method: 'POST', headers: bearer });
    assert.equal(config.status, 422, config.text);
    assert.match(String(config.json.hint), /a change to providers.* takes a restart/);
    assert.equal(bad.json.hint, undefined, 'a syntax error is no config matter');
    e2e.writeRule('extra.yaml', { rules: [{ id: 'batch-small', when: 'headers["x-batch"] == "1"', route: 'small/batch-model', priority: 5 }] });
    assert.equal((await raw(e2e.url, '/admin/reload', { method: 'POST', headers: bearer })).status, 200);
    const fixed = (await raw(e2e.url, '/metrics')).text;
    assert.match(fixed, /^switchyard_rule_reloads_total\{result="ok"\} 2$/m);
    assert.match(fixed, /^switchyard_rule_reloads_total\{result="failed"\} 2$/m);
    assert.match(fixed, /^switchyard_rule_reload_last_success 1$/m);
    // batch-small reads a header that request lacks: an evaluation error, counted by rule.
    assert.match(await e2e.gw.runtime.metrics.registry.metrics(), /^switchyard_rule_errors_total\{rule="batch-small"\} [1-9]/m);
  });

  test('GET /admin/audit returns the recorded events', async () => {
    await e2e.gw.runtime.audit.flush();
    const res = await raw(e2e.url, '/admin/audit?limit=5', { headers: bearer });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json.events));
    assert.ok(res.json.events.length >= 1);
    assert.ok(!res.text.includes(ADMIN), 'the admin token is not in audit output');
  });
});

describe('ops routes', SUITE, () => {
  test('GET /healthz and /readyz', async () => {
    const h = await raw(e2e.url, '/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'ok');
    const r = await raw(e2e.url, '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ready');
    assert.match(r.json.revision.hash, /^[0-9a-f]{16}$/);
  });

  test('/readyz answers 503 while draining', async () => {
    e2e.gw.runtime.ready = false;
    try {
      const r = await raw(e2e.url, '/readyz');
      assert.equal(r.status, 503);
      assert.equal((await raw(e2e.url, '/healthz')).status, 200, 'still alive');
    } finally {
      e2e.gw.runtime.ready = true;
    }
  });

  test('GET /metrics is Prometheus text with switchyard_requests_total', async () => {
    await postJson(e2e.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'm' }] });
    await postJson(e2e.url, '/v1/chat/completions', { model: 'gpt-4o' });
    const m = await raw(e2e.url, '/metrics');
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /^text\/plain/);
    assert.match(m.text, /^# HELP switchyard_requests_total /m);
    assert.match(m.text, /^# TYPE switchyard_requests_total counter$/m);
    assert.match(m.text, /^switchyard_requests_total\{[^}]*endpoint="chat"[^}]*status="200"[^}]*\} \d+/m);
    assert.match(m.text, /^switchyard_request_duration_seconds_bucket\{/m);
    assert.match(m.text, /^switchyard_upstream_attempts_total\{[^}]*provider="small"/m);
    assert.match(m.text, /^switchyard_in_flight_requests 0$/m);
  });
});
