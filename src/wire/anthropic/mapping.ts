/** Anthropic vocabulary ↔ canonical: stop reasons and usage. */
import type { FinishReason, Usage } from '../../canonical.js';
import { tokenCount as count } from '../usage.js';
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

/**
 * Anthropic's `input_tokens` excludes cache reads and cache writes; canonical
 * `inputTokens` is every input token, with `cachedInputTokens` the cache reads and
 * `cacheWriteTokens` the cache writes among them (`cacheWrite1hTokens` from
 * `cache_creation.ephemeral_1h_input_tokens`).
 */
export function usageFromAnthropic(u: unknown): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const cached = count(u.cache_read_input_tokens);
  const written = count(u.cache_creation_input_tokens);
  const usage: Usage = {
    inputTokens: count(u.input_tokens) + cached + written,
    outputTokens: count(u.output_tokens),
  };
  if (u.cache_read_input_tokens !== undefined && u.cache_read_input_tokens !== null) usage.cachedInputTokens = cached;
  if (written > 0) {
    usage.cacheWriteTokens = written;
    const hour = isRecord(u.cache_creation) ? Math.min(count(u.cache_creation.ephemeral_1h_input_tokens), written) : 0;
    if (hour > 0) usage.cacheWrite1hTokens = hour;
  }
  const thinking = isRecord(u.output_tokens_details) ? count(u.output_tokens_details.thinking_tokens) : 0;
  if (thinking > 0) usage.reasoningTokens = thinking;
  if (typeof u.service_tier === 'string' && u.service_tier !== '') usage.serviceTier = u.service_tier;
  const searches = isRecord(u.server_tool_use) ? count(u.server_tool_use.web_search_requests) : 0;
  if (searches > 0) usage.webSearchRequests = searches;
  return usage;
}

/** Anthropic's usage fields, in its order: plain input, cache writes (by lifetime), cache reads, output. */
function anthropicUsageFields(u: Usage): [input: number, written: number, fiveMinutes: number, hour: number, cached: number, output: number] {
  const cached = u.cachedInputTokens ?? 0;
  const written = u.cacheWriteTokens ?? 0;
  const hour = u.cacheWrite1hTokens ?? 0;
  return [u.inputTokens - cached - written, written, written - hour, hour, cached, u.outputTokens];
}

/** JSON text of an Anthropic `usage` object (encoders splice it into frames). */
export function usageToAnthropicJson(u: Usage): string {
  const [input, written, fiveMinutes, hour, cached, output] = anthropicUsageFields(u);
  const creation = written > 0 ? `"cache_creation":{"ephemeral_5m_input_tokens":${fiveMinutes},"ephemeral_1h_input_tokens":${hour}},` : '';
  const thinking = u.reasoningTokens === undefined ? '' : `,"output_tokens_details":{"thinking_tokens":${u.reasoningTokens}}`;
  return `{"input_tokens":${input},"cache_creation_input_tokens":${written},${creation}"cache_read_input_tokens":${cached},"output_tokens":${output}${thinking}}`;
}

export function usageToAnthropic(u: Usage): Record<string, unknown> {
  const [input, written, fiveMinutes, hour, cached, output] = anthropicUsageFields(u);
  const usage: Record<string, unknown> = { input_tokens: input, cache_creation_input_tokens: written };
  if (written > 0) usage.cache_creation = { ephemeral_5m_input_tokens: fiveMinutes, ephemeral_1h_input_tokens: hour };
  usage.cache_read_input_tokens = cached;
  usage.output_tokens = output;
  if (u.reasoningTokens !== undefined) usage.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return usage;
}
