/** Anthropic vocabulary ↔ canonical: stop reasons and usage. */
import type { FinishReason, Usage } from '../../canonical.js';
import { isRecord } from '../validate.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

export function finishFromAnthropic(reason: unknown): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

export function finishToAnthropic(reason: FinishReason): AnthropicStopReason {
  switch (reason) {
    case 'length': return 'max_tokens';
    case 'tool_calls': return 'tool_use';
    case 'content_filter': return 'refusal';
    default: return 'end_turn';
  }
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Anthropic's `input_tokens` excludes cache reads and cache writes; canonical
 * `inputTokens` is every input token, with `cachedInputTokens` the cache reads among them.
 */
export function usageFromAnthropic(u: unknown): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const cached = count(u.cache_read_input_tokens);
  const usage: Usage = {
    inputTokens: count(u.input_tokens) + cached + count(u.cache_creation_input_tokens),
    outputTokens: count(u.output_tokens),
  };
  if (u.cache_read_input_tokens !== undefined && u.cache_read_input_tokens !== null) usage.cachedInputTokens = cached;
  return usage;
}

/** JSON text of an Anthropic `usage` object (encoders splice it into frames). */
export function usageToAnthropicJson(u: Usage): string {
  const cached = u.cachedInputTokens ?? 0;
  return `{"input_tokens":${u.inputTokens - cached},"cache_creation_input_tokens":0,"cache_read_input_tokens":${cached},"output_tokens":${u.outputTokens}}`;
}

export function usageToAnthropic(u: Usage): Record<string, number> {
  const cached = u.cachedInputTokens ?? 0;
  return { input_tokens: u.inputTokens - cached, cache_creation_input_tokens: 0, cache_read_input_tokens: cached, output_tokens: u.outputTokens };
}
