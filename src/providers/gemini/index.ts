/**
 * Google AI Gemini API (v1beta): `models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:countTokens` and `:batchEmbedContents`; key in
 * `x-goog-api-key`.
 */
import { baseUrlParts, getHeaders, jsonHeaders, perSettings } from '../../wire/http.js';
import { parseGeminiEmbeddingsResponse, toGeminiEmbeddingsBody } from '../../wire/gemini/embeddings.js';
import { classifyGeminiError } from '../../wire/gemini/errors.js';
import { toGeminiBody, withGeminiReasoning } from '../../wire/gemini/request.js';
import { parseGeminiModelList, parseGeminiResponse, parseGeminiTokenCount } from '../../wire/gemini/response.js';
import { GeminiStreamDecoder } from '../../wire/gemini/stream-decoder.js';
import { reasoningStyle } from '../reasoning.js';
import { checkStopCount } from '../stop-sequences.js';
import { GEMINI_TOOL_NAMES } from '../tool-names.js';
import type { AttemptTarget, HttpRequestSpec, ProviderAdapter } from '../types.js';

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

const base = baseUrlParts(GEMINI_BASE_URL);

/** Gemini's generationConfig takes at most 5 stopSequences. */
const MAX_STOP = 5;

/** `/v1beta/models` unless the configured base URL already names an API version. */
const modelsPath = perSettings((s) => {
  const b = base(s);
  return { origin: b.origin, prefix: /\/v1(alpha|beta)?$/.test(b.basePath) ? `${b.basePath}/models/` : `${b.basePath}/v1beta/models/` };
});

/** Gemini model names may arrive as `models/gemini-2.5-pro`. */
function modelName(model: string): string {
  return model.startsWith('models/') ? model.slice(7) : model;
}

function post(target: AttemptTarget, method: string, body: Record<string, unknown>): HttpRequestSpec {
  const m = modelsPath(target.provider);
  return {
    origin: m.origin,
    path: `${m.prefix}${encodeURIComponent(modelName(target.model))}:${method}`,
    method: 'POST',
    headers: jsonHeaders(target.provider.headers, { 'x-goog-api-key': target.keyValue }),
    body: JSON.stringify(body),
  };
}

export const geminiAdapter: ProviderAdapter = {
  type: 'gemini',
  toolNames: GEMINI_TOOL_NAMES,
  buildChatRequest(req, target) {
    checkStopCount(req, target, 'Gemini', MAX_STOP);
    const body = toGeminiBody(req, modelName(target.model));
    const style = req.reasoning === undefined ? undefined : reasoningStyle(target);
    if (style === 'budget' || style === 'level') withGeminiReasoning(body, req, style);
    return post(target, req.stream ? 'streamGenerateContent?alt=sse' : 'generateContent', body);
  },
  parseChatResponse: (body, target) => parseGeminiResponse(body, target.model),
  buildCountTokensRequest(req, target) {
    const model = modelName(target.model);
    return post(target, 'countTokens', { generateContentRequest: { model: `models/${model}`, ...toGeminiBody(req, model) } });
  },
  parseCountTokensResponse: (body) => parseGeminiTokenCount(body),
  buildModelsRequest(target) {
    const m = modelsPath(target.provider);
    return { origin: m.origin, path: `${m.prefix.slice(0, -1)}?pageSize=1000`, method: 'GET', headers: getHeaders(target.provider.headers, { 'x-goog-api-key': target.keyValue }) };
  },
  parseModelsResponse: (body) => parseGeminiModelList(body),
  createStreamDecoder: (target) => new GeminiStreamDecoder(target.model),
  buildEmbeddingsRequest: (req, target) => post(target, 'batchEmbedContents', toGeminiEmbeddingsBody(req, modelName(target.model))),
  parseEmbeddingsResponse: (body, target) => parseGeminiEmbeddingsResponse(body, target.model),
  // "at most 100 requests can be in one batch"
  embeddingInputsPerCall: 100,
  classifyError: classifyGeminiError,
};
