/**
 * The breaker end to end: a provider that failed enough to cool down still serves the
 * models only it serves (panic), and is passed over where another provider can answer.
 * With dispatch.cooldown.panic false, those requests are refused while it cools down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { assertOpenAIError, postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ADMIN = 'cooldown-admin-token-1234';
let oa: WireFake, an: WireFake;
let gateways: E2EGateway[] = [];

before(async () => {
  [oa, an] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' })]);
}, HOOK);

after(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all([oa?.close(), an?.close()]);
}, HOOK);

async function gateway(panic?: boolean): Promise<E2EGateway> {
  const g = await startE2E({
    server: { allow_unauthenticated: true, expose_decision_headers: true, admin_token: 'env.ADMIN' },
    dispatch: { retries_per_target: 0, cooldown: { consecutive_failures: 2, base_ms: 60_000, ...(panic === undefined ? {} : { panic }) } },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o', 'shared-model'], keys: [{ name: 'k', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 1, models: ['claude-sonnet-4-5', 'shared-model'], keys: [{ name: 'k', value: 'sk-up-an' }] },
    },
  }, { env: { ADMIN } });
  gateways.push(g);
  return g;
}

const chat = (g: E2EGateway, model: string) => postJson(g.url, '/v1/chat/completions', { model, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });

/** Two 500s in a row from the OpenAI fake: it cools down for a minute. */
async function coolDownOpenAI(g: E2EGateway): Promise<void> {
  oa.enqueue({ error: { status: 500 } }, { error: { status: 500 } });
  for (let i = 0; i < 2; i++) assert.equal((await chat(g, 'gpt-4o')).status, 502);
  assert.ok(g.gw.runtime.dispatcher.health.isOut('oa'));
}

describe('a provider cooling down', SUITE, () => {
  test('still serves what only it serves (panic), recorded in the audit event', async () => {
    const g = await gateway();
    await coolDownOpenAI(g);
    oa.reset();
    const res = await chat(g, 'gpt-4o');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-switchyard-served-by'], 'oa/gpt-4o');
    assert.equal(oa.received.length, 1);

    await g.gw.runtime.audit.flush();
    const audit = await raw(g.url, `/admin/audit?decision_id=${res.headers['x-switchyard-decision-id']}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const [event] = audit.json.events;
    assert.equal(event.decision.panic, true);
    assert.deepEqual(event.inputs.unavailable, ['oa:cooldown']);
    assert.ok(g.gw.runtime.dispatcher.health.isOut('oa'), 'a success in panic does not end the cooldown: the probe does');
  });

  test('is passed over for a model another provider serves', async () => {
    const g = await gateway();
    await coolDownOpenAI(g);
    oa.reset();
    an.reset();
    const res = await chat(g, 'shared-model');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-switchyard-served-by'], 'an/shared-model');
    assert.equal(oa.received.length, 0);
  });

  test('with panic off, what only it serves is refused until the cooldown ends', async () => {
    const g = await gateway(false);
    await coolDownOpenAI(g);
    oa.reset();
    const res = await chat(g, 'gpt-4o');
    assertOpenAIError(res, 503, 'SY_ERR_NO_ROUTE');
    assert.equal(oa.received.length, 0);
  });
});
