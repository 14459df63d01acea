/** Gemini `GenerateContentResponse` → canonical ChatResponse (and the candidate reading the stream decoder shares). */
import type { ChatResponse, TokenCount, ToolCall } from '../../canonical.js';
import { unsignedThinking } from '../content.js';
import { SwitchyardError } from '../../errors.js';
import { malformedResponse } from '../upstream-error.js';
import { isRecord } from '../validate.js';
import { finishFromGemini, geminiFailure, toolCallId, usageFromGemini } from './mapping.js';

export interface CandidateParts {
  text: string;
  /** Thought summaries (parts marked `thought`, sent when thinkingConfig.includeThoughts is on). */
  thought: string;
  /** Function calls in order, with arguments as JSON text and the part's thoughtSignature. */
  calls: { id: unknown; name: string; arguments: string; signature: unknown }[];
}

/** Text, thought summaries and function calls of the first candidate. */
export function candidateParts(candidate: Record<string, unknown>): CandidateParts {
  const out: CandidateParts = { text: '', thought: '', calls: [] };
  const content = candidate.content;
  if (!isRecord(content) || !Array.isArray(content.parts)) return out;
  for (const p of content.parts) {
    if (!isRecord(p)) continue;
    if (p.thought === true) {
      if (typeof p.text === 'string') out.thought += p.text;
    } else if (typeof p.text === 'string') out.text += p.text;
    else if (isRecord(p.functionCall)) {
      const fc = p.functionCall;
      out.calls.push({ id: fc.id, name: typeof fc.name === 'string' ? fc.name : '', arguments: JSON.stringify(fc.args ?? {}), signature: p.thoughtSignature });
    }
  }
  return out;
}

export function parseGeminiResponse(body: unknown, fallbackModel: string): ChatResponse {
  if (!isRecord(body)) throw malformedResponse('gemini', 'body is not an object');
  const id = typeof body.responseId === 'string' ? body.responseId : '';
  const model = typeof body.modelVersion === 'string' && body.modelVersion ? body.modelVersion : fallbackModel;
  const usage = usageFromGemini(body.usageMetadata);
  const candidate = Array.isArray(body.candidates) ? body.candidates[0] : undefined;
  if (!isRecord(candidate)) {
    // A prompt blocked by safety settings comes back with promptFeedback and no candidates.
    if (isRecord(body.promptFeedback) && body.promptFeedback.blockReason) {
      return { id, model, text: '', toolCalls: [], finishReason: 'content_filter', usage };
    }
    throw malformedResponse('gemini', '`candidates[0]` missing');
  }
  const { text, thought, calls } = candidateParts(candidate);
  const failure = geminiFailure(candidate, text !== '' || calls.length > 0);
  if (failure !== undefined) throw new SwitchyardError('SY_ERR_UPSTREAM_ERROR', failure);
  const toolCalls: ToolCall[] = calls.map((c, i) => ({ id: toolCallId(c.id, id, i, c.signature), name: c.name, arguments: c.arguments }));
  const res: ChatResponse = { id, model, text, toolCalls, finishReason: finishFromGemini(candidate.finishReason, toolCalls.length > 0), usage };
  if (thought !== '') res.thinking = unsignedThinking(thought);
  return res;
}

/** `countTokens` answer: `{"totalTokens": N}` (the whole request, system and tools included). */
export function parseGeminiTokenCount(body: unknown): TokenCount {
  const n = isRecord(body) ? body.totalTokens : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw malformedResponse('gemini', '`totalTokens` missing or not a count');
  return { inputTokens: n };
}

/** What the gateway can call a Gemini model for. */
const SERVED = ['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents'];

/**
 * Gemini's model list (`{"models": [{"name": "models/gemini-2.5-pro", "supportedGenerationMethods": […]}, …]}`),
 * as ids without `models/`: the models that generate content or embeddings.
 */
export function parseGeminiModelList(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.models)) throw malformedResponse('gemini', '`models` missing from the model list');
  const ids: string[] = [];
  for (const m of body.models) {
    if (!isRecord(m) || typeof m.name !== 'string' || m.name === '') continue;
    const methods = m.supportedGenerationMethods;
    if (Array.isArray(methods) && !methods.some((x) => SERVED.includes(x as string))) continue;
    ids.push(m.name.startsWith('models/') ? m.name.slice(7) : m.name);
  }
  return ids;
}
