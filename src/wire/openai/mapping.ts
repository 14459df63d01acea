/** OpenAI vocabulary ↔ canonical: finish reasons, usage, and the Gemini signatures OpenRouter sends in reasoning_details. */
import type { FinishReason, ThinkingBlock, Usage } from '../../canonical.js';
import { signedToolCallId, toolCallSignature } from '../content.js';
import { tokenCount } from '../usage.js';
import { isRecord } from '../validate.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Some OpenAI-compatible servers (vLLM, Ollama, Gemini's OpenAI endpoint) end an answer
 * that calls tools with `stop`; the caller says whether calls were seen, so clients that
 * loop on the finish reason (Anthropic's `stop_reason: tool_use`) run them.
 */
export function finishFromOpenAI(reason: unknown, hadToolCalls = false): FinishReason {
  switch (reason) {
    case 'length': return 'length';
    case 'tool_calls':
    case 'function_call': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return hadToolCalls ? 'tool_calls' : 'stop';
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

/** The names of an OpenAI usage object's counts: chat completions', or the Responses API's. */
interface UsageNames { input: string; output: string; inputDetails: string; outputDetails: string }

const CHAT_USAGE: UsageNames = { input: 'prompt_tokens', output: 'completion_tokens', inputDetails: 'prompt_tokens_details', outputDetails: 'completion_tokens_details' };
export const RESPONSES_USAGE: UsageNames = { input: 'input_tokens', output: 'output_tokens', inputDetails: 'input_tokens_details', outputDetails: 'output_tokens_details' };

export function usageFromOpenAI(u: unknown, names: UsageNames = CHAT_USAGE): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const usage: Usage = { inputTokens: tokenCount(u[names.input]), outputTokens: tokenCount(u[names.output]) };
  const details = u[names.inputDetails];
  // Cache reads are among the input tokens: never more of them. DeepSeek documents its
  // own count of them, which is all some of its answers carry.
  const cached = isRecord(details) && typeof details.cached_tokens === 'number' ? details.cached_tokens : u.prompt_cache_hit_tokens;
  if (typeof cached === 'number') usage.cachedInputTokens = Math.min(tokenCount(cached), usage.inputTokens);
  const out = u[names.outputDetails];
  const reasoning = isRecord(out) ? tokenCount(out.reasoning_tokens) : 0;
  if (reasoning > 0) usage.reasoningTokens = reasoning;
  return usage;
}

/**
 * `usage` with the `service_tier` the answer names (OpenAI puts it beside `usage`, on the
 * response and on every chunk of a stream).
 */
export function withServiceTier(usage: Usage, tier: unknown): Usage {
  if (typeof tier === 'string' && tier !== '') usage.serviceTier = tier;
  return usage;
}

/**
 * Whether a chat message or delta cites web pages (`url_citation` annotations), as the
 * answers of OpenAI's chat completions search models (gpt-4o-search-preview, ...) do: such
 * a model searches once for every request, a call OpenAI bills apart from tokens, and its
 * citations are all its answer says of it.
 */
export function citesWeb(m: Record<string, unknown>): boolean {
  return Array.isArray(m.annotations) && m.annotations.some((a) => isRecord(a) && a.type === 'url_citation');
}

/**
 * `usage` with the web searches OpenAI ran for the answer, which it bills apart from the
 * tokens and does not count in `usage`: a Responses API answer's `web_search_call` items,
 * or the one search a citing chat answer ran (see citesWeb).
 */
export function withWebSearches(usage: Usage, searches: number): Usage {
  if (searches > 0) usage.webSearchRequests = searches;
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

/** How OpenRouter labels a Gemini thought signature among `reasoning_details`. */
const GEMINI_DETAIL = 'google-gemini-v1';

/**
 * The Gemini thought signatures among OpenRouter's `reasoning_details`, by the tool call each
 * belongs to (an encrypted detail carries its call's id); undefined when there are none.
 * Gemini 3 refuses a tool loop whose calls come back without theirs, so a signature rides
 * in its call's id, as a native Gemini provider's does (signedToolCallId), which every
 * client dialect keeps and sends back.
 */
export function callSignatures(details: unknown): Map<string, string> | undefined {
  if (!Array.isArray(details)) return undefined;
  let out: Map<string, string> | undefined;
  for (const d of details) {
    if (!isRecord(d) || d.type !== 'reasoning.encrypted' || typeof d.format !== 'string' || !d.format.startsWith('google-gemini')) continue;
    if (typeof d.id === 'string' && d.id !== '' && typeof d.data === 'string' && d.data !== '') (out ??= new Map()).set(d.id, d.data);
  }
  return out;
}

/** `calls` with the signatures `details` holds for them in their ids. */
export function signCalls<T extends { id: string }>(calls: T[], details: unknown): T[] {
  const sigs = callSignatures(details);
  if (sigs === undefined) return calls;
  return calls.map((c) => {
    const sig = sigs.get(c.id);
    return sig === undefined ? c : { ...c, id: signedToolCallId(c.id, sig) };
  });
}

/** The `reasoning_details` that give back the signatures riding in `calls`' ids (by their ids on the wire); undefined when none has one. */
export function callDetails(calls: readonly { id: string }[], wireId: (id: string) => string): Record<string, unknown>[] | undefined {
  let out: Record<string, unknown>[] | undefined;
  for (const c of calls) {
    const data = toolCallSignature(c.id);
    if (data !== undefined) (out ??= []).push({ type: 'reasoning.encrypted', id: wireId(c.id), data, format: GEMINI_DETAIL, index: out.length });
  }
  return out;
}

/** OpenRouter's `reasoning_details` of a message or delta, as a thinking block; undefined when it has none. */
export function detailsOf(m: Record<string, unknown>): ThinkingBlock | undefined {
  const d = m.reasoning_details;
  return Array.isArray(d) && d.length > 0 ? { type: 'reasoning_details', details: d } : undefined;
}

/** The `reasoning_details` thinking blocks hold, in order; undefined when none does. */
export function detailsIn(blocks: readonly ThinkingBlock[] | undefined): unknown[] | undefined {
  if (blocks === undefined) return undefined;
  let out: unknown[] | undefined;
  for (const b of blocks) if (b.type === 'reasoning_details') out = out === undefined ? b.details : [...out, ...b.details];
  return out;
}
