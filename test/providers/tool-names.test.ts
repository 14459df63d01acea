/** Tool names as each provider takes them: rewritten only when refused, the same every time, never two as one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../src/canonical.js';
import { SwitchyardError } from '../../src/errors.js';
import { ANTHROPIC_TOOL_NAMES, GEMINI_TOOL_NAMES, OPENAI_TOOL_NAMES, toolNamesFor, withToolNames } from '../../src/providers/tool-names.js';
import { WEATHER_TOOL_SCHEMA } from './fixtures.js';

const request = (...names: string[]): ChatRequest => ({
  kind: 'chat', model: 'm', stream: false, system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }],
  tools: names.map((name) => ({ name, parameters: WEATHER_TOOL_SCHEMA })),
});

describe('tool names a provider refuses', () => {
  it('a request whose names the provider takes goes as it is', () => {
    assert.equal(toolNamesFor(request('get_weather', 'mcp__db__query'), OPENAI_TOOL_NAMES), null);
    assert.equal(toolNamesFor(request('github.create_issue'), GEMINI_TOOL_NAMES), null);
    assert.equal(toolNamesFor(request('x'.repeat(128)), ANTHROPIC_TOOL_NAMES), null);
  });

  it('a refused name keeps what the provider takes of it, within its length, the same each time', () => {
    const long = 'mcp__plugin_everything-claude-code_playwright__browser_console_messages';
    const cases: [string, typeof OPENAI_TOOL_NAMES, RegExp][] = [
      [long, OPENAI_TOOL_NAMES, /^mcp__plugin_everything-claude-code_playwright__browse_[0-9a-f]{10}$/],
      ['github.create_issue', ANTHROPIC_TOOL_NAMES, /^github_create_issue_[0-9a-f]{10}$/],
      ['21st_magic_component_builder', GEMINI_TOOL_NAMES, /^_21st_magic_component_builder_[0-9a-f]{10}$/],
      ['server:tool', GEMINI_TOOL_NAMES, /^server_tool_[0-9a-f]{10}$/],
    ];
    for (const [name, rule, want] of cases) {
      const got = toolNamesFor(request(name), rule)!.up.get(name)!;
      assert.match(got, want);
      assert.ok(got.length <= rule.max);
      assert.equal(toolNamesFor(request(name), rule)!.up.get(name), got, 'deterministic');
    }
  });

  it("tools, tool_choice and the history's calls get the same name, and the answer's come back", () => {
    const req: ChatRequest = {
      ...request('a.b', 'get_weather'),
      toolChoice: { name: 'a.b' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        { role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'a.b', arguments: '{}' }, { id: 'c2', name: 'old.tool', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'ok' }] },
        { role: 'tool', toolCallId: 'c2', content: [{ type: 'text', text: 'ok' }] },
      ],
    };
    const names = toolNamesFor(req, OPENAI_TOOL_NAMES)!;
    const sent = withToolNames(req, names);
    const ab = names.up.get('a.b')!;
    assert.deepEqual(sent.tools!.map((t) => t.name), [ab, 'get_weather']);
    assert.deepEqual(sent.toolChoice, { name: ab });
    const calls = sent.messages[1].role === 'assistant' ? sent.messages[1].toolCalls!.map((c) => c.name) : [];
    assert.deepEqual(calls, [ab, names.up.get('old.tool')]);
    assert.equal(names.down.get(ab), 'a.b');
    assert.equal(req.tools![0].name, 'a.b', "the client's request is left as it was");
  });

  it('a rewritten name that is another tool of the request is refused, naming both', () => {
    const taken = toolNamesFor(request('a.b'), OPENAI_TOOL_NAMES)!.up.get('a.b')!;
    assert.throws(() => toolNamesFor(request('a.b', taken), OPENAI_TOOL_NAMES), (e: unknown) => {
      assert.ok(e instanceof SwitchyardError);
      assert.equal(e.code, 'SY_ERR_BAD_REQUEST');
      assert.match(e.message, new RegExp(`"a\\.b".*"${taken}"`));
      assert.match(e.message, /OpenAI takes letters, digits, _ and - up to 64 characters/);
      return true;
    });
  });
});
