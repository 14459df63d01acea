/**
 * Tool loops to Mistral through the gateway, as the official SDKs run them. The fake Mistral
 * (a Mistral model on an OpenAI fake) holds every chat request to Mistral's rules: tool call
 * ids of nine letters and digits, and nothing but a tool or assistant message right after a
 * tool message. With `options.tool_loop: mistral` a loop that began on Claude or OpenAI goes
 * on there, from every client dialect, and Mistral's own ids reach the client unchanged;
 * without it the request goes as before (and Mistral refuses it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startWireFake, type Received, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK } from './helpers.js';

let mi: WireFake, an: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;
let anthropic: Anthropic;

const MISTRAL_ID = /^[A-Za-z0-9]{9}$/;
const weatherAnthropic: Anthropic.Tool = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const weatherOpenAI: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const weatherResponses: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

before(async () => {
  [mi, an] = await Promise.all([startWireFake({ format: 'openai', name: 'mi' }), startWireFake({ format: 'anthropic', name: 'an' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      mistral: { type: 'openai-compatible', base_url: `${mi.url}/v1`, weight: 0, models: ['mistral-*', 'devstral-*'], options: { tool_loop: 'mistral' }, keys: [{ name: 'mi-main', value: 'sk-up-mi' }] },
      // The same server, not told Mistral's rules.
      plain: { type: 'openai-compatible', base_url: `${mi.url}/v1`, weight: 0, models: ['mistral-*', 'llama-*'], keys: [{ name: 'mi-main', value: 'sk-up-mi' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([mi?.close(), an?.close()]);
}, HOOK);

/** The tool call ids of the assistant messages and tool messages the fake Mistral got. */
function sentIds(rec: Received): { calls: string[]; results: string[] } {
  const messages: any[] = rec.body.messages;
  return {
    calls: messages.flatMap((m) => (m.role === 'assistant' && Array.isArray(m.tool_calls) ? m.tool_calls.map((c: any) => c.id) : [])),
    results: messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id),
  };
}

/** The tool call ids in the fake Mistral's answer, as it sent it. */
function answeredIds(rec: Received): string[] {
  return JSON.parse(rec.sent!).choices[0].message.tool_calls.map((c: any) => c.id);
}

describe('tool call ids: nine letters and digits for Mistral', () => {
  test("Anthropic SDK: a loop begun on Claude (toolu_ ids) goes on with Mistral, whose own ids come back unchanged", async () => {
    const ask: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const onClaude = await anthropic.messages.create({ model: 'an/claude-sonnet-4', max_tokens: 256, tools: [weatherAnthropic], messages: [ask] });
    const claudeCall = onClaude.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    assert.match(claudeCall.id, /^toolu_/);
    const history: Anthropic.MessageParam[] = [ask, { role: 'assistant', content: onClaude.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: claudeCall.id, content: 'Sunny, 21C' }] }];

    mi.reset();
    mi.enqueue({ toolCall: { name: 'get_weather', args: { city: 'Lyon' } } });
    const onMistral = await anthropic.messages.create({ model: 'mistral/mistral-large-latest', max_tokens: 256, tools: [weatherAnthropic], messages: history });
    const { calls, results } = sentIds(mi.last());
    assert.match(calls[0], MISTRAL_ID);
    assert.deepEqual(results, calls, "the result still names its call");
    const mistralCall = onMistral.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    assert.deepEqual([mistralCall.id], answeredIds(mi.last()), "the client gets Mistral's id as Mistral sent it");

    // Streamed, with Mistral's call and its result in the history too.
    const next = [...history, { role: 'assistant' as const, content: onMistral.content }, { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: mistralCall.id, content: 'Cloudy, 15C' }] }];
    const streamed = await anthropic.messages.stream({ model: 'mistral/mistral-large-latest', max_tokens: 256, tools: [weatherAnthropic], messages: next }).finalMessage();
    assert.deepEqual(streamed.content, [{ type: 'text', text: 'The tool said: Cloudy, 15C' }]);
    const again = sentIds(mi.last());
    assert.deepEqual(again.calls, [calls[0], mistralCall.id], "Claude's id goes as the same digest every turn; Mistral's as it was");
    assert.deepEqual(again.results, again.calls);
  });

  test("OpenAI SDK (chat): OpenAI's call_ ids are rewritten, Mistral's own come back and go back unchanged", async () => {
    const fromOpenAI = 'call_8cTzJmQqS7eVZbK1yWfN0xLd';
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: fromOpenAI, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: fromOpenAI, content: 'Sunny, 21C' },
    ];
    mi.reset();
    mi.enqueue({ toolCall: { name: 'get_weather', args: { city: 'Lyon' } } });
    const first = await openai.chat.completions.create({ model: 'mistral/mistral-large-latest', tools: [weatherOpenAI], messages });
    const sent = sentIds(mi.last());
    assert.match(sent.calls[0], MISTRAL_ID);
    assert.deepEqual(sent.results, sent.calls);
    const call = first.choices[0].message.tool_calls![0];
    assert.deepEqual([call.id], answeredIds(mi.last()));

    const streamed = openai.chat.completions.create({
      model: 'mistral/mistral-large-latest', tools: [weatherOpenAI], stream: true,
      messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'Cloudy, 15C' }],
    });
    let text = '';
    for await (const chunk of await streamed) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'The tool said: Cloudy, 15C');
    assert.deepEqual(sentIds(mi.last()).calls, [sent.calls[0], call.id]);
  });

  test("OpenAI SDK (Responses): a function call's call_ id goes as nine letters and digits; Mistral's call_id comes back unchanged", async () => {
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { type: 'function_call', id: 'fc_68a1b2c3d4e5f6a7b8c9d0e1', call_id: 'call_8cTzJmQqS7eVZbK1yWfN0xLd', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_8cTzJmQqS7eVZbK1yWfN0xLd', output: 'Sunny, 21C' },
    ];
    mi.reset();
    mi.enqueue({ toolCall: { name: 'get_weather', args: { city: 'Lyon' } } });
    const first = await openai.responses.create({ model: 'mistral/mistral-large-latest', tools: [weatherResponses], input });
    const sent = sentIds(mi.last());
    assert.match(sent.calls[0], MISTRAL_ID);
    assert.deepEqual(sent.results, sent.calls);
    const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
    assert.deepEqual([call.call_id], answeredIds(mi.last()));

    const second = await openai.responses.create({
      model: 'mistral/mistral-large-latest', tools: [weatherResponses],
      input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: 'Cloudy, 15C' }],
    });
    assert.equal(second.output_text, 'The tool said: Cloudy, 15C');
    assert.deepEqual(sentIds(mi.last()).calls, [sent.calls[0], call.call_id]);
  });

  test('without the option the ids go as before, and Mistral refuses them in its words', async () => {
    mi.reset();
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_Xy12', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_Xy12', content: 'Sunny' },
    ];
    await assert.rejects(openai.chat.completions.create({ model: 'plain/mistral-large-latest', tools: [weatherOpenAI], messages }), (e: any) => {
      assert.equal(e.status, 400);
      assert.match(e.message, /Tool call id was call_Xy12 but must be a-z, A-Z, 0-9, with a length of 9/);
      return true;
    });
    assert.deepEqual(sentIds(mi.last()), { calls: ['call_Xy12'], results: ['call_Xy12'] });
    // Another model on the same provider: nothing to refuse, nothing changed.
    const ok = await openai.chat.completions.create({ model: 'plain/llama-3.3', tools: [weatherOpenAI], messages });
    assert.equal(ok.choices[0].message.content, 'The tool said: Sunny');
    assert.deepEqual(sentIds(mi.last()), { calls: ['call_Xy12'], results: ['call_Xy12'] });
  });
});

