/** OpenAI vocabulary ↔ canonical: finish reasons and usage. */
import type { FinishReason, Usage } from '../../canonical.js';
import { isRecord } from '../validate.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export function finishFromOpenAI(reason: unknown): FinishReason {
  switch (reason) {
    case 'length': return 'length';
    case 'tool_calls':
    case 'function_call': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return 'stop';
  }
}

export function finishToOpenAI(reason: FinishReason): OpenAIFinishReason {
  return reason === 'error' ? 'stop' : reason;
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function usageFromOpenAI(u: unknown): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const usage: Usage = { inputTokens: count(u.prompt_tokens), outputTokens: count(u.completion_tokens) };
  const details = u.prompt_tokens_details;
  if (isRecord(details) && typeof details.cached_tokens === 'number') usage.cachedInputTokens = details.cached_tokens;
  const out = u.completion_tokens_details;
  if (isRecord(out) && typeof out.reasoning_tokens === 'number' && out.reasoning_tokens > 0) usage.reasoningTokens = out.reasoning_tokens;
  return usage;
}

/** JSON text of an OpenAI `usage` object; encoders splice it into frames. Reasoning tokens appear when the provider counted some. */
export function usageToOpenAIJson(u: Usage): string {
  const reasoning = u.reasoningTokens === undefined ? '' : `,"completion_tokens_details":{"reasoning_tokens":${u.reasoningTokens}}`;
  return `{"prompt_tokens":${u.inputTokens},"completion_tokens":${u.outputTokens},"total_tokens":${u.inputTokens + u.outputTokens},"prompt_tokens_details":{"cached_tokens":${u.cachedInputTokens ?? 0}}${reasoning}}`;
}

export function usageToOpenAI(u: Usage): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
  };
  if (u.reasoningTokens !== undefined) usage.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return usage;
}
