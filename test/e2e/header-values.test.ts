/**
 * Response headers that carry text a client chose. The served model is the name the
 * client asked for whenever its provider serves any name (the mock, a provider allowed by
 * glob), and `x-switchyard-served-by` names it: a control character or a letter past
 * Latin-1 there made writeHead throw, which ended the gateway's process on a whole answer
 * and left a stream hanging with no head.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true, expose_decision_headers: true },
    providers: { local: { type: 'mock', options: { latency_ms: 0, chunk_delay_ms: 0 } } },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

const MESSAGES = [{ role: 'user', content: 'Hello' }];

/** Model names with what x-switchyard-served-by says of each. */
const NAMES: Array<[string, string]> = [
  ['m\u0000x', 'local/m%00x'],
  ['m\u0001\r\nx-injected: 1', 'local/m%01%0D%0Ax-injected: 1'],
  ['ѕecret-model', 'local/%D1%95ecret-model'],
  ['caf\u00e9 100%', 'local/caf%C3%A9 100%25'],
  ['lone\ud800', 'local/lone%EF%BF%BD'],
];

describe('x-switchyard-served-by with a model name a header cannot hold', SUITE, () => {
  test('a whole answer is served, the name percent-encoded', async () => {
    for (const [model, shown] of NAMES) {
      const res = await postJson(e2e.url, '/v1/chat/completions', { model, messages: MESSAGES });
      assert.equal(res.status, 200, `${JSON.stringify(model)}: ${res.text}`);
      assert.equal(res.headers['x-switchyard-served-by'], shown);
      assert.equal(res.headers['x-injected'], undefined);
    }
    const anthropic = await postJson(e2e.url, '/anthropic/v1/messages', { model: 'm\u0001', max_tokens: 16, messages: MESSAGES });
    assert.equal(anthropic.status, 200, anthropic.text);
    assert.equal(anthropic.headers['x-switchyard-served-by'], 'local/m%01');
    const embeddings = await postJson(e2e.url, '/v1/embeddings', { model: 'm\u0001', input: 'Hello' });
    assert.equal(embeddings.status, 200, embeddings.text);
    assert.equal(embeddings.headers['x-switchyard-served-by'], 'local/m%01');
  });

  test('a stream is served, the name percent-encoded', async () => {
    for (const path of ['/v1/chat/completions', '/v1/responses', '/anthropic/v1/messages']) {
      const body = path === '/v1/responses'
        ? { model: 'm\u0001', stream: true, input: 'Hello' }
        : { model: 'm\u0001', stream: true, max_tokens: 16, messages: MESSAGES };
      const res = await postJson(e2e.url, path, body);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.equal(res.headers['x-switchyard-served-by'], 'local/m%01', path);
      assert.match(res.text, /data: /, path);
    }
  });

  test('the gateway still answers afterwards', async () => {
    const res = await raw(e2e.url, '/healthz');
    assert.equal(res.status, 200);
  });

  test('a plain name is left as it is', async () => {
    const res = await postJson(e2e.url, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: MESSAGES });
    assert.equal(res.headers['x-switchyard-served-by'], 'local/gpt-4o-mini');
  });
});
