import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildAuditEvent, buildStoredEvent, eventPolicy } from '../../src/audit/event.js';
import { isCredentialHeader, stripCredentialHeaders } from '../../src/audit/headers.js';
import { maskIssues } from '../../src/audit/mask.js';
import { auditEventProblems } from '../../src/audit/schema.js';
import type { AuditEventInput } from '../../src/audit/event.js';
import { makeDecision, makeEvents } from './fixtures.js';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function input(over: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    decisionId: 'dec-1',
    requestId: 'req-1',
    ts: new Date('2025-06-01T12:00:00.123Z'),
    decision: makeDecision(),
    principal: { customer: 'acme', team: 'ml-research', virtual_key: 'vk-app', tier: 'premium' },
    request: {
      endpoint: 'chat', dialect: 'openai', model: 'gpt-4o', stream: true,
      headers: { 'x-tier': 'premium', authorization: 'Bearer sk-live-abcdef123456', 'content-type': 'application/json' },
      params: { max_tokens: 512, temperature: 0.2 },
      body: { messages: [{ role: 'user', content: 'my secret plan' }, { role: 'assistant', content: 'ok' }], system: 'be nice' },
    },
    attempts: [
      { provider: 'anthropic', model: 'claude-sonnet-4', key: 'anthropic-main', status: 429, latency_ms: 80, fallback_reason: 'rate_limited', error: 'rate limited' },
      { provider: 'openai', model: 'gpt-4o', key: 'openai-primary', status: 200, latency_ms: 420, fallback_reason: null },
    ],
    outcome: { status: 200, code: null, served_provider: 'openai', served_model: 'gpt-4o', input_tokens: 100, output_tokens: 20, cost_usd: 0.0012, latency_ms: 510, ttft_ms: 140 },
    ...over,
  };
}

