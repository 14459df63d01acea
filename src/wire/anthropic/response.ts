/** Anthropic `message` object ↔ canonical ChatResponse; the count_tokens answer → TokenCount. */
import type { ChatResponse, ThinkingBlock, TokenCount, ToolCall } from '../../canonical.js';
import type { RenderOptions } from '../client.js';
import { toolArgumentsOrEmpty } from '../content.js';
import { sealReasoning } from '../sealed.js';
import { malformedResponse } from '../upstream-error.js';
import { isRecord } from '../validate.js';
import { finishFromAnthropic, finishToAnthropic, usageFromAnthropic, usageToAnthropic } from './mapping.js';

export function parseAnthropicResponse(body: unknown, fallbackModel: string): ChatResponse {
  if (!isRecord(body)) throw malformedResponse('anthropic', 'body is not an object');
  if (!Array.isArray(body.content)) throw malformedResponse('anthropic', '`content` missing');
  let text = '';
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  for (const block of body.content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      thinking.push({ type: 'thinking', thinking: block.thinking, signature: typeof block.signature === 'string' ? block.signature : '' });
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') thinking.push({ type: 'redacted_thinking', data: block.data });
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: typeof block.id === 'string' ? block.id : `toolu_${toolCalls.length}`,
        name: typeof block.name === 'string' ? block.name : '',
        arguments: JSON.stringify(block.input ?? {}),
      });
    }
  }
  const res: ChatResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' && body.model ? body.model : fallbackModel,
    text,
    toolCalls,
    finishReason: finishFromAnthropic(body.stop_reason),
    usage: usageFromAnthropic(body.usage),
  };
  if (thinking.length) res.thinking = thinking;
  return res;
}

/**
 * Canonical response → Anthropic `message` object for an Anthropic-dialect client.
 * @example renderAnthropicResponse(res, { created: nowSec, model: requestedModel })
 */
export function renderAnthropicResponse(res: ChatResponse, opts: RenderOptions): Record<string, unknown> {
  // Thinking comes first, as Anthropic puts it, and only to a client that turned it on.
  const content: Record<string, unknown>[] = [];
  // OpenRouter's details are not for Anthropic clients. An OpenAI model's encrypted
  // reasoning is the signature of the thinking block that shows its summary (one of its
  // own when there is none), as the stream gives it.
  if (res.thinking !== undefined && opts.thinking !== false) {
    for (const t of res.thinking) {
      if (t.type === 'thinking') content.push({ type: 'thinking', thinking: t.thinking, signature: t.signature });
      else if (t.type === 'redacted_thinking') content.push({ ...t });
      else if (t.type === 'encrypted_reasoning') {
        const last = content.at(-1);
        if (last?.type === 'thinking' && last.signature === '') last.signature = sealReasoning(t);
        else content.push({ type: 'thinking', thinking: '', signature: sealReasoning(t) });
      }
    }
  }
  if (res.text !== '' || res.toolCalls.length === 0) content.push({ type: 'text', text: res.text });
  for (const c of res.toolCalls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: toolArgumentsOrEmpty(c.arguments) });
  return {
    id: res.id,
    type: 'message',
    role: 'assistant',
    model: opts.model ?? res.model,
    content,
    stop_reason: finishToAnthropic(res.finishReason),
    stop_sequence: null,
    usage: usageToAnthropic(res.usage),
  };
}

/** Anthropic's count_tokens answer: `{"input_tokens": N}`. */
export function parseAnthropicTokenCount(body: unknown): TokenCount {
  const n = isRecord(body) ? body.input_tokens : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw malformedResponse('anthropic', '`input_tokens` missing or not a count');
  return { inputTokens: n };
}
