/**
 * audit.mask and store_prompts end to end: what a mask names is nowhere in the stored
 * event, neither in the copy of the headers the rules saw nor in a second copy of the
 * prompt.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    providers: { m: { type: 'mock', models: ['*'] } },
    audit: {
      store_prompts: true,
      mask: ['/request/headers/x-user-email', '/request/body/messages/*/content', '/request/body/system'],
      sinks: [{ type: 'sqlite', path: 'audit.db', flush_interval_ms: 20 }],
    },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

test('a masked header and a masked prompt are nowhere in the stored event', SUITE, async () => {
  const res = await postJson(e2e.url, '/v1/chat/completions', {
    model: 'm/any', chat_template_kwargs: { thinking: false },
    messages: [{ role: 'system', content: 'be discreet' }, { role: 'user', content: 'my secret plan' }],
  }, { 'x-user-email': 'bob@example.com', 'x-tier': 'gold' });
  assert.equal(res.status, 200, res.text);
  await e2e.gw.runtime.audit.flush();
  const [ev] = (await e2e.gw.runtime.audit.query({ decision_id: String(res.headers['x-switchyard-decision-id']) })).events;
  assert.ok(ev, 'the event is stored');
  const text = JSON.stringify(ev);
  for (const gone of ['bob@example.com', 'my secret plan', 'be discreet']) assert.ok(!text.includes(gone), `"${gone}" is masked everywhere: ${text}`);
  assert.equal(ev.request.headers?.['x-tier'], 'gold');
  assert.equal(ev.inputs.headers['x-tier'], 'gold', 'the rules saw the other headers, and replay does');
  const body = ev.request.body as Record<string, unknown>;
  assert.deepEqual((body.messages as { role: string }[]).map((m) => m.role), ['user'], 'the messages stay, without their content');
  assert.equal('clientBody' in body, false, "the client's whole body, kept for pass_params, is not a second copy of the prompt");
});
