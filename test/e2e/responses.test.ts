/**
 * OpenAI's Responses API (`POST /v1/responses`) through the gateway, driven by the official
 * `openai` SDK (`responses.create`, `responses.stream`) against fake OpenAI, Anthropic and
 * Gemini upstreams: text, function tools (call → output → answer), custom tools as Codex
 * sends them (upstream as functions with one string parameter, back as custom calls, also
 * over chat completions), streaming events in order, structured output, OpenAI-only
 * settings, routing by `endpoint == "responses"`, the audit event, and the refusals of
 * what a stateless gateway cannot do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startWireFake, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { hashKey } from '../../src/governance/index.js';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { REQUEST_TIMEOUT_MS, assertOpenAIError, postJson, raw, sleep, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let client: OpenAI;

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'get_weather', description: 'Current weather for a city', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const UPSTREAMS = [['oa/gpt-4o', 'oa'], ['an/claude-sonnet-4', 'an'], ['gm/gemini-2.5-flash', 'gm']] as const;

before(async () => {
  [oa, an, gm] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 1, models: ['gpt-4o', 'gpt-5'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash'], keys: [{ name: 'gm-main', value: 'sk-up-gm' }] },
    },
  }, {
    rules: { 'routing.yaml': { rules: [{ id: 'responses-on-claude', when: 'endpoint == "responses" && model == "by-endpoint"', route: 'an/claude-sonnet-4' }] } },
  });
  client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

const fakes = (): Record<string, WireFake> => ({ oa, an, gm });
/** A response's `store`, which OpenAI sends and the SDK's type leaves out. */
const storeOf = (r: object): unknown => (r as { store?: unknown }).store;

