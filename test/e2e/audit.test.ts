/**
 * Audit end to end: after a mix of requests (served, streamed, fallen back, refused by
 * the upstream, cut mid-stream, unknown model, bad input), the SQLite sink holds exactly
 * one event per request that reached the router — matching the decision id the client
 * got — with its attempts and outcome; requests rejected at intake leave none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEventV1 } from '../../src/types/audit-event.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { postJson, raw, readSse, sleep, startE2E, timedFetch, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake;
let e2e: E2EGateway;

const UPSTREAM_KEYS = ['sk-up-oa-audit-secret', 'sk-up-an-audit-secret'];

before(async () => {
  [oa, an] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 3, backoff: { base_ms: 1, cap_ms: 2 } },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 1, models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'], keys: [{ name: 'oa-main', value: 'env.OA' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'env.AN' }] },
    },
  }, {
    env: { OA: UPSTREAM_KEYS[0], AN: UPSTREAM_KEYS[1] },
    rules: {
      'routing.yaml': {
        rules: [{
          id: 'premium-claude', when: 'tier == "premium"', route: 'an/claude-sonnet-4',
          fallbacks: ['oa/gpt-4o'], fallback_on: ['server_error', 'rate_limited'], priority: 10,
        }],
      },
    },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close()]);
}, HOOK);

interface Sent {
  label: string;
  decisionId: string;
  check(ev: AuditEventV1): void;
}

function decisionIdOf(h: Headers | Record<string, unknown>): string {
  const v = h instanceof Headers ? h.get('x-switchyard-decision-id') : h['x-switchyard-decision-id'];
  assert.match(String(v), /^dec_/);
  return String(v);
}

test('exactly one audit event per routed request, with its attempts and outcome', SUITE, async () => {
  const sent: Sent[] = [];
  const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'audit me' }] };
  let servedUpstreamId = '';

  // 1. Served by balance.
  {
    const r = await postJson(e2e.url, '/v1/chat/completions', chat, { 'x-request-id': 'audit-req-1' });
    assert.equal(r.status, 200);
    const upstreamId = oa.last().requestId;
    assert.match(String(upstreamId), /^req_fake_oa_/);
    servedUpstreamId = String(upstreamId);
    sent.push({
      label: 'served', decisionId: decisionIdOf(r.headers), check(ev) {
        assert.equal(ev.request_id, 'audit-req-1');
        assert.equal(ev.decision.via, 'balance');
        assert.equal(ev.request.endpoint, 'chat');
        assert.equal(ev.request.dialect, 'openai');
        assert.equal(ev.request.model, 'gpt-4o');
        assert.equal(ev.request.stream, false);
        assert.equal(ev.attempts.length, 1);
        assert.deepEqual({ ...ev.attempts[0], latency_ms: 0 }, { ...ev.attempts[0], provider: 'oa', model: 'gpt-4o', key: 'oa-main', status: 200, fallback_reason: null, latency_ms: 0 });
        assert.equal(ev.outcome.status, 200);
        assert.equal(ev.outcome.code, null);
        assert.equal(ev.outcome.served_provider, 'oa');
        assert.equal(ev.outcome.served_model, 'gpt-4o');
        assert.equal(ev.outcome.input_tokens, 11);
        assert.equal(ev.outcome.output_tokens, 7);
        assert.equal(ev.attempts[0].upstream_request_id, upstreamId, "the provider's own id for the call (OpenAI x-request-id)");
      },
    });
  }

  // 2. Streamed through the Anthropic endpoint.
  {
    const res = await timedFetch(`${e2e.url}/anthropic/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oa/gpt-4o-mini', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 's' }] }),
    });
    const { events } = await readSse(res);
    assert.equal(events[events.length - 1].event, 'message_stop');
    sent.push({
      label: 'streamed', decisionId: decisionIdOf(res.headers), check(ev) {
        assert.equal(ev.decision.via, 'pinned');
        assert.equal(ev.request.endpoint, 'messages');
        assert.equal(ev.request.dialect, 'anthropic');
        assert.equal(ev.request.stream, true);
        assert.equal(ev.attempts.length, 1);
        assert.equal(ev.outcome.status, 200);
        assert.equal(ev.outcome.served_model, 'gpt-4o-mini');
        assert.equal(typeof ev.outcome.ttft_ms, 'number');
        assert.ok(!ev.outcome.stream_error);
        assert.equal(ev.outcome.output_tokens, 7);
      },
    });
  }

  // 3. Premium: the rule's target fails with 500, the fallback serves.
  {
    an.enqueue({ error: { status: 500, message: 'overloaded inside' } });
    const r = await postJson(e2e.url, '/v1/chat/completions', chat, { 'x-tier': 'premium' });
    assert.equal(r.status, 200, r.text);
    const ids = [an.last().requestId, oa.last().requestId];
    assert.equal(r.json.choices[0].message.content, 'hello from oa');
    sent.push({
      label: 'fallback', decisionId: decisionIdOf(r.headers), check(ev) {
        assert.equal(ev.decision.via, 'rule');
        assert.equal(ev.decision.rule_id, 'premium-claude');
        assert.equal(ev.principal.tier, 'premium');
        assert.deepEqual(ev.attempts.map((a) => [a.provider, a.model, a.status, a.fallback_reason]), [
          ['an', 'claude-sonnet-4', 500, 'server_error'],
          ['oa', 'gpt-4o', 200, null],
        ]);
        assert.deepEqual(ev.attempts.map((a) => a.upstream_request_id), ids, 'each call keeps its provider\'s id (Anthropic request-id, OpenAI x-request-id), the failed one too');
        assert.equal(ev.outcome.status, 200);
        assert.equal(ev.outcome.served_provider, 'oa');
      },
    });
  }

  // 4. The upstream refuses the request (400): passed through, not retried.
  {
    oa.enqueue({ error: { status: 400, message: 'bad param' } });
    const r = await postJson(e2e.url, '/v1/chat/completions', chat);
    assert.equal(r.status, 400);
    sent.push({
      label: 'upstream 400', decisionId: decisionIdOf(r.headers), check(ev) {
        assert.equal(ev.attempts.length, 1);
        assert.equal(ev.attempts[0].status, 400);
        assert.equal(ev.attempts[0].fallback_reason, null);
        assert.equal(ev.outcome.status, 400);
        assert.equal(ev.outcome.code, 'SY_ERR_UPSTREAM_CLIENT_ERROR');
        assert.equal(ev.outcome.served_provider, null);
      },
    });
  }

  // 5. Cut after the first chunk: an in-band error, recorded as a stream error.
  {
    oa.enqueue({ chunks: 3, cutAfter: 1 });
    const res = await timedFetch(`${e2e.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...chat, stream: true }),
    });
    await readSse(res);
    sent.push({
      label: 'cut stream', decisionId: decisionIdOf(res.headers), check(ev) {
        assert.equal(ev.attempts.length, 1, 'no retry after the commit point');
        assert.equal(ev.outcome.status, 200);
        assert.equal(ev.outcome.code, 'SY_ERR_STREAM_INTERRUPTED');
        assert.ok(ev.outcome.stream_error, 'stream_error is set');
      },
    });
  }

  // 6. Unknown model: decided (no route), refused, no attempt.
  {
    const r = await postJson(e2e.url, '/v1/chat/completions', { ...chat, model: 'nobody/serves-this' }, { 'x-tier': 'basic' });
    assert.equal(r.status, 404, r.text);
    sent.push({
      label: 'no route', decisionId: decisionIdOf(r.headers), check(ev) {
        assert.equal(ev.attempts.length, 0);
        assert.equal(ev.outcome.status, r.status);
        assert.equal(ev.outcome.code, 'SY_ERR_UNKNOWN_MODEL');
        assert.equal(ev.outcome.served_provider, null);
      },
    });
  }

  // 7. Embeddings.
  {
    const r = await postJson(e2e.url, '/v1/embeddings', { model: 'oa/text-embedding-3-small', input: ['a', 'b'] });
    assert.equal(r.status, 200, r.text);
    sent.push({
      label: 'embeddings', decisionId: decisionIdOf(r.headers), check(ev) {
        assert.equal(ev.request.endpoint, 'embeddings');
        assert.equal(ev.outcome.served_provider, 'oa');
        assert.equal(ev.outcome.input_tokens, 6);
      },
    });
  }

  // Refused at intake: never reach the router, so no event.
  assert.equal((await raw(e2e.url, '/v1/chat/completions', { method: 'POST', body: '{"model":', headers: { 'content-type': 'application/json' } })).status, 400);
  assert.equal((await postJson(e2e.url, '/v1/chat/completions', { model: 7 })).status, 400);
  assert.equal((await postJson(e2e.url, '/anthropic/v1/messages', { model: 'gpt-4o' })).status, 400);

  // The streamed events are recorded when the stream has been settled; give them a moment.
  let events: AuditEventV1[] = [];
  for (let i = 0; i < 40; i++) {
    await e2e.gw.runtime.audit.flush();
    events = (await e2e.gw.runtime.audit.query({ limit: 1000 })).events;
    if (events.length >= sent.length) break;
    await sleep(50);
  }
  await sleep(100);
  await e2e.gw.runtime.audit.flush();
  events = (await e2e.gw.runtime.audit.query({ limit: 1000 })).events;

  assert.equal(events.length, sent.length, `one event per routed request: ${events.map((e) => e.decision_id).join(', ')}`);
  const byId = new Map(events.map((e) => [e.decision_id, e]));
  assert.equal(byId.size, events.length, 'decision ids are unique');
  for (const s of sent) {
    const ev = byId.get(s.decisionId);
    assert.ok(ev, `an event for the ${s.label} request (${s.decisionId})`);
    assert.equal(ev.version, 1);
    assert.equal(ev.config_revision.hash, e2e.gw.runtime.router.bundle.revision.hash);
    try {
      s.check(ev);
    } catch (e) {
      (e as Error).message = `${s.label}: ${(e as Error).message}\n${JSON.stringify(ev, null, 2)}`;
      throw e;
    }
    const text = JSON.stringify(ev);
    for (const k of UPSTREAM_KEYS) assert.ok(!text.includes(k), 'no provider key in the audit event');
  }

  // Filters find the same events.
  const one = await e2e.gw.runtime.audit.query({ decision_id: sent[2].decisionId });
  assert.equal(one.events.length, 1);
  const byUpstreamId = await e2e.gw.runtime.audit.query({ upstream_request_id: servedUpstreamId });
  assert.deepEqual(byUpstreamId.events.map((e) => e.decision_id), [sent[0].decisionId], "found by the provider's id for the call");
  const fallbacks = await e2e.gw.runtime.audit.query({ fallback_reason: 'server_error' });
  assert.deepEqual(fallbacks.events.map((e) => e.decision_id), [sent[2].decisionId]);
  const byRule = await e2e.gw.runtime.audit.query({ rule_id: 'premium-claude' });
  assert.deepEqual(byRule.events.map((e) => e.decision_id), [sent[2].decisionId]);
  const failed = await e2e.gw.runtime.audit.query({ status: '4xx', limit: 100 });
  assert.ok(failed.events.some((e) => e.decision_id === sent[3].decisionId));
});
