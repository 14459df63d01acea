/** OpenAI vocabulary ↔ canonical: finish reasons and usage. */
import type { FinishReason, Usage } from '../../canonical.js';
import { tokenCount } from '../usage.js';
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

/**
 * The reasoning text of an OpenAI-format message or delta: `reasoning_content` (DeepSeek,
 * Kimi, Qwen, vLLM) or `reasoning` (OpenRouter, Groq, Ollama, newer vLLM); '' when none.
 */
export function reasoningFromOpenAI(m: Record<string, unknown>): string {
  const r = m.reasoning_content;
  if (typeof r === 'string' && r !== '') return r;
  return typeof m.reasoning === 'string' ? m.reasoning : '';
}

export function usageFromOpenAI(u: unknown): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const usage: Usage = { inputTokens: tokenCount(u.prompt_tokens), outputTokens: tokenCount(u.completion_tokens) };
  const details = u.prompt_tokens_details;
  // Cache reads are among the input tokens: never more of them.
  if (isRecord(details) && typeof details.cached_tokens === 'number') usage.cachedInputTokens = Math.min(tokenCount(details.cached_tokens), usage.inputTokens);
  const out = u.completion_tokens_details;
  const reasoning = isRecord(out) ? tokenCount(out.reasoning_tokens) : 0;
  if (reasoning > 0) usage.reasoningTokens = reasoning;
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