describe('POST /v1/responses', SUITE, () => {
  test('text from each provider: instructions, input and max_output_tokens go up, a completed response comes back', async () => {
    for (const [model, name] of UPSTREAMS) {
      fakes()[name].reset();
      const res = await client.responses.create({ model, instructions: 'You are terse.', input: 'Say hello', max_output_tokens: 50 });
      assert.equal(res.object, 'response');
      assert.match(res.id, /^resp_/);
      assert.equal(res.status, 'completed', name);
      assert.equal(res.output_text, `hello from ${name}`);
      // The response repeats the request's settings, OpenAI's defaults for the rest.
      assert.equal(res.instructions, 'You are terse.');
      assert.equal(res.max_output_tokens, 50);
      assert.deepEqual([res.tools, res.tool_choice, res.temperature, res.text], [[], 'auto', 1, { format: { type: 'text' } }]);
      assert.deepEqual(res.usage, { input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18 });
      const up = fakes()[name].last().body;
      if (name === 'oa') {
        assert.deepEqual(up.messages, [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello' }]);
        assert.equal(up.max_completion_tokens, 50);
      } else if (name === 'an') {
        assert.equal(up.system, 'You are terse.');
        assert.equal(up.max_tokens, 50);
      } else {
        assert.deepEqual(up.systemInstruction, { parts: [{ text: 'You are terse.' }] });
        assert.equal(up.generationConfig.maxOutputTokens, 50);
      }
    }
  });

  test('function tools: call → function_call_output → answer, through each provider', async () => {
    for (const [model, name] of UPSTREAMS) {
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await client.responses.create({ model, input, tools: [weather] });
      assert.deepEqual(first.tools, [weather]);
      const calls = first.output.filter((i) => i.type === 'function_call');
      assert.equal(calls.length, 1, name);
      assert.equal(calls[0].name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0].arguments), TOOL_ARGS);
      const second = await client.responses.create({
        model, tools: [weather],
        input: [...input, ...(first.output as OpenAI.Responses.ResponseInput), { type: 'function_call_output', call_id: calls[0].call_id, output: '{"temp_c":21}' }],
      });
      assert.equal(second.output_text, 'The tool said: {"temp_c":21}', name);
    }
    // Anthropic saw the text before the call and the call as one assistant turn, the result as tool_result, the tool as strict.
    const up = an.history.filter((r) => r.path === '/v1/messages').at(-1)!.body;
    assert.equal(up.tools[0].strict, true);
    assert.deepEqual(up.messages.map((m: { role: string; content: { type: string }[] }) => [m.role, m.content.map((b) => b.type)]), [
      ['user', ['text']], ['assistant', ['text', 'tool_use']], ['user', ['tool_result']],
    ]);
  });

  test('streaming: events in order with increasing sequence numbers, and the final response whole', async () => {
    for (const [model, name] of UPSTREAMS) {
      const stream = client.responses.stream({ model, input: 'Say hello' });
      const types: string[] = [];
      const seqs: number[] = [];
      for await (const ev of stream) {
        types.push(ev.type);
        seqs.push(ev.sequence_number);
      }
      const final = await stream.finalResponse();
      assert.equal(final.output_text, `hello from ${name}`, name);
      assert.match(final.id, /^resp_[0-9a-f]+/);
      assert.equal(final.status, 'completed');
      assert.equal(final.usage?.output_tokens, 7);
      assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
      assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
      assert.ok(types.includes('response.output_text.delta'));
      assert.deepEqual(seqs, seqs.map((_s, i) => i), 'sequence numbers count from 0');
    }
  });

  test('a stream cut after its first content ends with an error event, which the SDK throws, and never completes', async () => {
    oa.enqueue({ cutAfter: 1, chunks: 3 });
    const stream = client.responses.stream({ model: 'oa/gpt-4o', input: 'hi' });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const iterated = (async () => { for await (const ev of stream) events.push(ev); })();
    await assert.rejects(stream.finalResponse());
    const err = await iterated.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, `the iteration throws: ${String(err)}`);
    assert.equal(err.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.match(err.message, /mid-stream/);
    assert.ok(events.some((e) => e.type === 'response.output_text.delta'), 'the first content reached the client');
    assert.ok(!events.some((e) => e.type === 'response.completed'));

    // On the wire: the fields at the top, as OpenAI documents the event, and nested, as it sends it.
    oa.enqueue({ cutAfter: 1, chunks: 3 });
    const res = await raw(e2e.url, '/v1/responses', { method: 'POST', body: JSON.stringify({ model: 'oa/gpt-4o', input: 'hi', stream: true }), headers: { 'content-type': 'application/json' } });
    const frames = res.text.split('\n\n').filter((f) => f.startsWith('event: error'));
    assert.equal(frames.length, 1, res.text);
    const data = JSON.parse(frames[0].slice(frames[0].indexOf('data: ') + 6)) as Record<string, any>;
    assert.equal(data.type, 'error');
    assert.equal(data.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.equal(typeof data.message, 'string');
    assert.equal(typeof data.sequence_number, 'number');
    assert.deepEqual(data.error, { type: 'server_error', code: 'SY_ERR_STREAM_INTERRUPTED', message: data.message, param: null });
  });

  test('streaming a function call: argument deltas add up to the call', async () => {
    for (const [model, name] of UPSTREAMS) {
      const stream = client.responses.stream({ model, input: 'Weather in Paris?', tools: [weather] });
      let deltas = '';
      stream.on('response.function_call_arguments.delta', (ev) => { deltas += ev.delta; });
      const final = await stream.finalResponse();
      assert.deepEqual(final.tools, [weather]);
      const call = final.output.find((i) => i.type === 'function_call');
      assert.ok(call && call.type === 'function_call', name);
      assert.equal(call.status, 'completed');
      assert.deepEqual(JSON.parse(call.arguments), TOOL_ARGS);
      assert.equal(deltas, call.arguments);
    }
  });

  test('structured output (text.format) reaches each provider in its own form, and the answer is JSON', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    for (const [model] of UPSTREAMS) {
      const res = await client.responses.create({ model, input: 'Where?', text: { format: { type: 'json_schema', name: 'place', schema, strict: true } } });
      assert.deepEqual(JSON.parse(res.output_text), { city: 'fake' }, model);
    }
    assert.deepEqual(an.last().body.output_config, { format: { type: 'json_schema', schema } });
  });

  test('OpenAI-only settings (reasoning effort, verbosity) reach OpenAI as chat fields, and no other provider', async () => {
    const params = { input: 'Think', reasoning: { effort: 'high' as const }, text: { verbosity: 'low' as const }, prompt_cache_key: 'tenant-1' };
    await client.responses.create({ model: 'oa/gpt-5', ...params });
    assert.equal(oa.last().body.reasoning_effort, 'high');
    assert.equal(oa.last().body.verbosity, 'low');
    assert.equal(oa.last().body.prompt_cache_key, 'tenant-1');
    await client.responses.create({ model: 'an/claude-sonnet-4', ...params });
    for (const name of ['reasoning_effort', 'verbosity', 'prompt_cache_key', 'reasoning']) assert.equal(an.last().body[name], undefined, name);
  });

  test("Codex's remote compaction: a compaction_trigger gets one sealed compaction item, whole or streamed, which reads back as the summary", async () => {
    const history = [{ role: 'user', content: 'Fix the failing test' }, { role: 'assistant', content: 'Looking at it.' }];
    const input = [...history, { type: 'compaction_trigger' }] as unknown as OpenAI.Responses.ResponseInput;
    an.reset();
    const whole = await client.responses.create({ model: 'an/claude-sonnet-4', input, tools: [weather], store: false });
    assert.deepEqual(whole.output.map((i) => i.type), ['compaction']);
    const sealed = (whole.output[0] as unknown as { encrypted_content: string }).encrypted_content;
    assert.match(sealed, /^sy-compaction\.v1:/);
    const asked = an.last().body;
    assert.equal(asked.tools, undefined, 'a summary calls no tools');
    assert.match(JSON.stringify(asked.messages.at(-1)), /summary/);

    const events: { type: string; item?: { type: string } }[] = [];
    const stream = await client.responses.create({ model: 'an/claude-sonnet-4', input, stream: true, store: false });
    for await (const ev of stream) events.push(ev as unknown as { type: string; item?: { type: string } });
    assert.deepEqual(events.filter((e) => e.type.startsWith('response.output_item')).map((e) => `${e.type}:${e.item?.type}`), ['response.output_item.added:compaction', 'response.output_item.done:compaction']);
    assert.equal(events.some((e) => e.type === 'response.output_text.delta'), false);
    const completed = events.at(-1) as unknown as { type: string; response: { output: { type: string }[] } };
    assert.deepEqual([completed.type, completed.response.output.map((i) => i.type)], ['response.completed', ['compaction']]);

    const next = [history[0], { type: 'compaction', encrypted_content: sealed }, { role: 'user', content: 'Go on' }] as unknown as OpenAI.Responses.ResponseInput;
    await client.responses.create({ model: 'oa/gpt-4o', input: next, store: false });
    const sent = oa.last().body.messages as { role: string; content: string }[];
    assert.equal(sent[1].role, 'user');
    assert.match(sent[1].content, /replaced by this summary[\s\S]*hello from an/);

    const forged = await raw(e2e.url, '/v1/responses', { method: 'POST', body: { model: 'oa/gpt-4o', input: [{ type: 'compaction', encrypted_content: 'gAAAAB-openai-made' }, { role: 'user', content: 'hi' }] } });
    assert.equal(forged.status, 400, forged.text);
    assert.equal(forged.json.error.param, 'input[0].encrypted_content');
    const early = await raw(e2e.url, '/v1/responses', { method: 'POST', body: { model: 'oa/gpt-4o', input: [{ type: 'compaction_trigger' }, { role: 'user', content: 'hi' }] } });
    assert.equal(early.json.error.param, 'input[0].type');
  });

  test('a compaction turn is built on with previous_response_id: its compaction item is kept, the trigger that asked for it is not', async () => {
    const first = await client.responses.create({ model: 'oa/gpt-4o', input: 'Fix the failing test' });
    const compacted = await client.responses.create({ model: 'oa/gpt-4o', previous_response_id: first.id, input: [{ type: 'compaction_trigger' }] as unknown as OpenAI.Responses.ResponseInput });
    assert.deepEqual(compacted.output.map((i) => i.type), ['compaction']);
    oa.reset();
    const next = await client.responses.create({ model: 'oa/gpt-4o', previous_response_id: compacted.id, input: 'Go on' });
    assert.equal(next.status, 'completed');
    const sent = oa.last().body.messages as { role: string; content: string }[];
    assert.deepEqual(sent.map((m) => m.role), ['user', 'assistant', 'user', 'user']);
    assert.match(sent[2].content, /replaced by this summary/);
  });

  test('POST /v1/responses/compact (the Agents SDK\'s compaction session): the user messages, then one compaction item', async () => {
    an.reset();
    const input = [
      { role: 'user', content: 'Fix the failing test' }, { role: 'assistant', content: 'Looking at it.' },
      { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
      { role: 'user', content: 'And the docs' },
    ] as OpenAI.Responses.ResponseInput;
    const compacted = await client.responses.compact({ model: 'an/claude-sonnet-4', input });
    assert.equal(compacted.object, 'response.compaction');
    // The user's messages as output items, typed, as the SDK's CompactedResponse types them.
    assert.deepEqual(compacted.output.map((i) => i.type), ['message', 'message', 'compaction']);
    for (const [i, text] of ['Fix the failing test', 'And the docs'].entries()) {
      const { id, ...m } = compacted.output[i] as unknown as Record<string, unknown>;
      assert.match(String(id), /^msg_/);
      assert.deepEqual(m, { type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text }] });
    }
    assert.match((compacted.output[2] as unknown as { encrypted_content: string }).encrypted_content, /^sy-compaction\.v1:/);
    assert.equal(compacted.usage.output_tokens, 7);
    assert.equal(an.last().body.tools, undefined);
    // What the compaction gives back is the next request's input, as is.
    await client.responses.create({ model: 'oa/gpt-4o', input: [...compacted.output, { role: 'user', content: 'Go on' }] as OpenAI.Responses.ResponseInput, store: false });
    assert.match(JSON.stringify(oa.last().body.messages), /replaced by this summary/);
    const streamed = await raw(e2e.url, '/v1/responses/compact', { method: 'POST', body: { model: 'oa/gpt-4o', input: 'hi', stream: true } });
    assert.equal(streamed.status, 400);
    assert.equal(streamed.json.error.param, 'stream');
    const odd = await raw(e2e.url, '/v1/responses/compact', { method: 'POST', body: { model: 'oa/gpt-4o', input: 42 } });
    assert.equal(odd.status, 400);
    assert.equal(odd.json.error.param, 'input');
    // OpenAI's compaction takes no conversation: said as such, not as answers the gateway does not keep.
    const conv = await client.conversations.create({ items: [{ role: 'user', content: 'Fix the failing test' }] });
    const named = await raw(e2e.url, '/v1/responses/compact', { method: 'POST', body: { model: 'oa/gpt-4o', conversation: conv.id, input: 'hi' } });
    assert.equal(named.status, 400);
    assert.equal(named.json.error.param, 'conversation');
    assert.doesNotMatch(named.json.error.message, /response_items is off/);
    // An answer to compact up to is enough.
    const kept = await client.responses.create({ model: 'oa/gpt-4o', input: 'Remember the word banana' });
    const upTo = await raw(e2e.url, '/v1/responses/compact', { method: 'POST', body: { model: 'oa/gpt-4o', previous_response_id: kept.id } });
    assert.equal(upTo.status, 200, upTo.text);
    assert.deepEqual(upTo.json.output.map((i: { type: string }) => i.type), ['message', 'compaction']);
    assert.equal(upTo.json.output[0].content[0].text, 'Remember the word banana');
    // Nothing to compact goes nowhere: no model is called, nothing is charged.
    const sent = oa.history.length + an.history.length;
    for (const body of [{ model: 'oa/gpt-4o' }, { model: 'oa/gpt-4o', input: [] }]) {
      const empty = await raw(e2e.url, '/v1/responses/compact', { method: 'POST', body });
      assert.equal(empty.status, 400, empty.text);
      assert.equal(empty.json.error.param, 'input');
    }
    assert.equal(oa.history.length + an.history.length, sent);
  });

  test('a prompt template is refused, naming prompt: the model would run without it', async () => {
    const res = await raw(e2e.url, '/v1/responses', { method: 'POST', body: { model: 'oa/gpt-4o', input: 'hi', prompt: { id: 'pmpt_123', variables: { city: 'Paris' } } } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.param, 'prompt');
  });

  test('rules see endpoint == "responses", and the audit event records it', async () => {
    an.reset();
    const { data, response } = await client.responses.create({ model: 'by-endpoint', input: 'hi' }).withResponse();
    assert.equal(data.output_text, 'hello from an');
    // The response is named after its decision, whose audit event it finds.
    assert.equal(data.id, response.headers.get('x-switchyard-decision-id')!.replace(/^dec_/, 'resp_'));
    await e2e.gw.runtime.audit.flush();
    const { events } = await e2e.gw.runtime.audit.query({ decision_id: response.headers.get('x-switchyard-decision-id')! });
    assert.equal(events.length, 1);
    assert.equal(events[0].request.endpoint, 'responses');
    assert.equal(events[0].request.dialect, 'openai');
    assert.equal(events[0].decision.rule_id, 'responses-on-claude');
    assert.equal(events[0].outcome.output_tokens, 7);
  });

  test("an answer's items are kept, so a later request may refer to them (the Vercel AI SDK's default), whole or streamed", async () => {
    oa.reset();
    const question: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Hi, I am Ann' }];
    const first = await client.responses.create({ model: 'oa/gpt-4o', input: question });
    assert.equal(storeOf(first), true, 'created with store, the default');
    const streamed = client.responses.stream({ model: 'an/claude-sonnet-4', input: [{ role: 'user', content: 'And you?' }] });
    const second = await streamed.finalResponse();
    assert.equal(storeOf(second), true);
    const [m1, m2] = [first.output[0], second.output[0]];
    assert.ok(m1.type === 'message' && m2.type === 'message');
    // The AI SDK's second turn: earlier answers by reference.
    const third = await client.responses.create({
      model: 'gm/gemini-2.5-flash',
      input: [...question, { type: 'item_reference', id: m1.id }, { role: 'user', content: 'And you?' }, { type: 'item_reference', id: m2.id }, { role: 'user', content: 'What is my name?' }],
    });
    assert.equal(third.status, 'completed');
    assert.deepEqual(gm.last().body.contents.map((c: { role: string; parts: { text: string }[] }) => [c.role, c.parts[0].text]), [
      ['user', 'Hi, I am Ann'], ['model', 'hello from oa'], ['user', 'And you?'], ['model', 'hello from an'], ['user', 'What is my name?'],
    ]);

    // Not kept: an answer created with store: false, and an id never given out.
    const unkept = await client.responses.create({ model: 'oa/gpt-4o', input: question, store: false });
    assert.equal(storeOf(unkept), false);
    for (const id of [unkept.output[0].id!, 'msg_never']) {
      await assert.rejects(client.responses.create({ model: 'oa/gpt-4o', input: [...question, { type: 'item_reference', id }] }), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, 'SY_ERR_BAD_REQUEST');
        assert.equal(e.param, 'input[1].id');
        assert.match(e.message, /is not known: answers are kept for 24h, for the key that got them/);
        return true;
      });
    }
  });

  test('previous_response_id, as OpenAI\'s docs keep a conversation: the answers before go up, whole and streamed, in a tool loop too', async () => {
    const r1 = await client.responses.create({ model: 'oa/gpt-4o', instructions: 'Be brief.', input: 'Hi, I am Ann' });
    const r2 = await client.responses.stream({ model: 'an/claude-sonnet-4', previous_response_id: r1.id, input: 'What is my name?' }).finalResponse();
    assert.equal(r2.previous_response_id, r1.id);
    const up = an.last().body;
    assert.equal(up.system, undefined, "instructions are not carried over, as OpenAI's are not");
    assert.deepEqual(up.messages.map((m: { role: string; content: { text: string }[] }) => [m.role, m.content[0].text]), [
      ['user', 'Hi, I am Ann'], ['assistant', 'hello from oa'], ['user', 'What is my name?'],
    ]);
    // A tool loop: the call's answer, then only the call's output.
    const r3 = await client.responses.create({ model: 'gm/gemini-2.5-flash', previous_response_id: r2.id, input: 'Weather in Paris?', tools: [weather] });
    const call = r3.output.find((o) => o.type === 'function_call');
    assert.ok(call && call.type === 'function_call');
    const r4 = await client.responses.create({ model: 'gm/gemini-2.5-flash', previous_response_id: r3.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny' }], tools: [weather] });
    assert.equal(r4.output_text, 'The tool said: Sunny');
    assert.deepEqual(gm.last().body.contents.map((c: { role: string }) => c.role), ['user', 'model', 'user', 'model', 'user', 'model', 'user']);
    // An answer created with store: false cannot be followed.
    const unkept = await client.responses.create({ model: 'oa/gpt-4o', input: 'Hi', store: false });
    await assert.rejects(client.responses.create({ model: 'oa/gpt-4o', previous_response_id: unkept.id, input: 'And?' }), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
      assert.equal(e.param, 'previous_response_id');
      assert.equal(e.code, 'previous_response_not_found', "OpenAI's code, by which clients resend the whole conversation");
      assert.match(e.message, new RegExp(`Previous response with id '${unkept.id}' not found`));
      return true;
    });
  });

  test('what a stateless gateway cannot do is refused in OpenAI\'s shape, naming the field', async () => {
    const refused = async (params: Record<string, unknown>, param: string, code = 'SY_ERR_BAD_REQUEST') => {
      await assert.rejects(client.responses.create({ model: 'gpt-4o', input: 'hi', ...params } as OpenAI.Responses.ResponseCreateParamsNonStreaming), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, code);
        assert.equal(e.param, param);
        return true;
      });
    };
    await refused({ previous_response_id: 'resp_abc' }, 'previous_response_id', 'previous_response_not_found');
    await refused({ tools: [{ type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' }] }, 'tools[0].type');
    await refused({ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].id');
    await refused({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id');
    await refused({ background: true }, 'background');
    await assert.rejects(client.responses.retrieve('resp_abc'), (e: InstanceType<typeof OpenAI.NotFoundError>) => e.status === 404 && /cannot be retrieved/.test(e.message));
    const bad = await raw(e2e.url, '/v1/responses', { method: 'POST', body: '{"model":"gpt-4o"}', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.param, 'input');
  });
});

// Custom tools (free-text input, optionally held to a grammar), as Codex declares apply_patch.
const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?';
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+Hello, world!\n*** End Patch\n';
/** Codex's tools, in the Responses API's shape: a function and a custom tool with a Lark grammar. */
const shell: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'shell', description: 'Runs a shell command', strict: false,
  parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } }, required: ['command'], additionalProperties: false },
};
const applyPatch: OpenAI.Responses.CustomTool = { type: 'custom', name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', syntax: 'lark', definition: GRAMMAR } };

/** The tool definitions an upstream received, as [name, description, parameters]. */
function toolsSent(fake: WireFake): [string, string, unknown][] {
  const body = fake.last().body;
  if (fake.format === 'openai') return body.tools.map((t: any) => [t.function.name, t.function.description, t.function.parameters]);
  if (fake.format === 'anthropic') return body.tools.map((t: any) => [t.name, t.description, t.input_schema]);
  return body.tools[0].functionDeclarations.map((t: any) => [t.name, t.description, t.parametersJsonSchema]);
}

/** The arguments of the tool call in the history an upstream received. */
function callSent(fake: WireFake): unknown {
  const body = fake.last().body;
  if (fake.format === 'openai') return JSON.parse(body.messages.find((m: any) => m.tool_calls).tool_calls[0].function.arguments);
  if (fake.format === 'anthropic') return body.messages.flatMap((m: any) => m.content).find((b: any) => b.type === 'tool_use').input;
  return body.contents.flatMap((c: any) => c.parts).find((p: any) => p.functionCall).functionCall.args;
}

describe('custom tools over the Responses API, as Codex sends them', SUITE, () => {
  for (const [model, name] of UPSTREAMS) {
    test(`${name}: the custom tool goes up as a function, and its call comes back as a custom_tool_call, streamed or whole`, async () => {
      for (const stream of [true, false]) {
        const fake = fakes()[name];
        fake.enqueue({ toolCall: { name: 'apply_patch', args: { input: PATCH } } });
        const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Add hello.txt' }];
        const params = { model, input, tools: [shell, applyPatch], tool_choice: 'auto' as const, store: false, include: ['reasoning.encrypted_content' as const] };
        const turn1 = stream ? await client.responses.stream(params).finalResponse() : await client.responses.create(params);
        const [sh, ap] = toolsSent(fake);
        assert.equal(sh[0], 'shell');
        assert.equal(ap[0], 'apply_patch');
        assert.equal(ap[1], `Edit files with a patch.\n\nThe input must match this lark grammar:\n${GRAMMAR}`);
        assert.deepEqual(ap[2], { type: 'object', properties: { input: { type: 'string', description: 'The tool\'s whole input, as free text.' } }, required: ['input'], additionalProperties: false });

        const call = turn1.output.find((i) => i.type === 'custom_tool_call') as OpenAI.Responses.ResponseCustomToolCall;
        assert.ok(call, `a custom_tool_call (stream ${stream}): ${JSON.stringify(turn1.output)}`);
        assert.equal(call.name, 'apply_patch');
        assert.equal(call.input, PATCH);
        assert.match(call.id!, /^ctc_/);

        // Codex sends the call back with its output.
        const turn2 = await client.responses.create({
          ...params, input: [...input, { type: 'custom_tool_call', call_id: call.call_id, name: 'apply_patch', input: call.input }, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Done!' }],
        });
        assert.deepEqual(callSent(fake), { input: PATCH }, `history goes up wrapped (stream ${stream})`);
        assert.equal(turn2.output_text, 'The tool said: Done!');
      }
    });
  }

  test('streamed, the input arrives in custom_tool_call_input events the SDK accumulates', async () => {
    oa.enqueue({ toolCall: { name: 'apply_patch', args: { input: PATCH } } });
    const stream = client.responses.stream({ model: 'oa/gpt-5', input: 'Add hello.txt', tools: [applyPatch] });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    assert.ok(!types.includes('response.function_call_arguments.delta'));
    const at = types.indexOf('response.custom_tool_call_input.delta');
    assert.ok(at > 0 && types[at + 1] === 'response.custom_tool_call_input.done' && types[at + 2] === 'response.output_item.done', types.join(' '));
  });

  test('a model that writes the input itself, not as JSON, still gives it to the client as written', async () => {
    oa.enqueue({ toolCall: { name: 'apply_patch', args: { patch: PATCH } } });
    const res = await client.responses.create({ model: 'oa/gpt-5', input: 'Add hello.txt', tools: [applyPatch], tool_choice: { type: 'custom', name: 'apply_patch' } });
    assert.deepEqual(oa.last().body.tool_choice, { type: 'function', function: { name: 'apply_patch' } });
    const call = res.output.find((i) => i.type === 'custom_tool_call') as OpenAI.Responses.ResponseCustomToolCall;
    assert.equal(call.input, JSON.stringify({ patch: PATCH }));
  });
});

// OpenAI's built-in tools the client runs, as the Agents SDK's applyPatchTool and shellTool declare them.
const BUILTINS: OpenAI.Responses.Tool[] = [{ type: 'apply_patch' }, { type: 'shell', environment: { type: 'local' } }];
const OPERATION = { type: 'update_file', path: 'hello.txt', diff: '@@\n-Hello\n+Hello, world!\n' };
const SHELL_OUTPUT = [{ stdout: 'hello.txt\n', stderr: '', outcome: { type: 'exit' as const, exit_code: 0 } }];

describe('the built-in apply_patch and shell tools, as the OpenAI Agents SDK declares them', SUITE, () => {
  for (const [model, name] of UPSTREAMS) {
    test(`${name}: each goes up as a function, its call comes back as an apply_patch_call or shell_call, streamed or whole, and its output goes up as the call's result`, async () => {
      for (const stream of [true, false]) {
        const fake = fakes()[name];
        const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Fix the greeting, then list the files' }];
        const params = { model, input, tools: BUILTINS, store: false };
        const ask = (p: typeof params) => (stream ? client.responses.stream(p).finalResponse() : client.responses.create(p));

        fake.enqueue({ toolCall: { name: 'apply_patch', args: OPERATION } });
        const turn1 = await ask(params);
        const sent = toolsSent(fake);
        assert.deepEqual(sent.map((t) => t[0]), ['apply_patch', 'shell']);
        assert.match(sent[0][1], /V4A diff/);
        assert.deepEqual((sent[0][2] as any).required, ['type', 'path']);
        assert.deepEqual((sent[1][2] as any).required, ['commands']);
        const patch = turn1.output.find((i) => i.type === 'apply_patch_call') as OpenAI.Responses.ResponseApplyPatchToolCall;
        assert.ok(patch, `an apply_patch_call (stream ${stream}): ${JSON.stringify(turn1.output)}`);
        assert.deepEqual(patch.operation, OPERATION);
        assert.match(patch.id, /^apc_/);
        assert.equal(patch.status, 'completed');

        fake.enqueue({ toolCall: { name: 'shell', args: { commands: ['ls'] } } });
        const patched: OpenAI.Responses.ResponseInput = [...input, { type: 'apply_patch_call', call_id: patch.call_id, operation: patch.operation, status: 'completed' }, { type: 'apply_patch_call_output', call_id: patch.call_id, status: 'completed', output: 'Updated hello.txt' }];
        const turn2 = await ask({ ...params, input: patched });
        assert.deepEqual(callSent(fake), OPERATION, `the call goes up as its function form (stream ${stream})`);
        const sh = turn2.output.find((i) => i.type === 'shell_call') as OpenAI.Responses.ResponseFunctionShellToolCall;
        assert.ok(sh, JSON.stringify(turn2.output));
        assert.deepEqual(sh.action, { commands: ['ls'], timeout_ms: null, max_output_length: null });

        const turn3 = await ask({ ...params, input: [...patched, { type: 'shell_call', call_id: sh.call_id, action: sh.action, status: 'completed' }, { type: 'shell_call_output', call_id: sh.call_id, output: SHELL_OUTPUT, max_output_length: null }] });
        assert.equal(turn3.output_text, `The tool said: ${JSON.stringify({ output: SHELL_OUTPUT })}`);
      }
    });
  }

  test('streamed, a built-in call opens in progress and closes whole, with no argument deltas', async () => {
    oa.enqueue({ toolCall: { name: 'apply_patch', args: OPERATION } });
    const events: any[] = [];
    for await (const ev of client.responses.stream({ model: 'oa/gpt-4o', input: 'Fix it', tools: BUILTINS })) events.push(ev);
    assert.ok(!events.some((e) => e.type === 'response.function_call_arguments.delta'));
    const added = events.find((e) => e.type === 'response.output_item.added' && e.item.type === 'apply_patch_call');
    const done = events.find((e) => e.type === 'response.output_item.done' && e.item.type === 'apply_patch_call');
    assert.equal(added.item.status, 'in_progress');
    assert.deepEqual(done.item, { type: 'apply_patch_call', id: added.item.id, call_id: added.item.call_id, operation: OPERATION, status: 'completed' });
  });

  test('tool_choice names a built-in tool; one in an OpenAI container is left out; what cannot be read is refused, naming it', async () => {
    oa.enqueue({ toolCall: { name: 'shell', args: { commands: ['pwd'], timeout_ms: 5000 } } });
    const res = await client.responses.create({ model: 'oa/gpt-4o', input: 'Where am I?', tools: BUILTINS, tool_choice: { type: 'shell' } });
    assert.deepEqual(oa.last().body.tool_choice, { type: 'function', function: { name: 'shell' } });
    assert.deepEqual((res.output.find((i) => i.type === 'shell_call') as any).action, { commands: ['pwd'], timeout_ms: 5000, max_output_length: null });

    await client.responses.create({ model: 'oa/gpt-4o', input: 'Hi', tools: [{ type: 'shell', environment: { type: 'container_auto' } }] });
    assert.equal(oa.last().body.tools, undefined, 'a shell in a container runs at OpenAI');

    const refused = async (body: Record<string, unknown>, param: string, message: RegExp) => {
      const r = await raw(e2e.url, '/v1/responses', { method: 'POST', body: { model: 'oa/gpt-4o', ...body } });
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error.param, param);
      assert.match(r.json.error.message, message);
    };
    await refused({ input: 'Hi', tools: [{ type: 'apply_patch' }, { type: 'function', name: 'apply_patch', parameters: {} }] }, 'tools[0].type', /cannot be declared with another tool named "apply_patch"/);
    await refused({ input: [{ type: 'apply_patch_call', call_id: 'c1', operation: { type: 'rename_file', path: 'a' } }], tools: BUILTINS }, 'input[0].operation.type', /create_file, update_file, delete_file/);
    await refused({ input: [{ type: 'shell_call', call_id: 'c1', action: { commands: 'ls' } }], tools: BUILTINS }, 'input[0].action.commands', /array/);
    await refused({ input: [{ type: 'apply_patch_call_output', call_id: 'c1', status: 'done' }], tools: BUILTINS }, 'input[0].status', /completed or failed/);
    await refused({ input: [{ type: 'shell_call_output', call_id: 'c1', output: [{ stdout: '', stderr: '', outcome: { type: 'crashed' } }] }], tools: BUILTINS }, 'input[0].output[0].outcome.type', /exit or timeout/);
  });
});

describe('Codex\'s other tools', SUITE, () => {
  const spawn = { type: 'function', name: 'spawn_agent', description: 'Spawn a sub-agent.', strict: false, parameters: { type: 'object', properties: { task: { type: 'string' } }, required: ['task'] } };
  const codexTools = [shell, { type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents.', tools: [spawn] }, { type: 'tool_search', execution: 'client' }, { type: 'web_search', external_web_access: false }];

  test('a namespace\'s tools go up as functions named <namespace>__<name>, web and tool search are left out, and a call comes back in its namespace', async () => {
    for (const stream of [true, false]) {
      an.enqueue({ toolCall: { name: 'multi_agent_v1__spawn_agent', args: { task: 'tests' } } });
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Run the tests in a sub-agent' }];
      const params = { model: 'an/claude-sonnet-4', input, tools: codexTools as OpenAI.Responses.Tool[] };
      const turn1 = stream ? await client.responses.stream(params).finalResponse() : await client.responses.create(params);
      assert.deepEqual(toolsSent(an).map(([name]) => name), ['shell', 'multi_agent_v1__spawn_agent']);
      const call = turn1.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      assert.equal(call.name, 'spawn_agent', `stream ${stream}`);
      assert.equal(call.namespace, 'multi_agent_v1');
      assert.equal(call.arguments, '{"task":"tests"}');
      // Codex replays the call as it got it, namespace and all.
      const turn2 = await client.responses.create({ ...params, input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: 'passed' }] });
      const sent = an.last().body.messages.flatMap((m: any) => m.content).find((b: any) => b.type === 'tool_use');
      assert.equal(sent.name, 'multi_agent_v1__spawn_agent');
      assert.equal(turn2.output_text, 'The tool said: passed');
    }
  });

  test("the tools Codex declares in the input for its newest models (an additional_tools item) reach every provider, and their calls come back in their namespaces", async () => {
    const exec = { type: 'custom', name: 'exec', description: 'Run JavaScript.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /(.|\\n)+/' } };
    const sleep = { type: 'function', name: 'sleep', description: 'Sleep.', strict: false, parameters: { type: 'object', properties: { ms: { type: 'number', encrypted: true } } } };
    const input = [
      { type: 'additional_tools', id: 'at_1', role: 'developer', tools: [{ type: 'namespace', name: 'functions', description: '', tools: [exec] }, { type: 'namespace', name: 'clock', description: 'Time.', tools: [sleep] }] },
      { role: 'user', content: 'Wait a second' },
    ] as unknown as OpenAI.Responses.ResponseInput;
    for (const [model, fake] of [['an/claude-sonnet-4', an], ['oa/gpt-4o', oa], ['gm/gemini-2.5-flash', gm]] as const) {
      fake.enqueue({ toolCall: { name: 'clock__sleep', args: { ms: 1000 } } });
      const res = await client.responses.create({ model, input, tools: [{ type: 'web_search' }], parallel_tool_calls: false });
      assert.deepEqual(toolsSent(fake).map(([name]) => name), ['functions__exec', 'clock__sleep'], model);
      const call = res.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      assert.deepEqual([call.namespace, call.name, call.arguments], ['clock', 'sleep', '{"ms":1000}'], model);
    }
    const bad = await postJson(e2e.url, '/v1/responses', { model: 'an/claude-sonnet-4', input: [{ type: 'additional_tools', tools: [{ type: 'function', parameters: {} }] }, { role: 'user', content: 'Hi' }] });
    assertOpenAIError(bad, 400, 'SY_ERR_BAD_REQUEST');
    assert.equal((bad.json as { error: { param: string } }).error.param, 'input[0].tools[0].name');
    const missing = await postJson(e2e.url, '/v1/responses', { model: 'an/claude-sonnet-4', input: [{ type: 'additional_tools' }, { role: 'user', content: 'Hi' }] });
    assert.equal((missing.json as { error: { param: string } }).error.param, 'input[0].tools');
  });

  test("a tool search in the history (a turn on an OpenAI model): Claude and Gemini get the tools it found loaded, and a turn that only searched is left out", async () => {
    const history: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: 'Spawn a sub-agent' },
      { type: 'tool_search_call', call_id: 'call_ts1', execution: 'client', arguments: { paths: ['multi_agent_v1'] } },
      { type: 'tool_search_output', call_id: 'call_ts1', execution: 'client', tools: [{ type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents.', tools: [{ ...spawn, defer_loading: true }] }] as unknown as OpenAI.Responses.Tool[] },
    ];
    for (const [model, fake] of [['an/claude-sonnet-4', an], ['gm/gemini-2.5-flash', gm]] as const) {
      fake.enqueue({ toolCall: { name: 'multi_agent_v1__spawn_agent', args: { task: 'tests' } } });
      const res = await client.responses.create({ model, input: history, tools: [shell, { type: 'tool_search', execution: 'client' }] as OpenAI.Responses.Tool[] });
      assert.deepEqual(toolsSent(fake).map(([name]) => name), ['shell', 'multi_agent_v1__spawn_agent'], model);
      const turns = fake.format === 'anthropic' ? fake.last().body.messages : fake.last().body.contents;
      assert.deepEqual(turns.map((t: { role: string }) => t.role), ['user'], model);
      const call = res.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      assert.deepEqual([call.namespace, call.name], ['multi_agent_v1', 'spawn_agent'], model);
    }
  });
});

describe('custom tools over chat completions', SUITE, () => {
  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'custom', custom: { name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', grammar: { syntax: 'lark', definition: GRAMMAR } } } }];

  test('the call comes back as a custom tool call, streamed or whole, and goes up wrapped in the history', async () => {
    for (const stream of [true, false]) {
      oa.enqueue({ toolCall: { name: 'apply_patch', args: { input: PATCH } } });
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Add hello.txt' }];
      let call: OpenAI.Chat.Completions.ChatCompletionMessageCustomToolCall;
      if (stream) {
        const chunks = [];
        for await (const c of await client.chat.completions.create({ model: 'oa/gpt-5', messages, tools, stream: true })) chunks.push(c);
        const calls = chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls ?? []) as unknown as OpenAI.Chat.Completions.ChatCompletionMessageCustomToolCall[]);
        assert.equal(calls.length, 1, 'one whole custom call');
        call = calls[0];
        assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'tool_calls');
      } else {
        const res = await client.chat.completions.create({ model: 'oa/gpt-5', messages, tools });
        call = res.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageCustomToolCall;
      }
      assert.equal(call.type, 'custom', `stream ${stream}`);
      assert.deepEqual(call.custom, { name: 'apply_patch', input: PATCH });
      const turn2 = await client.chat.completions.create({
        model: 'oa/gpt-5', tools,
        messages: [...messages, { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'custom', custom: call.custom }] }, { role: 'tool', tool_call_id: call.id, content: 'Done!' }],
      });
      assert.deepEqual(callSent(oa), { input: PATCH });
      assert.equal(turn2.choices[0].message.content, 'The tool said: Done!');
    }
  });
});