describe('buildAuditEvent', () => {
  it('turns the router decision into the event decision, inputs and revision', () => {
    const d = makeDecision({ shadow_matches: ['shadow-eu'], errors: [{ rule_id: 'bad', message: 'no such key' }], cached: true });
    const e = buildAuditEvent(input({ decision: d }));
    assert.deepEqual(auditEventProblems(e), []);
    assert.equal(e.version, 1);
    assert.equal(e.ts, '2025-06-01T12:00:00.123Z');
    assert.deepEqual(e.config_revision, d.revision);
    assert.deepEqual(e.inputs, d.inputs);
    const { inputs: _i, revision: _r, ...record } = d;
    assert.deepEqual(e.decision, record);
    assert.equal('inputs' in e.decision, false);
    assert.equal(e.attempts[0].fallback_reason, 'rate_limited');
    assert.equal(e.outcome.served_provider, 'openai');
  });

  it('produces schema-valid events for every fixture shape (rule, balance, pinned, none)', () => {
    for (const e of makeEvents(60)) assert.deepEqual(auditEventProblems(e), [], e.decision_id);
  });

  it('drops credential headers from the request and from the replay inputs', () => {
    const headers = {
      authorization: 'Bearer a', 'proxy-authorization': 'b', 'x-api-key': 'c', 'x-switchyard-key': 'd', 'api-key': 'e',
      'x-goog-api-key': 'f', cookie: 'g', 'X-Session-Token': 'h', 'x-client-secret': 'i', 'x-tier': 'premium',
    };
    const d = makeDecision();
    const e = buildAuditEvent(input({ decision: { ...d, inputs: { ...d.inputs, headers } }, request: { ...input().request, headers } }));
    assert.deepEqual(e.request.headers, { 'x-tier': 'premium' });
    assert.deepEqual(e.inputs.headers, { 'x-tier': 'premium' });
    for (const h of Object.keys(headers)) assert.equal(isCredentialHeader(h), h !== 'x-tier', h);
    assert.deepEqual(stripCredentialHeaders({ 'X-Tier': 'a', 'x-multi': ['1', '2'], 'x-none': undefined }), { 'x-tier': 'a', 'x-multi': '1, 2' });
  });

  it('keeps the prompt only with store_prompts, masked by audit.mask', () => {
    assert.equal(buildAuditEvent(input()).request.body, undefined);
    const policy = eventPolicy({ store_prompts: true, mask: ['/request/body/messages/*/content', '/request/params/temperature'] });
    const e = buildAuditEvent(input(), policy);
    assert.deepEqual(e.request.body, { messages: [{ role: 'user' }, { role: 'assistant' }], system: 'be nice' });
    assert.deepEqual(e.request.params, { max_tokens: 512 });
    assert.deepEqual(auditEventProblems(e), []);
  });

  it('masks required nullable fields to null and removes optional ones', () => {
    const policy = eventPolicy({ mask: ['/principal/virtual_key', '/attempts/*/error', '/outcome/cost_usd', '/inputs/headers/x-tier', '/decision/selected'] });
    const e = buildAuditEvent(input(), policy);
    assert.equal(e.principal.virtual_key, null);
    assert.equal('error' in e.attempts[0], false);
    assert.equal('cost_usd' in e.outcome, false);
    assert.deepEqual(e.inputs.headers, { 'user-agent': 'openai-node/6.0' });
    assert.equal(e.decision.selected, null);
    assert.deepEqual(auditEventProblems(e), []);
  });

  it('a header masked where the client sent it is masked where the rules saw it too, and the other way round', () => {
    const d = makeDecision();
    const headers = { 'x-user-email': 'bob@example.com', 'x-tier': 'premium' };
    const given = input({ decision: { ...d, inputs: { ...d.inputs, headers } }, request: { ...input().request, headers } });
    for (const mask of [['/request/headers/x-user-email'], ['/inputs/headers/x-user-email']]) {
      const e = buildAuditEvent(given, eventPolicy({ mask }));
      assert.deepEqual([e.request.headers, e.inputs.headers], [{ 'x-tier': 'premium' }, { 'x-tier': 'premium' }], mask[0]);
      assert.doesNotMatch(buildStoredEvent(given, eventPolicy({ mask })).json, /bob@example/, mask[0]);
    }
    const all = buildAuditEvent(given, eventPolicy({ mask: ['/request/headers/*'] }));
    assert.deepEqual([all.request.headers, all.inputs.headers], [{}, {}]);
  });

  it('never mutates the decision or request it is given (cached decisions are shared)', () => {
    const given = deepFreeze(input());
    const policy = eventPolicy({ store_prompts: true, mask: ['/request/body/messages/*/content', '/inputs/params/temperature', '/attempts/0'] }, { secrets: ['rate limited'] });
    const e = buildAuditEvent(given, policy);
    assert.equal(e.attempts.length, 1);
    assert.equal(given.decision.inputs.params.temperature, 0.2);
    assert.equal('content' in (given.request.body as { messages: object[] }).messages[0], true);
  });

  it('refuses mask pointers the event cannot lose, naming each', () => {
    const issues = maskIssues(['/decision_id', '/outcome/status', '/request/nope', 'request/params', '/attempts/x', '/principal/*', '/request/body/anything/below', '/request/headers/x-user']);
    assert.deepEqual(issues.map((i) => i.message), [
      'audit.mask "/decision_id": /decision_id is required by the audit event schema and cannot be masked',
      'audit.mask "/outcome/status": /outcome/status is required by the audit event schema and cannot be masked',
      'audit.mask "/request/nope": the audit event has no field /request/nope',
      'audit.mask "request/params": must be a JSON pointer naming a field, like /request/params/temperature',
      'audit.mask "/attempts/x": /attempts is an array: use an index or *',
      'audit.mask "/principal/*": /principal has fixed fields: name one',
    ]);
    assert.ok(issues.every((i) => i.code === 'audit_mask' && i.severity === 'error'));
    assert.throws(() => eventPolicy({ mask: ['/ts'] }), /\/ts is required/);
  });

  it('redacts known secret values anywhere in the event', () => {
    const key = 'sk-proj-CANARY0123456789';
    const e = buildAuditEvent(input({
      attempts: [{ provider: 'openai', model: 'gpt-4o', key: 'openai-primary', status: 401, latency_ms: 3, fallback_reason: 'auth_error', error: `Incorrect API key provided: ${key}.` }],
    }), eventPolicy({}, { secrets: [key, 'short'] }));
    assert.equal(e.attempts[0].error, 'Incorrect API key provided: [redacted].');
    assert.equal(JSON.stringify(e).includes(key), false);
  });

  it('redacts secrets that JSON escapes, and stores the scanned JSON of a clean event', () => {
    const key = 'pa"ss\\word\n0123';
    const policy = eventPolicy({}, { secrets: [key] });
    const e = buildAuditEvent(input({
      attempts: [{ provider: 'openai', model: 'gpt-4o', key: 'k', status: 401, latency_ms: 3, fallback_reason: 'auth_error', error: `bad key ${key}!` }],
    }), policy);
    assert.equal(e.attempts[0].error, 'bad key [redacted]!');
    const clean = buildAuditEvent(input(), policy);
    assert.equal(policy.redact?.mayContain(JSON.stringify(clean)), false);
    assert.equal(buildStoredEvent(input(), policy).json, JSON.stringify(clean));
    const dirty = buildStoredEvent(input({
      attempts: [{ provider: 'openai', model: 'gpt-4o', key: 'k', status: 401, latency_ms: 3, fallback_reason: 'auth_error', error: `bad key ${key}!` }],
    }), policy);
    assert.equal(dirty.json.includes('[redacted]'), true);
    assert.equal(dirty.json.includes('word'), false);
  });
});

