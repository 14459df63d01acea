/**
 * Tool names one dialect allows and the routed provider refuses: Claude Code's MCP tools
 * (`mcp__<server>__<tool>`, up to Anthropic's 128 characters) on OpenAI and Gemini, which
 * take 64; names with dots (other MCP clients) on OpenAI and Anthropic; a name starting
 * with a digit on Gemini. The provider sees a name it takes, the same all through the
 * request (tools, tool_choice, the history's calls), and the client sees only its own,
 * whole and streamed, through the official SDKs. The fakes refuse what each provider does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startWireFake, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;
let anthropic: Anthropic;

/** 69 characters: Anthropic takes it, OpenAI and Gemini refuse it. */
const MCP_LONG = 'mcp__plugin_everything-claude-code_github__create_pull_request_review';
const schema = { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] };
const anthropicTool = (name: string): Anthropic.Tool => ({ name, description: `tool ${name}`, input_schema: schema });
const openAITool = (name: string): OpenAI.Chat.Completions.ChatCompletionTool => ({ type: 'function', function: { name, description: `tool ${name}`, parameters: schema } });

/** Every function name a body sends upstream, in any of the three wire formats. */
function sentNames(body: any): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, key));
    if (typeof v !== 'object' || v === null) {
      if (key === 'allowedFunctionNames' && typeof v === 'string') out.push(v);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && (key === 'function' || o.parameters !== undefined || o.input_schema !== undefined || o.parametersJsonSchema !== undefined || o.arguments !== undefined || o.input !== undefined || o.args !== undefined || o.response !== undefined || o.type === 'tool' || o.type === 'function')) out.push(o.name);
    for (const [k, x] of Object.entries(o)) walk(x, k);
  };
  walk(body, '');
  return out;
}

before(async () => {
  [oa, an, gm] = await Promise.all([
    startWireFake({ format: 'openai', name: 'oa' }),
    startWireFake({ format: 'anthropic', name: 'an' }),
    startWireFake({ format: 'gemini', name: 'gm' }),
  ]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-oa' }] },
      oar: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-5'], keys: [{ name: 'k', value: 'sk-oa' }], options: { api: 'responses' } },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-an' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash'], keys: [{ name: 'k', value: 'sk-gm' }] },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

describe('tool names a provider refuses', SUITE, () => {
  for (const model of ['oa/gpt-4o', 'gm/gemini-2.5-flash', 'oar/gpt-5']) {
    test(`Claude Code's long MCP tool names on ${model}: called, and the tool loop goes on, whole and streamed`, async () => {
      const fake = model.startsWith('gm') ? gm : oa;
      for (const stream of [false, true]) {
        fake.reset();
        const first: Anthropic.MessageCreateParamsNonStreaming = {
          model, max_tokens: 200, tools: [anthropicTool(MCP_LONG), anthropicTool('mcp__plugin_everything-claude-code_github__get_pull_request_comments')],
          tool_choice: { type: 'tool', name: MCP_LONG },
          messages: [{ role: 'user', content: 'Review the pull request' }],
        };
        const turn1 = stream ? await anthropic.messages.stream(first).finalMessage() : await anthropic.messages.create(first);
        const names = sentNames(fake.last().body);
        assert.ok(names.length >= 3, `tools and the forced choice went up: ${names.join(', ')}`);
        for (const n of names) assert.ok(n.length <= 64 && /^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(n), `${n} is a name the provider takes`);
        assert.equal(new Set(names.slice(0, 2)).size, 2, 'the two tools stay two');
        const call = turn1.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
        assert.ok(call, `a tool call (stream ${stream})`);
        assert.equal(call.name, MCP_LONG, `the client sees its own name (stream ${stream})`);
        assert.deepEqual(call.input, TOOL_ARGS);

        const second: Anthropic.MessageCreateParamsNonStreaming = {
          ...first, tool_choice: { type: 'auto' },
          messages: [...first.messages, { role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'LGTM' }] }],
        };
        const turn2 = stream ? await anthropic.messages.stream(second).finalMessage() : await anthropic.messages.create(second);
        assert.equal(turn2.content.find((b) => b.type === 'text')?.text, 'The tool said: LGTM', `the history's call goes up under the name its tool has (stream ${stream})`);
        for (const n of sentNames(fake.last().body)) assert.ok(n.length <= 64, `${n} is at most 64 characters`);
      }
    });
  }

  test("Claude Code counting its tokens with long MCP tool names on OpenAI and Gemini", async () => {
    for (const [model, fake] of [['oa/gpt-4o', oa], ['gm/gemini-2.5-flash', gm]] as const) {
      fake.reset();
      const res = await anthropic.messages.countTokens({ model, tools: [anthropicTool(MCP_LONG)], messages: [{ role: 'user', content: 'Review the pull request' }] });
      assert.ok(res.input_tokens > 0, `${model}: counted`);
      const names = sentNames(fake.last().body);
      assert.ok(names.length === 1 && names[0].length <= 64, `${model}: counted under a name the provider takes (${names.join(', ')})`);
    }
  });

  test("an OpenAI client's dotted and digit-first names on Anthropic and Gemini, whole and streamed", async () => {
    for (const [model, fake] of [['an/claude-sonnet-4', an], ['gm/gemini-2.5-flash', gm], ['oa/gpt-4o', oa]] as const) {
      for (const stream of [false, true]) {
        for (const name of ['github.create_issue', '21st_magic_component_builder']) {
          fake.reset();
          const params = {
            model, tools: [openAITool(name), openAITool('get_weather')],
            tool_choice: { type: 'function' as const, function: { name } },
            messages: [{ role: 'user' as const, content: 'Go' }],
          };
          let call: { id: string; name: string; arguments: string };
          if (stream) {
            const chunks = await openai.chat.completions.create({ ...params, stream: true });
            const got = { id: '', name: '', arguments: '' };
            for await (const c of chunks) {
              const d = c.choices[0]?.delta.tool_calls?.[0];
              if (d?.id) got.id = d.id;
              if (d?.function?.name) got.name += d.function.name;
              if (d?.function?.arguments) got.arguments += d.function.arguments;
            }
            call = got;
          } else {
            const res = await openai.chat.completions.create(params);
            const c = res.choices[0].message.tool_calls?.[0];
            assert.ok(c?.type === 'function');
            call = { id: c.id, name: c.function.name, arguments: c.function.arguments };
          }
          assert.equal(call.name, name, `${model}: the client sees ${name} (stream ${stream})`);
          assert.deepEqual(JSON.parse(call.arguments), TOOL_ARGS);
          const takes = fake === gm ? /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/ : /^[a-zA-Z0-9_-]{1,64}$/;
          const upstream = sentNames(fake.last().body);
          assert.ok(upstream.length >= 3 && upstream.every((n) => takes.test(n)), `${model}: ${name} went up as a name the provider takes (${upstream.join(', ')})`);

          const res2 = await openai.chat.completions.create({
            ...params, tool_choice: 'auto',
            messages: [...params.messages, { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] }, { role: 'tool', tool_call_id: call.id, content: 'done' }],
          });
          assert.equal(res2.choices[0].message.content, 'The tool said: done', `${model}: the loop goes on with ${name}`);
        }
      }
    }
  });
});
