/**
 * OpenAI adapter, and the factory every OpenAI-format provider (Azure, OpenAI-compatible,
 * mock) builds on: they differ only in URL, auth and a couple of body options.
 */
import type { ChatRequest, EmbeddingsRequest } from '../../canonical.js';
import { baseUrlParts, jsonHeaders, perSettings } from '../../wire/http.js';
import { toOpenAIEmbeddingsBody, parseOpenAIEmbeddingsResponse } from '../../wire/openai/embeddings.js';
import { classifyOpenAIError } from '../../wire/openai/errors.js';
import { toOpenAIChatBody, withOpenAIReasoning, type OpenAIRequestOptions } from '../../wire/openai/request.js';
import { parseOpenAIChatResponse } from '../../wire/openai/response.js';
import { OpenAIStreamDecoder } from '../../wire/openai/stream-decoder.js';
import type { AttemptTarget, HttpRequestSpec, ProviderAdapter, ProviderSettings } from '../types.js';
import { withoutDropped } from '../drop-params.js';
import { withPassed } from '../pass-params.js';
import { reasoningStyle } from '../reasoning.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export type OpenAIOperation = 'chat/completions' | 'embeddings';

export interface OpenAIFamilySpec {
  type: string;
  /** Where an operation is sent. Called per request: derive anything costly once with `perSettings`. */
  endpoint(target: AttemptTarget, op: OpenAIOperation): { origin: string; path: string };
  /** Auth headers for the target's key. */
  auth(target: AttemptTarget): Record<string, string>;
  /** The `model` the body names; default the target's model (Azure's v1 API wants the deployment). */
  model?(target: AttemptTarget): string;
  /** Body options for the target's provider. */
  body(settings: ProviderSettings): OpenAIRequestOptions;
}

/**
 * Body options from provider `options`, with the provider type's default for the max
 * tokens field: `options.max_tokens_field` overrides it, `options.stream_usage: false`
 * stops asking for usage in streams (for servers that reject `stream_options`),
 * `options.send_reasoning: true` sends an assistant turn's reasoning back (DeepSeek, Kimi).
 */
export function openAIBodyOptions(defaultField: OpenAIRequestOptions['maxTokensField']): (s: ProviderSettings) => OpenAIRequestOptions {
  return perSettings((s) => {
    const field = s.options.max_tokens_field;
    return {
      maxTokensField: field === 'max_tokens' || field === 'max_completion_tokens' ? field : defaultField,
      streamUsage: s.options.stream_usage !== false,
      sendReasoning: s.options.send_reasoning === true,
    };
  });
}

export function createOpenAIFamilyAdapter(spec: OpenAIFamilySpec): ProviderAdapter {
  const request = (target: AttemptTarget, op: OpenAIOperation, body: Record<string, unknown>): HttpRequestSpec => {
    const { origin, path } = spec.endpoint(target, op);
    return { origin, path, method: 'POST', headers: jsonHeaders(target.provider.headers, spec.auth(target)), body: JSON.stringify(body) };
  };
  const model = spec.model ?? ((target: AttemptTarget) => target.model);
  return {
    type: spec.type,
    chatDialect: 'openai',
    buildChatRequest(req: ChatRequest, target) {
      const body = toOpenAIChatBody(req, model(target), spec.body(target.provider));
      if (req.reasoning !== undefined && reasoningStyle(target) === 'effort') withOpenAIReasoning(body, req);
      return request(target, 'chat/completions', withoutDropped(withPassed(body, req, target, 'openai'), target));
    },
    parseChatResponse: (body, target) => parseOpenAIChatResponse(body, target.model),
    createStreamDecoder: (target) => new OpenAIStreamDecoder(target.model),
    buildEmbeddingsRequest: (req: EmbeddingsRequest, target) => request(target, 'embeddings', toOpenAIEmbeddingsBody(req, model(target))),
    parseEmbeddingsResponse: (body, target) => parseOpenAIEmbeddingsResponse(body, target.model),
    classifyError: classifyOpenAIError,
  };
}

const base = baseUrlParts(OPENAI_BASE_URL);

/** api.openai.com: Bearer key; `max_completion_tokens`, which every current OpenAI model accepts. */
export const openaiAdapter: ProviderAdapter = createOpenAIFamilyAdapter({
  type: 'openai',
  endpoint(target, op) {
    const b = base(target.provider);
    return { origin: b.origin, path: `${b.basePath}/${op}` };
  },
  auth: (target) => ({ authorization: `Bearer ${target.keyValue}` }),
  body: openAIBodyOptions('max_completion_tokens'),
});
