/**
 * audit.store_prompts keeps the prompt, not the bytes of the images and files in it: a
 * screenshot sent in every turn of an agent's conversation would otherwise fill each
 * event, the audit buffer and the store with megabytes of base64.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    providers: { m: { type: 'mock', models: ['*'] } },
    audit: { store_prompts: true, sinks: [{ type: 'sqlite', path: 'audit.db', flush_interval_ms: 20 }] },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

const MB = 1024 * 1024;
/** 3 MiB of PNG and 768 KiB of PDF, as base64. */
const SCREENSHOT = 'iVBORw0KGgo'.repeat(Math.ceil((4 * MB) / 11)).slice(0, 4 * MB);
const PDF = 'JVBERi0xLjQK'.repeat(Math.ceil(MB / 12)).slice(0, MB);

async function stored(res: { status: number; text: string; headers: Record<string, unknown> }): Promise<{ text: string; body: any }> {
  assert.equal(res.status, 200, res.text);
  await e2e.gw.runtime.audit.flush();
  const [ev] = (await e2e.gw.runtime.audit.query({ decision_id: String(res.headers['x-switchyard-decision-id']) })).events;
  assert.ok(ev, 'the event is stored');
  return { text: JSON.stringify(ev), body: ev.request.body };
}

test('an OpenAI client\'s image and file are kept as their type and size, not their bytes', SUITE, async () => {
  const res = await postJson(e2e.url, '/v1/chat/completions', {
    model: 'm/any',
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'What does this screenshot show?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${SCREENSHOT}` } },
      { type: 'file', file: { filename: 'spec.pdf', file_data: `data:application/pdf;base64,${PDF}` } },
    ] }],
  });
  const { text, body } = await stored(res);
  assert.ok(text.length < 64 * 1024, `the event is ${text.length} characters long`);
  assert.deepEqual(body.messages[0].content, [
    { type: 'text', text: 'What does this screenshot show?' },
    { type: 'image', mediaType: 'image/png', omittedBytes: 3 * MB },
    { type: 'document', mediaType: 'application/pdf', filename: 'spec.pdf', omittedBytes: 0.75 * MB },
  ]);
});

test('an Anthropic client\'s image in a tool result and its document are kept without their bytes', SUITE, async () => {
  const res = await postJson(e2e.url, '/anthropic/v1/messages', {
    model: 'm/any', max_tokens: 64,
    messages: [
      { role: 'user', content: 'Take a screenshot.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'screenshot', input: {} }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: SCREENSHOT } }] },
        { type: 'document', title: 'Spec', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
        { type: 'text', text: 'And this spec?' },
      ] },
    ],
  });
  const { text, body } = await stored(res);
  assert.ok(text.length < 64 * 1024, `the event is ${text.length} characters long`);
  assert.ok(!text.includes('iVBORw0KGgoiVBORw0KGgo') && !text.includes('JVBERi0xLjQKJVBERi0xLjQK'), 'no base64 is kept');
  assert.ok(text.includes(`"omittedBytes":${3 * MB}`), text);
  assert.equal(body.messages.at(-1).content.at(-1).text, 'And this spec?', 'the text of the prompt is kept');
});
