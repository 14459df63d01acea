/**
 * A provider whose model is served only by OpenAI's Responses API (`options.api:
 * responses`), as OpenAI's codex models are: every client dialect reaches it, whole and
 * streamed, tool loops included, through the official SDKs. The fake refuses what OpenAI
 * refuses there (chat fields, chat-shaped tools, a tool output with no call before it, a
 * max output under 16) and answers a codex model's chat completion with OpenAI's 404.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { REASONING_SUMMARY, SEARCH_CITATION, startWireFake, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { assertOpenAIError, postJson, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;
let anthropic: Anthropic;

const MODEL = 'oa/gpt-5.1-codex';
const schema = { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] };
const weatherChat: OpenAI.Chat.Completions.ChatCompletionTool = { type: 'function', function: { name: 'get_weather', parameters: schema } };
const weatherResponses: OpenAI.Responses.FunctionTool = { type: 'function', name: 'get_weather', strict: false, parameters: schema };
const weatherAnthropic: Anthropic.Tool = { name: 'get_weather', input_schema: schema };

before(async () => {
  oa = await startWireFake({ format: 'openai', name: 'oa' });
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-5.1-codex', 'gpt-5.4-codex', 'gpt-4o'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }], options: { api: { '*codex*': 'responses' }, reasoning: { 'gpt-4o*': 'none', '*': 'effort' } } },
      // Azure's v1 API names a deployment in the body: what the model can do goes by its own name.
      az: { type: 'azure', base_url: `${oa.url}/openai/v1`, weight: 0, models: ['gpt-5.4-codex'], keys: [{ name: 'az', value: 'sk-up-az' }], options: { api_version: 'v1', deployments: { 'gpt-5.4-codex': 'codex-prod' }, api: { '*codex*': 'responses' } } },
      // The same server, not told which models need the Responses API.
      plain: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-5.1-codex'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await oa?.close();
}, HOOK);

describe('a model served by the Responses API', SUITE, () => {
  test('chat completions without options.api get OpenAI\'s 404, as the client\'s error', async () => {
    oa.reset();
    await assert.rejects(openai.chat.completions.create({ model: 'plain/gpt-5.1-codex', messages: [{ role: 'user', content: 'Hi' }] }), (e: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(e.status, 404);
      assert.match(e.message, /only supported in v1\/responses/);
      return true;
    });
    assert.equal(oa.last().path, '/v1/chat/completions');
  });

  test('metadata and truncation reach a model the Responses API serves; chat completions gets neither (it takes metadata only with store)', async () => {
    const params = { input: 'Tag me', metadata: { tenant: 't-1' }, truncation: 'auto' as const };
    const viaResponses = await openai.responses.create({ model: 'oa/gpt-5.1-codex', ...params });
    assert.equal(oa.last().path, '/v1/responses');
    assert.deepEqual([oa.last().body.metadata, oa.last().body.truncation], [{ tenant: 't-1' }, 'auto']);
    assert.deepEqual([viaResponses.metadata, viaResponses.truncation], [{ tenant: 't-1' }, 'auto']);
    const viaChat = await openai.responses.create({ model: 'oa/gpt-4o', ...params });
    assert.equal(viaChat.status, 'completed');
    assert.equal(oa.last().path, '/v1/chat/completions');
    assert.deepEqual([oa.last().body.metadata, oa.last().body.truncation], [undefined, undefined]);
  });

  test("reasoning.context (Codex's newest models send it) reaches a model the Responses API serves; chat completions do not get it", async () => {
    const params = { input: 'Hi', reasoning: { effort: 'low', context: 'all_turns' } } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
    await openai.responses.create({ ...params, model: MODEL });
    assert.deepEqual(oa.last().body.reasoning, { effort: 'low', context: 'all_turns' });
    // gpt-4o, marked `none`, gets no reasoning setting at all: it would refuse the effort.
    await openai.responses.create({ ...params, model: 'oa/gpt-4o' });
    assert.equal(oa.last().path, '/v1/chat/completions');
    assert.ok(!JSON.stringify(oa.last().body).includes('all_turns'));
    assert.equal(oa.last().body.reasoning_effort, undefined);
  });

  test('an OpenAI chat client: a whole answer, sent as a Responses request', async () => {
    oa.reset();
    const res = await openai.chat.completions.create({ model: MODEL, max_tokens: 1, reasoning_effort: 'low', messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Hi' }] });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.choices[0].message.content, 'hello from oa');
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.usage?.prompt_tokens, 11);
    assert.equal(res.usage?.completion_tokens, 7);
    const sent = oa.last();
    assert.equal(sent.path, '/v1/responses');
    assert.equal(sent.body.instructions, 'Be terse.');
    assert.deepEqual(sent.body.input, [{ type: 'message', role: 'user', content: 'Hi' }]);
    assert.equal(sent.body.store, false);
    assert.equal(sent.body.max_output_tokens, 16, 'raised to the API\'s minimum');
    assert.deepEqual(sent.body.reasoning, { effort: 'low' });
    assert.equal(sent.headers.authorization, 'Bearer sk-up-oa');
  });

  test('an OpenAI chat client: a streamed tool loop', async () => {
    oa.reset();
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    let args = '';
    let id = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of await openai.chat.completions.create({ model: MODEL, tools: [weatherChat], messages, stream: true, stream_options: { include_usage: true } })) {
      const c = chunk.choices[0];
      for (const t of c?.delta.tool_calls ?? []) {
        if (t.id) id = t.id;
        args += t.function?.arguments ?? '';
      }
      if (c?.finish_reason) finish = c.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(finish, 'tool_calls');
    assert.deepEqual(JSON.parse(args), TOOL_ARGS);
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert.equal(oa.last().body.tools[0].name, 'get_weather', 'tools go in the Responses form');
    // The fake, like OpenAI, refuses a tool output with no call before it.
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: args } }] }, { role: 'tool', tool_call_id: id, content: 'Sunny, 21C' });
    const turn2 = await openai.chat.completions.create({ model: MODEL, tools: [weatherChat], messages });
    assert.equal(turn2.choices[0].message.content, 'The tool said: Sunny, 21C');
    assert.deepEqual(oa.last().body.input.slice(1).map((i: { type: string }) => i.type), ['function_call', 'function_call_output']);
  });

  test('a Responses client (Codex): whole and streamed, a tool loop with its reasoning effort', async () => {
    for (const stream of [false, true]) {
      oa.reset();
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const params = { model: MODEL, tools: [weatherResponses], input, reasoning: { effort: 'high' as const }, store: false };
      let first: OpenAI.Responses.Response;
      if (stream) {
        let done: OpenAI.Responses.Response | undefined;
        for await (const ev of await openai.responses.create({ ...params, stream: true })) if (ev.type === 'response.completed') done = ev.response;
        assert.ok(done, 'the stream completes');
        first = done;
      } else first = await openai.responses.create(params);
      const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
      assert.ok(call, JSON.stringify(first.output));
      assert.deepEqual(JSON.parse(call.arguments), TOOL_ARGS);
      assert.deepEqual(oa.last().body.reasoning, { effort: 'high' });
      const second = await openai.responses.create({ ...params, input: [...input, { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments }, { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] });
      assert.equal(second.output_text, 'The tool said: Sunny, 21C', `stream ${stream}`);
      assert.ok((second.usage?.output_tokens ?? 0) > 0);
    }
  });

  test("Codex's custom tool (apply_patch) goes up as a custom tool, and its calls come back and go up again as custom calls", async () => {
    for (const stream of [false, true]) {
      oa.reset();
      const applyPatch: OpenAI.Responses.CustomTool = { type: 'custom', name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /(.|\\n)+/' } };
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Fix the bug.' }];
      const params = { model: MODEL, tools: [applyPatch], input, store: false };
      let first: OpenAI.Responses.Response | undefined;
      if (stream) {
        for await (const ev of await openai.responses.create({ ...params, stream: true })) if (ev.type === 'response.completed') first = ev.response;
      } else first = await openai.responses.create(params);
      assert.deepEqual(oa.last().body.tools, [{ type: 'custom', name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /(.|\\n)+/' } }]);
      const call = first?.output.find((o): o is OpenAI.Responses.ResponseCustomToolCall => o.type === 'custom_tool_call');
      assert.ok(call, JSON.stringify(first?.output));
      // The fake calls the tool with its usual arguments, as the custom call's free text.
      assert.equal(call.input, JSON.stringify(TOOL_ARGS));
      const second = await openai.responses.create({ ...params, input: [...input, { type: 'custom_tool_call', call_id: call.call_id, name: call.name, input: call.input }, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Patched.' }] });
      assert.deepEqual(oa.last().body.input.slice(1).map((i: { type: string }) => i.type), ['custom_tool_call', 'custom_tool_call_output']);
      assert.equal(second.output_text, 'The tool said: Patched.', `stream ${stream}`);
    }
  });

  test('the built-in apply_patch and shell tools go up as themselves, and so do their calls and outputs, whole or streamed', async () => {
    const operation = { type: 'create_file', path: 'hello.txt', diff: '+Hello\n' };
    const output = [{ stdout: 'hello.txt\n', stderr: '', outcome: { type: 'exit' as const, exit_code: 0 } }];
    for (const stream of [false, true]) {
      oa.reset();
      const tools: OpenAI.Responses.Tool[] = [{ type: 'apply_patch' }, { type: 'shell' }];
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Add hello.txt, then list the files.' }];
      const ask = async (params: OpenAI.Responses.ResponseCreateParamsNonStreaming): Promise<OpenAI.Responses.Response> => {
        if (!stream) return openai.responses.create(params);
        let done: OpenAI.Responses.Response | undefined;
        for await (const ev of await openai.responses.create({ ...params, stream: true })) if (ev.type === 'response.completed') done = ev.response;
        return done!;
      };
      oa.enqueue({ toolCall: { name: 'apply_patch', args: operation } });
      const first = await ask({ model: MODEL, tools, input, tool_choice: { type: 'apply_patch' }, store: false });
      assert.deepEqual(oa.last().body.tools, [{ type: 'apply_patch' }, { type: 'shell', environment: { type: 'local' } }]);
      assert.deepEqual(oa.last().body.tool_choice, { type: 'apply_patch' });
      const patch = first.output.find((o): o is OpenAI.Responses.ResponseApplyPatchToolCall => o.type === 'apply_patch_call');
      assert.ok(patch, JSON.stringify(first.output));
      assert.deepEqual(patch.operation, operation);

      oa.enqueue({ toolCall: { name: 'shell', args: { commands: ['ls'] } } });
      const patched: OpenAI.Responses.ResponseInputItem[] = [...input, { type: 'apply_patch_call', call_id: patch.call_id, operation: patch.operation, status: 'completed' }, { type: 'apply_patch_call_output', call_id: patch.call_id, status: 'failed', output: 'hello.txt exists' }];
      const second = await ask({ model: MODEL, tools, input: patched, store: false });
      assert.deepEqual(oa.last().body.input.slice(1), [
        { type: 'apply_patch_call', call_id: patch.call_id, operation, status: 'completed' },
        { type: 'apply_patch_call_output', call_id: patch.call_id, status: 'failed', output: 'hello.txt exists' },
      ]);
      const sh = second.output.find((o): o is OpenAI.Responses.ResponseFunctionShellToolCall => o.type === 'shell_call');
      assert.ok(sh, JSON.stringify(second.output));
      assert.deepEqual(sh.action, { commands: ['ls'], timeout_ms: null, max_output_length: null });

      const third = await ask({ model: MODEL, tools, input: [...patched, { type: 'shell_call', call_id: sh.call_id, action: sh.action, status: 'completed' }, { type: 'shell_call_output', call_id: sh.call_id, output, max_output_length: 4096 }], store: false });
      assert.deepEqual(oa.last().body.input.slice(3), [
        { type: 'shell_call', call_id: sh.call_id, action: { commands: ['ls'], timeout_ms: null, max_output_length: null }, status: 'completed' },
        { type: 'shell_call_output', call_id: sh.call_id, output, max_output_length: 4096 },
      ]);
      const said = third.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
      assert.equal(said, 'The tool said: hello.txt\n', `stream ${stream}`);
    }
  });

  test("Codex's encrypted reasoning: asked for, handed to the client, and replayed to the model in the tool loop, with its id or without", async () => {
    for (const stream of [false, true]) {
      oa.reset();
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const params = { model: MODEL, tools: [weatherResponses], input, store: false, include: ['reasoning.encrypted_content' as const] };
      let first: OpenAI.Responses.Response | undefined;
      if (stream) {
        for await (const ev of await openai.responses.create({ ...params, stream: true })) if (ev.type === 'response.completed') first = ev.response;
      } else first = await openai.responses.create(params);
      assert.deepEqual(oa.last().body.include, ['reasoning.encrypted_content']);
      const upstream = oa.last().sent !== undefined ? JSON.parse(oa.last().sent!) : undefined;
      const reasoning = first?.output.find((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning' && typeof o.encrypted_content === 'string');
      assert.ok(reasoning, `the client gets the model's encrypted reasoning (stream ${stream}): ${JSON.stringify(first?.output)}`);
      assert.match(reasoning.id, /^rs_/);
      if (upstream) assert.deepEqual(reasoning.encrypted_content, upstream.output[0].encrypted_content);
      const call = first!.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
      // Codex replays every item of the turn, reasoning first.
      const replay = first!.output.filter((o) => o.type === 'reasoning' || o.type === 'function_call') as OpenAI.Responses.ResponseInputItem[];
      const second = await openai.responses.create({ ...params, input: [...input, ...replay, { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] });
      assert.equal(second.output_text, 'The tool said: Sunny, 21C');
      const sent = oa.last().body.input as Record<string, unknown>[];
      assert.deepEqual(sent[1], { type: 'reasoning', id: reasoning.id, summary: [], encrypted_content: reasoning.encrypted_content }, 'the reasoning goes back as it came');
      assert.deepEqual(sent.slice(2).map((i) => i.type), ['function_call', 'function_call_output']);
    }
    // The Vercel AI SDK with `store: false` (as opencode runs it) replays the reasoning without its id: it goes back so.
    oa.reset();
    const params = { model: MODEL, tools: [weatherResponses], store: false, include: ['reasoning.encrypted_content' as const] };
    const first = await openai.responses.create({ ...params, input: 'Weather in Paris?' });
    const reasoning = first.output.find((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning')!;
    const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
    const replay = [
      { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
      { type: 'reasoning', encrypted_content: reasoning.encrypted_content, summary: [{ type: 'summary_text', text: 'Checking.' }] },
      { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' },
    ] as OpenAI.Responses.ResponseInputItem[];
    const second = await openai.responses.create({ ...params, input: replay });
    assert.equal(second.output_text, 'The tool said: Sunny, 21C');
    assert.deepEqual(oa.last().body.input[1], { type: 'reasoning', summary: [], encrypted_content: reasoning.encrypted_content });
    // A client that does not ask gets none, and nothing is asked for.
    oa.reset();
    const plain = await openai.responses.create({ model: MODEL, input: 'Hi' });
    assert.equal(oa.last().body.include, undefined);
    assert.ok(!plain.output.some((o) => o.type === 'reasoning' && 'encrypted_content' in o && o.encrypted_content));
  });

  test("Codex's web search goes up to a model served through the Responses API, which runs it; chat completions never get it", async () => {
    for (const stream of [false, true]) {
      oa.reset();
      const params = { model: MODEL, tools: [{ type: 'web_search' as const }], input: 'Weather in Paris today?' };
      let answer: OpenAI.Responses.Response | undefined;
      if (stream) {
        for await (const ev of await openai.responses.create({ ...params, stream: true })) if (ev.type === 'response.completed') answer = ev.response;
      } else answer = await openai.responses.create(params);
      assert.deepEqual(oa.last().body.tools, [{ type: 'web_search' }]);
      // The provider searched (a web_search_call item, which a whole answer records), then answered.
      if (!stream) assert.ok(JSON.parse(oa.last().sent!).output.some((o: { type: string }) => o.type === 'web_search_call'));
      const text = answer?.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
      assert.equal(text, 'hello from oa', `stream ${stream}`);
    }
    oa.reset();
    await openai.responses.create({ model: 'oa/gpt-4o', tools: [{ type: 'web_search' }, weatherResponses], input: 'Weather?' });
    assert.equal(oa.last().path, '/v1/chat/completions');
    assert.deepEqual(oa.last().body.tools.map((t: { function: { name: string } }) => t.function.name), ['get_weather']);
  });

  test('the search the model ran and the citations of its answer reach a Responses client, whole and streamed; its replay is taken', async () => {
    const params = { model: MODEL, tools: [{ type: 'web_search' as const }], input: [{ role: 'user' as const, content: 'Weather in Paris today?' }] };
    const citation = { type: 'url_citation', start_index: 0, end_index: 5, url: SEARCH_CITATION.url, title: SEARCH_CITATION.title };
    for (const stream of [false, true]) {
      oa.reset();
      const events: string[] = [];
      let answer: OpenAI.Responses.Response | undefined;
      if (stream) {
        for await (const ev of await openai.responses.create({ ...params, stream: true })) {
          events.push(ev.type);
          if (ev.type === 'response.output_text.annotation.added') assert.deepEqual(ev.annotation, citation);
          if (ev.type === 'response.completed') answer = ev.response;
        }
      } else answer = await openai.responses.create(params);
      const types = answer!.output.map((o) => o.type);
      assert.deepEqual(types.slice(-2), ['web_search_call', 'message'], `stream ${stream}: ${types.join()}`);
      const search = answer!.output.at(-2) as OpenAI.Responses.ResponseFunctionWebSearch;
      assert.equal(search.status, 'completed');
      assert.deepEqual(search.action, { type: 'search', query: 'weather Paris' });
      const message = answer!.output.at(-1) as OpenAI.Responses.ResponseOutputMessage;
      assert.deepEqual((message.content[0] as OpenAI.Responses.ResponseOutputText).annotations, [citation]);
      if (stream) assert.ok(events.includes('response.output_text.annotation.added'), events.join());
      // Codex replays the whole turn: the search is taken, and not sent back (OpenAI keeps nothing of it).
      oa.reset();
      const next = await openai.responses.create({ ...params, store: false, input: [...params.input, ...(answer!.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'And tomorrow?' }] });
      assert.equal(next.status, 'completed');
      assert.ok(!oa.last().body.input.some((i: { type?: string }) => i.type === 'web_search_call'));
    }
  });

  test("tools declared in the input (Codex's additional_tools item) go up with the others, in the request's tools", async () => {
    oa.reset();
    const input = [
      { type: 'additional_tools', id: 'at_1', role: 'developer', tools: [{ type: 'namespace', name: 'clock', description: 'Time.', tools: [{ type: 'function', name: 'sleep', strict: false, parameters: { type: 'object', properties: {} } }] }] },
      { role: 'user', content: 'Weather in Paris?' },
    ] as unknown as OpenAI.Responses.ResponseInput;
    await openai.responses.create({ model: MODEL, input, tools: [weatherResponses], store: false });
    const body = oa.last().body;
    assert.deepEqual(body.tools.map((t: { name: string }) => t.name), ['get_weather', 'clock__sleep']);
    assert.deepEqual(body.input.map((i: { type: string }) => i.type), ['message']);
  });

  describe("OpenAI's tool search", () => {
    const SEARCHER = 'oa/gpt-5.4-codex';
    const deferred = { ...weatherResponses, defer_loading: true };
    const lookup = { type: 'function' as const, name: 'lookup', parameters: {}, strict: false };
    const crm = { type: 'namespace', name: 'crm', description: 'CRM.', tools: [lookup] } as unknown as OpenAI.Responses.Tool;
    /** The answer to `params`, whole or streamed. */
    const ask = async (params: OpenAI.Responses.ResponseCreateParamsNonStreaming, stream: boolean): Promise<OpenAI.Responses.Response> => {
      if (!stream) return openai.responses.create(params);
      let done: OpenAI.Responses.Response | undefined;
      for await (const ev of await openai.responses.create({ ...params, stream: true })) if (ev.type === 'response.completed') done = ev.response;
      assert.ok(done, 'the stream completes');
      return done;
    };
    const kinds = (items: readonly { type?: string }[]): (string | undefined)[] => items.map((i) => i.type);
    const said = (r: OpenAI.Responses.Response): string => r.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
    const replayable = (out: OpenAI.Responses.ResponseOutputItem[]): OpenAI.Responses.ResponseInputItem[] => out.filter((o) => o.type !== 'reasoning') as OpenAI.Responses.ResponseInputItem[];
    const withoutId = ({ id: _id, ...rest }: Record<string, unknown>): Record<string, unknown> => rest;
    const toolNames = (body: { tools?: Record<string, any>[] }): string[] => (body.tools ?? []).map((t) => t.name ?? t.function?.name ?? t.type);

    test('run by OpenAI: the tool goes up deferred with the search, and the search\'s items reach the client and go up again in place', async () => {
      for (const stream of [false, true]) {
        oa.reset();
        const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
        const params = { model: SEARCHER, tools: [deferred, { type: 'tool_search' as const }], input, store: false };
        const first = await ask(params, stream);
        assert.deepEqual(oa.last().body.tools, [{ type: 'function', name: 'get_weather', parameters: weatherResponses.parameters, strict: false, defer_loading: true }, { type: 'tool_search' }]);
        assert.deepEqual(kinds(first.output).slice(-3), ['tool_search_call', 'tool_search_output', 'function_call'], `stream ${stream}: ${JSON.stringify(first.output)}`);
        const found = first.output.at(-2) as OpenAI.Responses.ResponseToolSearchOutputItem;
        assert.deepEqual(found.tools.map((t) => (t as { name: string }).name), ['get_weather']);
        const call = first.output.at(-1) as OpenAI.Responses.ResponseFunctionToolCall;
        const turn = replayable(first.output);
        const second = await ask({ ...params, input: [...input, ...turn, { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] }, stream);
        assert.equal(said(second), 'The tool said: Sunny, 21C', `stream ${stream}`);
        const sent = oa.last().body.input as Record<string, unknown>[];
        assert.deepEqual(kinds(sent), ['message', 'tool_search_call', 'tool_search_output', 'function_call', 'function_call_output']);
        assert.deepEqual(sent[2], withoutId(turn[1] as unknown as Record<string, unknown>), 'the search\'s output goes back as it came, but for the id of an item OpenAI did not keep');
      }
    });

    test('the answer\'s items keep their order among its reasoning, whole and streamed, and go back in it', async () => {
      for (const stream of [false, true]) {
        oa.reset();
        const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
        const params = { model: SEARCHER, tools: [deferred, { type: 'tool_search' as const }], input, store: false, include: ['reasoning.encrypted_content' as const] };
        const first = await ask(params, stream);
        // The model reasons again after its search, as around OpenAI's hosted tools.
        assert.deepEqual(kinds(first.output), ['reasoning', 'tool_search_call', 'tool_search_output', 'reasoning', 'function_call'], `stream ${stream}`);
        const call = first.output.at(-1) as OpenAI.Responses.ResponseFunctionToolCall;
        await ask({ ...params, input: [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] }, stream);
        assert.deepEqual(kinds(oa.last().body.input), ['message', 'reasoning', 'tool_search_call', 'tool_search_output', 'reasoning', 'function_call', 'function_call_output']);
      }
    });

    test('run by the client: the model\'s search call reaches it, and what it found goes up as it sent it', async () => {
      for (const stream of [false, true]) {
        oa.reset();
        const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
        const params = { model: SEARCHER, tools: [deferred, { type: 'tool_search' as const, execution: 'client' as const }], input, store: false };
        const first = await ask(params, stream);
        assert.equal(first.status, 'completed');
        const search = first.output.at(-1) as OpenAI.Responses.ResponseToolSearchCall;
        assert.equal(search.type, 'tool_search_call', `stream ${stream}: ${JSON.stringify(first.output)}`);
        assert.deepEqual([search.execution, search.arguments], ['client', { paths: ['get_weather'] }]);
        const output = { type: 'tool_search_output' as const, call_id: search.call_id, execution: 'client' as const, tools: [weatherResponses] };
        const searched = [...input, ...replayable(first.output), output];
        const second = await ask({ ...params, input: searched }, stream);
        assert.deepEqual(kinds(oa.last().body.input), ['message', 'tool_search_call', 'tool_search_output']);
        assert.deepEqual(oa.last().body.input[2], output);
        const call = second.output.at(-1) as OpenAI.Responses.ResponseFunctionToolCall;
        assert.equal(call.name, 'get_weather', `stream ${stream}`);
        const third = await ask({ ...params, input: [...searched, ...replayable(second.output), { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] }, stream);
        assert.equal(said(third), 'The tool said: Sunny, 21C');
      }
    });

    test('a namespaced tool a search found is called in its namespace, and its call goes back so', async () => {
      oa.reset();
      oa.enqueue({ toolCall: { name: 'lookup', args: { id: 7 } } });
      const history: OpenAI.Responses.ResponseInputItem[] = [
        { role: 'user', content: 'Look up 7' },
        { type: 'tool_search_call', call_id: 'call_ts1', execution: 'client', arguments: { paths: ['crm'] } },
        { type: 'tool_search_output', call_id: 'call_ts1', execution: 'client', tools: [crm] },
      ];
      const params = { model: SEARCHER, tools: [{ type: 'tool_search' as const, execution: 'client' as const }], store: false };
      const first = await openai.responses.create({ ...params, input: history });
      assert.deepEqual(oa.last().body.tools, [{ type: 'tool_search', execution: 'client' }], 'the found tool is declared by the search\'s output alone');
      const call = first.output.at(-1) as OpenAI.Responses.ResponseFunctionToolCall;
      assert.deepEqual([call.namespace, call.name], ['crm', 'lookup']);
      await openai.responses.create({ ...params, input: [...history, call, { type: 'function_call_output', call_id: call.call_id, output: 'Ann' }] });
      const sent = oa.last().body.input.find((i: { type: string }) => i.type === 'function_call');
      assert.deepEqual([sent.namespace, sent.name], ['crm', 'lookup']);
    });

    test("an Azure deployment of a model that has tool search gets it, whatever the deployment's name", async () => {
      oa.reset();
      await openai.responses.create({ model: 'az/gpt-5.4-codex', tools: [deferred, { type: 'tool_search' }], input: 'Weather in Paris?', store: false });
      const up = oa.last();
      assert.equal(up.body.model, 'codex-prod');
      assert.deepEqual(toolNames(up.body), ['get_weather', 'tool_search']);
      assert.equal(up.body.tools[0].defer_loading, true);
    });

    test('a Responses API model without tool search (before gpt-5.4) gets every tool loaded, those a search found too, and no search', async () => {
      oa.reset();
      await openai.responses.create({
        model: MODEL, tools: [deferred, { type: 'tool_search' }, { type: 'web_search' }],
        input: [{ role: 'user', content: 'Hi' }, { type: 'tool_search_call', call_id: 'call_ts1', execution: 'client', arguments: {} }, { type: 'tool_search_output', call_id: 'call_ts1', execution: 'client', tools: [crm] }, { role: 'user', content: 'Weather?' }],
      });
      const body = oa.last().body;
      assert.deepEqual(toolNames(body), ['get_weather', 'crm__lookup', 'web_search']);
      assert.ok(!body.tools.some((t: Record<string, unknown>) => 'defer_loading' in t));
      assert.deepEqual(kinds(body.input), ['message', 'message']);
    });

    test('a model without tool search that calls a deferred tool: the client is shown a search that loaded it first, once, whole and streamed', async () => {
      for (const [model, fake] of [['oa/gpt-4o', oa], [MODEL, oa]] as const) {
        for (const stream of [false, true]) {
          fake.reset();
          const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
          const params = { model, tools: [{ ...lookup, defer_loading: true }, { type: 'namespace', name: 'geo', description: 'Places.', tools: [deferred] } as unknown as OpenAI.Responses.Tool, { type: 'tool_search' as const }], input, store: false };
          fake.enqueue({ toolCalls: [{ name: 'geo__get_weather', args: TOOL_ARGS }, { name: 'geo__get_weather', args: { city: 'Lyon' } }] });
          const first = await ask(params, stream);
          assert.deepEqual(kinds(first.output.filter((o) => o.type !== 'reasoning')), ['tool_search_call', 'tool_search_output', 'function_call', 'function_call'], `${model} stream ${stream}`);
          const [search, found] = first.output.filter((o) => o.type === 'tool_search_call' || o.type === 'tool_search_output') as [OpenAI.Responses.ResponseToolSearchCall, OpenAI.Responses.ResponseToolSearchOutputItem];
          assert.equal(search.execution, 'server');
          assert.match(found.id, /^tso_/);
          assert.deepEqual(found.tools, [{ type: 'namespace', name: 'geo', description: 'Places.', tools: [deferred] }], 'the tool as the client declared it, in its namespace');
          // Replayed, the search is not sent to a model that has none, and the tool loaded by it is not shown again.
          const calls = first.output.filter((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall[];
          fake.enqueue({ toolCall: { name: 'geo__get_weather', args: TOOL_ARGS } });
          const second = await ask({ ...params, input: [...input, ...replayable(first.output), ...calls.map((c) => ({ type: 'function_call_output' as const, call_id: c.call_id, output: 'Sunny' }))] }, stream);
          assert.deepEqual(kinds(second.output.filter((o) => o.type !== 'reasoning')), ['function_call']);
          const up = fake.last().body;
          assert.ok(!JSON.stringify(up).includes('tool_search'), `${model}: ${JSON.stringify(up).slice(0, 300)}`);
        }
      }
    });

    test('a model without tool search gets every tool loaded, those a search found too, and none of the search\'s items', async () => {
      const history: OpenAI.Responses.ResponseInputItem[] = [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'tool_search_call', call_id: 'call_ts1', execution: 'client', arguments: { paths: ['get_weather'] } },
        { type: 'tool_search_output', call_id: 'call_ts1', execution: 'client', tools: [weatherResponses, crm] },
      ];
      oa.reset();
      // Only the search is declared: the tools come from its output.
      const first = await openai.responses.create({ model: 'oa/gpt-4o', tools: [{ type: 'tool_search', execution: 'client' }], input: history });
      let up = oa.last();
      assert.equal(up.path, '/v1/chat/completions');
      assert.deepEqual(up.body.tools.map((t: { function: { name: string } }) => t.function.name), ['get_weather', 'crm__lookup']);
      assert.deepEqual(up.body.messages.map((m: { role: string }) => m.role), ['user'], 'a turn that only searched says nothing');
      const call = first.output.at(-1) as OpenAI.Responses.ResponseFunctionToolCall;
      assert.equal(call.name, 'get_weather');
      // The deferred tool declared too, and the search's call in the turn that made the function call.
      const second = await openai.responses.create({
        model: 'oa/gpt-4o', tools: [deferred, { type: 'tool_search' }],
        input: [...history, call, { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }],
      });
      up = oa.last();
      assert.deepEqual(up.body.tools.map((t: { function: { name: string } }) => t.function.name), ['get_weather', 'crm__lookup']);
      assert.deepEqual(up.body.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'tool']);
      assert.equal(second.output_text, 'The tool said: Sunny, 21C');
    });

    test('kept answers: a turn after a search, by previous_response_id, gives the model the search again', async () => {
      oa.reset();
      const params = { model: SEARCHER, tools: [deferred, { type: 'tool_search' as const }] };
      const first = await openai.responses.create({ ...params, input: 'Weather in Paris?' });
      const call = first.output.at(-1) as OpenAI.Responses.ResponseFunctionToolCall;
      const second = await openai.responses.create({ ...params, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] });
      assert.equal(second.output_text, 'The tool said: Sunny, 21C');
      assert.deepEqual(kinds(oa.last().body.input), ['message', 'tool_search_call', 'tool_search_output', 'function_call', 'function_call_output']);
    });

    test("a search's items that are not items are refused, naming the field", async () => {
      const refused = async (item: Record<string, unknown>, param: string): Promise<void> => {
        const res = await postJson(e2e.url, '/v1/responses', { model: SEARCHER, input: [{ role: 'user', content: 'Hi' }, item] });
        assertOpenAIError(res, 400, 'SY_ERR_BAD_REQUEST');
        assert.equal((res.json as { error: { param: string } }).error.param, param, JSON.stringify(item));
      };
      await refused({ type: 'tool_search_output', call_id: 'c', tools: 'get_weather' }, 'input[1].tools');
      await refused({ type: 'tool_search_output', tools: [{ type: 'function', parameters: {} }] }, 'input[1].tools[0].name');
      await refused({ type: 'tool_search_output', tools: [{ name: 'x' }] }, 'input[1].tools[0].type');
      await refused({ type: 'tool_search_output' }, 'input[1].tools');
      await refused({ type: 'tool_search_output', call_id: 7, tools: [] }, 'input[1].call_id');
      await refused({ type: 'tool_search_call', execution: 'elsewhere', arguments: {} }, 'input[1].execution');
      await refused({ type: 'tool_search_call', call_id: 'c' }, 'input[1].arguments');
      // A search alone is no conversation.
      const alone = await postJson(e2e.url, '/v1/responses', { model: SEARCHER, input: [{ type: 'tool_search_output', tools: [] }] });
      assertOpenAIError(alone, 400, 'SY_ERR_BAD_REQUEST');
      assert.equal((alone.json as { error: { param: string } }).error.param, 'input');
    });
  });

  test("Codex's reasoning summaries: asked for, and streamed to it as summary parts, as Codex shows them", async () => {
    oa.reset();
    const params = { model: MODEL, input: 'Hi', reasoning: { effort: 'medium' as const, summary: 'auto' as const } };
    let streamed = '';
    let done: OpenAI.Responses.Response | undefined;
    for await (const ev of await openai.responses.create({ ...params, stream: true })) {
      if (ev.type === 'response.reasoning_summary_text.delta') streamed += ev.delta;
      if (ev.type === 'response.completed') done = ev.response;
    }
    assert.deepEqual(oa.last().body.reasoning, { effort: 'medium', summary: 'auto' });
    assert.equal(streamed, REASONING_SUMMARY);
    const item = done?.output.find((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning');
    assert.deepEqual(item?.summary, [{ type: 'summary_text', text: REASONING_SUMMARY }]);
    const whole = await openai.responses.create(params);
    assert.deepEqual(whole.output.find((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning')?.summary, [{ type: 'summary_text', text: REASONING_SUMMARY }]);
    // Without the ask, none.
    await openai.responses.create({ model: MODEL, input: 'Hi' });
    assert.equal(oa.last().body.reasoning, undefined);
  });

  test('a summary and the encrypted reasoning it sums up reach the client as the one item they came in, whole and streamed', async () => {
    const params = { model: MODEL, input: 'Hi', store: false, include: ['reasoning.encrypted_content' as const], reasoning: { effort: 'low' as const, summary: 'auto' as const } };
    for (const stream of [false, true]) {
      oa.reset();
      const res = stream ? await openai.responses.stream(params).finalResponse() : await openai.responses.create(params);
      const upstream = stream ? null : JSON.parse(oa.last().sent!).output[0];
      const reasoning = (res.output as OpenAI.Responses.ResponseOutputItem[]).filter((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning');
      assert.equal(reasoning.length, 1, `one reasoning item (stream ${stream}): ${JSON.stringify(res.output)}`);
      assert.match(String(reasoning[0].id), /^rs_[0-9a-f]+$/, "the model's own id");
      if (upstream) assert.equal(reasoning[0].id, upstream.id);
      assert.deepEqual(reasoning[0].summary, [{ type: 'summary_text', text: REASONING_SUMMARY }]);
      assert.match(String(reasoning[0].encrypted_content), /^gAAAAA/);
    }
  });

  test('an Anthropic client (Claude Code): a streamed tool loop', async () => {
    oa.reset();
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await anthropic.messages.stream({ model: MODEL, max_tokens: 1024, tools: [weatherAnthropic], messages }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.ok(use);
    assert.deepEqual(use.input, TOOL_ARGS);
    messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Sunny, 21C' }] });
    const second = await anthropic.messages.create({ model: MODEL, max_tokens: 1024, tools: [weatherAnthropic], messages });
    assert.equal((second.content[0] as Anthropic.TextBlock).text, 'The tool said: Sunny, 21C');
    assert.equal(second.stop_reason, 'end_turn');
  });

  test('stop sequences are refused with a 400 before anything goes upstream', async () => {
    oa.reset();
    const res = await postJson(e2e.url, '/v1/chat/completions', { model: MODEL, stop: ['END'], messages: [{ role: 'user', content: 'Hi' }] });
    assertOpenAIError(res, 400, 'SY_ERR_BAD_REQUEST');
    assert.match(String((res.json as { error: { message: string } }).error.message), /Responses API.*no stop sequences/);
    assert.equal(oa.received.length, 0);
  });
});
