/**
 * Embeddings requests with more inputs than the provider takes in one call (LangChain sends
 * 1,000 at a time, the OpenAI SDK up to 2,048; Gemini's batchEmbedContents takes 100),
 * through the official `openai` client: the gateway sends them in parts the provider takes
 * and answers one response in input order, with one audit event whose attempts are the
 * calls. The fakes refuse more inputs per call than their provider does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import type { AuditEventV1 } from '../../src/types/audit-event.js';
import { assertOpenAIError, postJson, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, gm: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;

/** `doc 17` → a vector that says which input it is and which provider made it. */
const vectorFrom = (who: number) => (text: string): number[] => {
  const n = Number(/^doc (\d+)$/.exec(text)?.[1] ?? -1);
  return [who, n, n / 4];
};
const GM = 1;
const OA = 2;
const docs = (n: number): string[] => Array.from({ length: n }, (_v, i) => `doc ${i}`);

before(async () => {
  [oa, gm] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true, expose_decision_headers: true },
    dispatch: { retries_per_target: 1, backoff: { base_ms: 1, cap_ms: 5 } },
    providers: {
      gm: { type: 'gemini', base_url: gm.url, weight: 1, models: ['gemini-embedding-001'], keys: [{ name: 'gm-main', value: 'sk-up-gm' }] },
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['text-embedding-3-small'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
      // A server whose limit the gateway cannot know, told it.
      tei: { type: 'openai-compatible', base_url: `${oa.url}/v1`, weight: 0, models: ['bge-m3'], options: { auth: 'none', max_embedding_inputs: 64 } },
    },
  }, {
    rules: {
      'embed.yaml': {
        rules: [{ id: 'embed-falls-back', when: 'model == "embed-fb"', route: 'gm/gemini-embedding-001', fallbacks: ['oa/text-embedding-3-small'], fallback_on: ['server_error'] }],
      },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { authorization: null } });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), gm?.close()]);
}, HOOK);

async function eventOf(decisionId: string | null): Promise<AuditEventV1> {
  assert.ok(decisionId, 'the answer names its decision');
  await e2e.gw.runtime.audit.flush();
  const { events } = await e2e.gw.runtime.audit.query({ decision_id: decisionId });
  assert.equal(events.length, 1, 'one audit event for the request');
  return events[0];
}

function assertInOrder(data: { index: number; embedding: number[] }[], n: number, who: number): void {
  assert.equal(data.length, n);
  data.forEach((d, i) => {
    assert.equal(d.index, i);
    assert.deepEqual(d.embedding, [who, i, i / 4], `input ${i}`);
  });
}