describe("message order: an assistant message between a tool result and the user's next words", () => {
  const roles = (rec: Received): string[] => rec.body.messages.map((m: any) => m.role);

  test('Anthropic SDK: a user turn holding tool results and text beside them (Claude Code), whole and streamed', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Weather in Paris and a screenshot?' },
      { role: 'assistant', content: [
        { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_01B19r01rx01mr028946mr0', name: 'get_weather', input: { city: 'Lyon' } },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: 'Sunny, 21C' },
        { type: 'tool_result', tool_use_id: 'toolu_01B19r01rx01mr028946mr0', content: [{ type: 'text', text: 'Cloudy' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { type: 'text', text: '<system-reminder>Keep answers short.</system-reminder>' },
      ] },
    ];
    for (const stream of [false, true]) {
      mi.reset();
      mi.enqueue({ text: 'Sunny in Paris, cloudy in Lyon.' });
      const params = { model: 'mistral/devstral-medium-latest', max_tokens: 256, tools: [weatherAnthropic], messages };
      const answer = stream ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
      assert.deepEqual(answer.content, [{ type: 'text', text: 'Sunny in Paris, cloudy in Lyon.' }]);
      const sent = mi.last().body.messages;
      assert.deepEqual(roles(mi.last()), ['user', 'assistant', 'tool', 'tool', 'assistant', 'user', 'user']);
      assert.equal(sent[4].content, 'Tool results received.');
      assert.equal(sent[6].content, '<system-reminder>Keep answers short.</system-reminder>', "the user's words stay the user's");
      assert.deepEqual([sent[2].content, sent[3].content.split('\n')[0]], ['Sunny, 21C', 'Cloudy'], 'the results stay what the tools said');
    }
  });

  test("OpenAI SDK (chat and Responses): the user speaking right after a tool result", async () => {
    mi.reset();
    const chat = await openai.chat.completions.create({
      model: 'mistral/mistral-large-latest',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'Mf0000001', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'Mf0000001', content: 'Sunny, 21C' },
        { role: 'user', content: 'And should I take a coat?' },
      ],
    });
    assert.equal(chat.choices[0].message.content, 'hello from mi');
    assert.deepEqual(roles(mi.last()), ['user', 'assistant', 'tool', 'assistant', 'user']);

    const responses = await openai.responses.create({
      model: 'mistral/mistral-large-latest',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_8cTzJmQqS7eVZbK1yWfN0xLd', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_8cTzJmQqS7eVZbK1yWfN0xLd', output: 'Sunny, 21C' },
        { role: 'user', content: 'And should I take a coat?' },
      ],
    });
    assert.equal(responses.output_text, 'hello from mi');
    assert.deepEqual(roles(mi.last()), ['user', 'assistant', 'tool', 'assistant', 'user']);
  });

  test('without the option the order is as before, and Mistral refuses it in its words', async () => {
    mi.reset();
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'Mf0000001', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'Mf0000001', content: 'Sunny, 21C' }, { type: 'text', text: 'Be brief.' }] },
    ];
    await assert.rejects(anthropic.messages.create({ model: 'plain/mistral-large-latest', max_tokens: 256, messages }), (e: any) => {
      assert.equal(e.status, 400);
      assert.match(e.message, /Unexpected role 'user' after role 'tool'/);
      return true;
    });
    assert.deepEqual(roles(mi.last()), ['user', 'assistant', 'tool', 'user']);
  });
});
