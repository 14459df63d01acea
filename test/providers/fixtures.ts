/** Shared fixtures for the provider tests: a rich canonical request, seeded chunking, stream digests. */
import type { ChatRequest, StreamEvent, Usage } from '../../src/canonical.js';
import type { AttemptTarget, ProviderSettings, StreamDecoder } from '../../src/providers/types.js';

export const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

export const WEATHER_TOOL_SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

/** System prompt, multi-turn with an image, tools, a tool call and its result, stop, max tokens, JSON mode. */
export function richRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    kind: 'chat',
    model: 'requested-model',
    system: [{ type: 'text', text: 'You are a weather bot.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image', mediaType: 'image/png', data: PNG_B64 }] },
      { role: 'assistant', content: [{ type: 'text', text: 'A cloud.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"temp_c":21}' }] },
    ],
    tools: [{ name: 'get_weather', description: 'Current weather', parameters: WEATHER_TOOL_SCHEMA }],
    toolChoice: 'auto',
    maxTokens: 256,
    temperature: 0.2,
    topP: 0.9,
    stop: ['END'],
    stream: false,
    responseFormat: { type: 'json_schema', name: 'weather', schema: { type: 'object', properties: { summary: { type: 'string' } } }, strict: true },
    user: 'user-42',
    ...overrides,
  };
}

export function settings(type: string, over: Partial<ProviderSettings> = {}): ProviderSettings {
  return { id: type === 'mock' ? 'local' : type, type, baseUrl: '', headers: {}, options: {}, ...over };
}

export function target(provider: ProviderSettings, model: string, keyValue = 'sk-test'): AttemptTarget {
  return { provider, model, keyName: `${provider.id}-main`, keyValue };
}

export { seededRandom as seeded } from '../../src/balance/seeded.js';

/** Splits text into pieces of 1..maxLen characters at seeded random boundaries. */
export function randomChunks(text: string, rng: () => number, maxLen = 17): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const n = 1 + Math.floor(rng() * maxLen);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

export function decodeAll(decoder: StreamDecoder, pieces: string[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (const p of pieces) out.push(...decoder.push(p));
  out.push(...decoder.end());
  return out;
}

/** Adjacent text deltas (of a refusal, or not) merged, and adjacent argument deltas of one tool call merged: chunking-independent. */
export function coalesce(events: StreamEvent[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (const ev of events) {
    const last = out[out.length - 1];
    if (ev.type === 'text' && last?.type === 'text' && last.refusal === ev.refusal) out[out.length - 1] = { ...last, text: last.text + ev.text };
    else if (ev.type === 'tool_call_delta' && last?.type === 'tool_call_delta' && last.index === ev.index) {
      out[out.length - 1] = { ...last, arguments: last.arguments + ev.arguments };
    } else out.push(ev);
  }
  return out;
}

export interface StreamDigest {
  id: string;
  model: string;
  text: string;
  toolCalls: { id: string; name: string; args: unknown }[];
  finish: string | undefined;
  usage: Usage | undefined;
  /** 'end', 'error: <message>', or 'none'. */
  last: string;
  /** Events follow the documented order: start, content, finish, usage, end. */
  ordered: boolean;
}

const ORDER: Record<StreamEvent['type'], number> = {
  start: 0, text: 1, thinking: 1, thinking_signature: 1, redacted_thinking: 1, encrypted_reasoning: 1, reasoning_details: 1, logprobs: 1, anthropic_block: 1, anthropic_delta: 1, hosted_item: 1, annotation: 1, tool_call_start: 1, tool_call_delta: 1, finish: 2, usage: 3, end: 4, error: 5,
};

export function digest(events: StreamEvent[]): StreamDigest {
  const d: StreamDigest = { id: '', model: '', text: '', toolCalls: [], finish: undefined, usage: undefined, last: 'none', ordered: true };
  const args: string[] = [];
  let rank = -1;
  for (const ev of events) {
    if (ORDER[ev.type] < rank) d.ordered = false;
    rank = ORDER[ev.type];
    switch (ev.type) {
      case 'start': d.id = ev.id; d.model = ev.model; break;
      case 'text': d.text += ev.text; break;
      case 'tool_call_start': d.toolCalls[ev.index] = { id: ev.id, name: ev.name, args: undefined }; args[ev.index] = ''; break;
      case 'tool_call_delta': args[ev.index] += ev.arguments; break;
      case 'finish': d.finish = ev.finishReason; break;
      case 'usage': d.usage = ev.usage; break;
      case 'end': d.last = 'end'; break;
      case 'error': d.last = `error: ${ev.message}`; break;
    }
  }
  d.toolCalls.forEach((c, i) => { c.args = JSON.parse(args[i] || '{}'); });
  return d;
}

export const HTML_502 = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