describe('embeddings over the provider\'s inputs per call', SUITE, () => {
  test('250 inputs to Gemini (SDK default base64, dimensions): three calls of 100, 100 and 50, one answer in input order', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    const { data: res, response } = await openai.embeddings.create({ model: 'gm/gemini-embedding-001', input: docs(250), dimensions: 64 }).withResponse();
    assertInOrder(res.data, 250, GM);
    // The fake counts one token an input.
    assert.deepEqual(res.usage, { prompt_tokens: 250, total_tokens: 250 });
    const calls = gm.received.map((r) => r.body.requests as { content: { parts: { text: string }[] }; outputDimensionality?: number }[]);
    assert.deepEqual(calls.map((c) => c.length).sort((a, b) => b - a), [100, 100, 50]);
    assert.deepEqual(calls.flat().map((r) => r.content.parts[0].text).sort(), docs(250).sort(), 'each input sent once');
    assert.ok(calls.flat().every((r) => r.outputDimensionality === 64), 'every part asks for the dimensions');

    const ev = await eventOf(response.headers.get('x-switchyard-decision-id'));
    assert.deepEqual(ev.attempts.map((a) => [a.provider, a.status, a.fallback_reason, a.retry_of, a.part]), [
      ['gm', 200, null, null, { index: 0, of: 3, first_input: 0, inputs: 100 }],
      ['gm', 200, null, null, { index: 1, of: 3, first_input: 100, inputs: 100 }],
      ['gm', 200, null, null, { index: 2, of: 3, first_input: 200, inputs: 50 }],
    ]);
    assert.equal(ev.outcome.status, 200);
    assert.equal(ev.outcome.input_tokens, 250, 'usage summed over the parts');
    assert.ok(Math.abs((ev.outcome.cost_usd ?? 0) - 250 * 0.15 / 1e6) < 1e-12, `charged once for the sum: ${ev.outcome.cost_usd}`);
    gm.setDefault(null);
  });

  test('2,048 inputs as floats: 21 calls to Gemini, none over its 100', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    const res = await openai.embeddings.create({ model: 'gm/gemini-embedding-001', input: docs(2048), encoding_format: 'float' });
    assertInOrder(res.data, 2048, GM);
    assert.equal(gm.received.length, 21);
    assert.ok(gm.received.every((r) => r.body.requests.length <= 100));
    gm.setDefault(null);
  });

  test('a part that fails is retried on its own; the others are not sent again', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    gm.enqueue({ error: { status: 503, message: 'try again' } });
    const { data: res, response } = await openai.embeddings.create({ model: 'gm/gemini-embedding-001', input: docs(250) }).withResponse();
    assertInOrder(res.data, 250, GM);
    assert.equal(gm.received.length, 4, 'three parts and one retry');
    const ev = await eventOf(response.headers.get('x-switchyard-decision-id'));
    assert.equal(ev.attempts.length, 4);
    const failed = ev.attempts.findIndex((a) => a.status === 503);
    assert.ok(failed >= 0 && failed < 3);
    assert.equal(ev.attempts[failed].fallback_reason, 'server_error');
    const retry = ev.attempts[3];
    assert.deepEqual([retry.status, retry.retry_of, retry.fallback_reason, retry.part], [200, failed, null, ev.attempts[failed].part]);
    gm.setDefault(null);
  });

  test('a part answering fewer inputs than it sent is a failed call, retried: later vectors never shift onto the wrong input', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    gm.enqueue({ embedding: vectorFrom(GM), embeddingDropsOne: true });
    const { data: res, response } = await openai.embeddings.create({ model: 'gm/gemini-embedding-001', input: docs(250), encoding_format: 'float' }).withResponse();
    assertInOrder(res.data, 250, GM);
    const ev = await eventOf(response.headers.get('x-switchyard-decision-id'));
    const short = ev.attempts.find((a) => a.fallback_reason === 'server_error');
    assert.ok(short, 'the short answer is a failed call');
    assert.match(short.error ?? '', /answered 99 embeddings for 100 inputs/);
    assert.equal(ev.attempts.length, 4, 'three parts and the short one again');
    gm.setDefault(null);
  });

  test('a single call answering fewer inputs than it sent is a failed call too, never an answer a vector short', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    gm.enqueue({ embedding: vectorFrom(GM), embeddingDropsOne: true });
    const { data: res, response } = await openai.embeddings.create({ model: 'gm/gemini-embedding-001', input: docs(50), encoding_format: 'float' }).withResponse();
    assertInOrder(res.data, 50, GM);
    const ev = await eventOf(response.headers.get('x-switchyard-decision-id'));
    assert.equal(ev.attempts.length, 2, 'the short answer, and the call again');
    assert.equal(ev.attempts[0].fallback_reason, 'server_error');
    assert.match(ev.attempts[0].error ?? '', /answered 49 embeddings for 50 inputs/);
    assert.equal(ev.attempts[0].part, undefined, 'one call, not parts');
    gm.setDefault(null);
  });

  test('a target that cannot serve every part falls back as a whole: the fallback embeds every input, no vectors mixed', async () => {
    gm.reset();
    oa.reset();
    // One part of the first round is served; every other Gemini call fails.
    gm.setDefault({ error: { status: 500, message: 'internal' } });
    gm.enqueue({ embedding: vectorFrom(GM) });
    oa.setDefault({ embedding: vectorFrom(OA) });
    const { data: res, response } = await openai.embeddings.create({ model: 'embed-fb', input: docs(250) }).withResponse();
    assertInOrder(res.data, 250, OA);
    assert.equal(oa.received.length, 1, 'OpenAI takes 2,048 inputs a call');
    assert.deepEqual(oa.last().body.input, docs(250));
    assert.equal(res.usage.prompt_tokens, 750, 'the fallback\'s count alone');
    const ev = await eventOf(response.headers.get('x-switchyard-decision-id'));
    assert.equal(ev.outcome.served_provider, 'oa');
    const last = ev.attempts.at(-1)!;
    assert.deepEqual([last.provider, last.status, last.fallback_reason, last.part], ['oa', 200, null, undefined]);
    const onGemini = ev.attempts.slice(0, -1);
    assert.ok(onGemini.every((a) => a.provider === 'gm' && a.part !== undefined));
    assert.ok(onGemini.filter((a) => a.status === 500).every((a) => a.fallback_reason === 'server_error'));
    assert.equal(ev.outcome.input_tokens, 750);
    gm.setDefault(null);
    oa.setDefault(null);
  });

  test('a part the provider refuses as invalid fails the whole request with the provider\'s 400, nothing else answered', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    gm.enqueue({ error: { status: 400, message: 'text too long' } });
    const res = await postJson(e2e.url, '/v1/embeddings', { model: 'embed-fb', input: docs(250) });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.message, /part \d of 3 \(inputs \d+-\d+\): .*text too long/);
    assert.equal(res.json.data, undefined);
    gm.setDefault(null);
  });

  test('options.max_embedding_inputs splits for a server whose limit the gateway cannot know', async () => {
    oa.reset();
    oa.setDefault({ embedding: vectorFrom(OA) });
    const res = await openai.embeddings.create({ model: 'tei/bge-m3', input: docs(150), encoding_format: 'float' });
    assertInOrder(res.data, 150, OA);
    assert.deepEqual(oa.received.map((r) => r.body.input.length).sort((a, b) => b - a), [64, 64, 22]);
    assert.equal(res.usage.prompt_tokens, 450);
    oa.setDefault(null);
  });

  test('more than 2,048 inputs is refused with OpenAI\'s 400, never sent upstream', async () => {
    gm.reset();
    oa.reset();
    const res = await postJson(e2e.url, '/v1/embeddings', { model: 'gm/gemini-embedding-001', input: docs(2049) });
    assertOpenAIError(res, 400, 'SY_ERR_BAD_REQUEST');
    assert.equal(res.json.error.param, 'input');
    assert.equal(gm.received.length + oa.received.length, 0);
  });

  test('a request within the provider\'s limit goes in one call, with no parts recorded', async () => {
    gm.reset();
    gm.setDefault({ embedding: vectorFrom(GM) });
    const { data: res, response } = await openai.embeddings.create({ model: 'gm/gemini-embedding-001', input: docs(100) }).withResponse();
    assertInOrder(res.data, 100, GM);
    assert.equal(gm.received.length, 1);
    const ev = await eventOf(response.headers.get('x-switchyard-decision-id'));
    assert.deepEqual(ev.attempts.map((a) => a.part), [undefined]);
    gm.setDefault(null);
  });
});