describe('kept response items across gateways, per key, and turned off', SUITE, () => {
  const A = 'sk-sy-items-a-5e6f7a8b';
  const B = 'sk-sy-items-b-9c0d1e2f';
  const question: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Hi, I am Ann' }];
  const config = (extra: Record<string, unknown>): Record<string, unknown> => ({
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: { oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 1, models: ['gpt-4o'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] } },
    ...extra,
  });
  const sdk = (gw: E2EGateway, key: string): OpenAI => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });

  test('in Redis: an item one gateway gave out is found by another, for the same key only', { skip: REDIS_SKIP }, async () => {
    const prefix = uniquePrefix('e2e-items');
    const shared = config({
      governance: {
        store: { type: 'redis', url: REDIS_URL, prefix },
        virtual_keys: [{ id: 'vk-a', key_hash: hashKey(A) }, { id: 'vk-b', key_hash: hashKey(B) }],
      },
    });
    const [one, two] = [await startE2E(shared), await startE2E(shared)];
    try {
      const first = await sdk(one, A).responses.create({ model: 'gpt-4o', input: question });
      assert.equal(storeOf(first), true);
      const ref = { type: 'item_reference' as const, id: first.output[0].id! };
      const second = await sdk(two, A).responses.create({ model: 'gpt-4o', input: [...question, ref, { role: 'user', content: 'Name?' }] });
      assert.equal(second.status, 'completed');
      assert.deepEqual(oa.last().body.messages.map((m: { role: string; content: string }) => [m.role, m.content]), [['user', 'Hi, I am Ann'], ['assistant', 'hello from oa'], ['user', 'Name?']]);
      await assert.rejects(sdk(two, B).responses.create({ model: 'gpt-4o', input: [...question, ref] }), (e: InstanceType<typeof OpenAI.BadRequestError>) => e.status === 400 && e.param === 'input[1].id');
    } finally {
      await Promise.all([one.close(), two.close()]);
      await deletePrefix(prefix);
    }
  });

  test('in Redis: an answer is kept before the client has it, whole or streamed, so another gateway builds on it at once', { skip: REDIS_SKIP }, async () => {
    const prefix = uniquePrefix('e2e-items');
    const shared = config({ governance: { store: { type: 'redis', url: REDIS_URL, prefix }, virtual_keys: [{ id: 'vk-a', key_hash: hashKey(A) }] } });
    const [one, two] = [await startE2E(shared), await startE2E(shared)];
    // Writes that take a while, as on a busy Redis: an answer sent before its write lands is built on in vain.
    const items = one.gw.runtime.responseItems!;
    const put = items.put.bind(items);
    items.put = async (scope, entries) => {
      await sleep(100);
      return put(scope, entries);
    };
    try {
      const whole = await sdk(one, A).responses.create({ model: 'gpt-4o', input: question });
      const afterWhole = await sdk(two, A).responses.create({ model: 'gpt-4o', previous_response_id: whole.id, input: 'Name?' });
      assert.equal(afterWhole.status, 'completed');
      const streamed = await sdk(one, A).responses.stream({ model: 'gpt-4o', input: question }).finalResponse();
      const afterStreamed = await sdk(two, A).responses.create({ model: 'gpt-4o', previous_response_id: streamed.id, input: 'Name?' });
      assert.equal(afterStreamed.status, 'completed');
      assert.deepEqual(oa.last().body.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
    } finally {
      await Promise.all([one.close(), two.close()]);
      await deletePrefix(prefix);
    }
  });

  test('a previous_response_id chain lasts as long as its latest answer: each answer kept keeps the ones it builds on', async () => {
    const gw = await startE2E(config({ server: { allow_unauthenticated: true, response_items: { ttl: '2s' } } }));
    try {
      const client = sdk(gw, 'unused');
      let prev = (await client.responses.create({ model: 'gpt-4o', input: question })).id;
      // The second turn comes after the first answer's own two seconds are up.
      for (let turn = 0; turn < 2; turn++) {
        await sleep(1200);
        prev = (await client.responses.create({ model: 'gpt-4o', previous_response_id: prev, input: `turn ${turn}` })).id;
      }
      assert.equal(oa.last().body.messages.length, 5, 'the whole chain');
    } finally {
      await gw.close();
    }
  });

  test('server.response_items.enabled: false keeps nothing: store false, and references refused, saying why', async () => {
    const off = await startE2E(config({ server: { allow_unauthenticated: true, response_items: { enabled: false } } }));
    try {
      const res = await sdk(off, 'unused').responses.create({ model: 'gpt-4o', input: question });
      assert.equal(storeOf(res), false);
      await assert.rejects(sdk(off, 'unused').responses.create({ model: 'gpt-4o', input: [...question, { type: 'item_reference', id: res.output[0].id! }] }), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
        assert.equal(e.param, 'input[1].type');
        assert.match(e.message, /server\.response_items is off/);
        return true;
      });
      // A client that resends the whole conversation on OpenAI's code for it does so here too.
      await assert.rejects(sdk(off, 'unused').responses.create({ model: 'gpt-4o', previous_response_id: res.id, input: 'And?' }), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
        assert.deepEqual([e.code, e.param], ['previous_response_not_found', 'previous_response_id']);
        assert.match(e.message, /server\.response_items is off/);
        return true;
      });
    } finally {
      await off.close();
    }
  });
});
