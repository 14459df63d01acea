/** OpenAI `chat.completion` object ↔ canonical ChatResponse. */
import type { ChatResponse, ToolCall } from '../../canonical.js';
import type { RenderOptions } from '../client.js';
import { reasoningOf, unsignedThinking } from '../content.js';
import { unwrapInput } from '../freeform.js';
import { SwitchyardError } from '../../errors.js';
import { malformedResponse, readErrorBody } from '../upstream-error.js';
import { isRecord } from '../validate.js';
import { citesWeb, detailsIn, detailsOf, finishFromOpenAI, finishToOpenAI, reasoningFromOpenAI, signCalls, usageFromOpenAI, usageToOpenAI, withServiceTier, withWebSearches } from './mapping.js';

/** `content` is a string, null, or (some compatible servers) an array of typed parts. */
function contentText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return '';
  let out = '';
  for (const p of v) if (isRecord(p) && p.type === 'text' && typeof p.text === 'string') out += p.text;
  return out;
}

function wireToolCalls(v: unknown): ToolCall[] {
  if (!Array.isArray(v)) return [];
  const out: ToolCall[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (!isRecord(c) || !isRecord(c.function)) continue;
    const args = c.function.arguments;
    out.push({
      id: typeof c.id === 'string' && c.id ? c.id : `call_${i}`,
      name: typeof c.function.name === 'string' ? c.function.name : '',
      // A few servers send arguments as an object instead of JSON text.
      arguments: typeof args === 'string' ? args : args === undefined ? '{}' : JSON.stringify(args),
    });
  }
  return out;
}

/** A tool call as chat completions shows it: a custom tool's with its input unwrapped (see wire/freeform). */
export function wireToolCall(c: ToolCall, freeform: ReadonlySet<string> | undefined): Record<string, unknown> {
  return freeform?.has(c.name)
    ? { id: c.id, type: 'custom', custom: { name: c.name, input: unwrapInput(c.arguments) } }
    : { id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } };
}

export function parseOpenAIChatResponse(body: unknown, fallbackModel: string): ChatResponse {
  if (!isRecord(body)) throw malformedResponse('openai', 'body is not an object');
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!isRecord(choice)) {
    // OpenRouter answers 200 with the error of a model that failed once it had started.
    if (body.error !== undefined && body.error !== null) throw new SwitchyardError('SY_ERR_UPSTREAM_ERROR', `upstream answered with an error: ${readErrorBody(200, JSON.stringify(body)).message}`);
    throw malformedResponse('openai', '`choices[0]` missing');
  }
  const message = isRecord(choice.message) ? choice.message : {};
  const content = contentText(message.content);
  // A refusal comes instead of content; it is what the model said, so it is the text.
  const refused = content === '' && typeof message.refusal === 'string' && message.refusal !== '';
  const toolCalls = signCalls(wireToolCalls(message.tool_calls), message.reasoning_details);
  const res: ChatResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' && body.model ? body.model : fallbackModel,
    text: refused ? message.refusal as string : content,
    toolCalls,
    finishReason: finishFromOpenAI(choice.finish_reason, toolCalls.length > 0),
    usage: withWebSearches(withServiceTier(usageFromOpenAI(body.usage), body.service_tier), citesWeb(message) ? 1 : 0),
  };
  if (refused) res.refusal = true;
  if (isRecord(choice.logprobs)) res.logprobs = choice.logprobs;
  const reasoning = reasoningFromOpenAI(message);
  if (reasoning !== '') res.thinking = unsignedThinking(reasoning);
  const details = detailsOf(message);
  if (details !== undefined) (res.thinking ??= []).push(details);
  return res;
}

/**
 * Canonical response → OpenAI `chat.completion` object for an OpenAI-dialect client.
 * @example renderOpenAIChatResponse(res, { created: Math.floor(now / 1000) })
 */
export function renderOpenAIChatResponse(res: ChatResponse, opts: RenderOptions): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: res.refusal === true || (res.text === '' && res.toolCalls.length) ? null : res.text,
    refusal: res.refusal === true ? res.text : null,
  };
  // DeepSeek's field, which most OpenAI-format clients read; the SDK keeps it on the message.
  const reasoning = reasoningOf(res.thinking);
  if (reasoning !== '') message.reasoning_content = reasoning;
  const details = detailsIn(res.thinking);
  if (details !== undefined) message.reasoning_details = details;
  if (res.toolCalls.length) message.tool_calls = res.toolCalls.map((c) => wireToolCall(c, opts.freeform));
  return {
    id: res.id,
    object: 'chat.completion',
    created: opts.created,
    model: opts.model ?? res.model,
    choices: [{ index: 0, message, logprobs: res.logprobs ?? null, finish_reason: finishToOpenAI(res.finishReason) }],
    usage: usageToOpenAI(res.usage),
  };
}

/**
 * OpenAI's model list (`{"object": "list", "data": [{"id": …}, …]}`), as ids; other entries
 * are skipped. Anthropic's has the same `data` (`wire` names the provider in errors).
 */
export function parseModelList(body: unknown, wire = 'openai'): string[] {
  if (!isRecord(body) || !Array.isArray(body.data)) throw malformedResponse(wire, '`data` missing from the model list');
  const ids: string[] = [];
  for (const m of body.data) if (isRecord(m) && typeof m.id === 'string' && m.id !== '') ids.push(m.id);
  return ids;
}