describe('buildStoredEvent', () => {
  // The stored text is written without building the event object; it must be the text of
  // that object all the same, or a query would return something other than was decided.
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const inputArb = fc.record({
    headersStripped: fc.boolean(),
    requestHeaders: optional(fc.dictionary(fc.constantFrom('x-tier', 'authorization', 'User-Agent', 'x-api-key', 'accept'), fc.string())),
    params: optional(fc.dictionary(fc.constantFrom('max_tokens', 'temperature', 'tools'), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)))),
    body: optional(fc.constant({ messages: [{ role: 'user', content: 'hi' }] })),
    priority: optional(fc.oneof(fc.integer(), fc.constant(null))),
    scope: optional(fc.oneof(fc.string(), fc.constant(null))),
    fallbackOn: optional(fc.array(fc.constantFrom('timeout', 'rate_limited'))),
    reason: optional(fc.oneof(fc.string(), fc.constant(null))),
    cached: optional(fc.boolean()),
    error: optional(fc.oneof(fc.string(), fc.constant(null))),
    ttft: optional(fc.oneof(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.constant(null))),
    cost: optional(fc.double({ min: 0, max: 10, noNaN: true })),
    // A Date is formatted without toISOString (and its ms not parsed back): any date, past
    // years 0000–9999 too, must give toISOString's text and its own time.
    ts: fc.oneof(fc.constant('2025-06-01T12:00:00.000Z'), fc.constant(new Date('2025-06-02T00:00:00.500Z')), fc.date({ noInvalidDate: true })),
    storePrompts: fc.boolean(),
  });

  it('writes the text of the event buildAuditEvent builds, byte for byte', () => {
    fc.assert(fc.property(inputArb, (a) => {
      const base = makeDecision({ priority: a.priority, scope: a.scope, fallback_on: a.fallbackOn, reason: a.reason, cached: a.cached });
      const headers = a.headersStripped ? stripCredentialHeaders(base.inputs.headers) : base.inputs.headers;
      const given = input({
        ts: a.ts,
        decision: { ...base, inputs: { ...base.inputs, headers } },
        request: { endpoint: 'messages', dialect: 'anthropic', model: 'm', stream: false, headers: a.requestHeaders, params: a.params, body: a.body },
        attempts: [{ provider: 'p', model: 'm', key: null, status: 500, latency_ms: 1, fallback_reason: 'server_error', error: a.error }],
        outcome: { status: 200, code: null, served_provider: 'p', served_model: 'm', latency_ms: 2, ttft_ms: a.ttft, cost_usd: a.cost },
      });
      const policy = eventPolicy({ store_prompts: a.storePrompts });
      const stored = buildStoredEvent(given, policy);
      const event = buildAuditEvent(given, policy);
      assert.equal(stored.json, JSON.stringify(event));
      assert.equal(stored.decision_id, event.decision_id);
      assert.equal(stored.ts_ms, Date.parse(event.ts));
    }), { numRuns: 300 });
  });

  it('applies mask pointers and redaction as buildAuditEvent does', () => {
    const key = 'sk-proj-CANARY0123456789';
    const policy = eventPolicy({ mask: ['/request/params/temperature'] }, { secrets: [key] });
    const given = input({ attempts: [{ provider: 'openai', model: 'gpt-4o', key: 'k', status: 401, latency_ms: 3, fallback_reason: 'auth_error', error: `bad ${key}` }] });
    const stored = buildStoredEvent(given, policy);
    assert.equal(stored.json, JSON.stringify(buildAuditEvent(given, policy)));
    assert.equal(stored.json.includes(key), false);
    assert.deepEqual((JSON.parse(stored.json) as { request: { params: object } }).request.params, { max_tokens: 512 });
  });
});
