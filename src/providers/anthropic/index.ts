/**
 * Anthropic Messages API: key in `x-api-key`, `anthropic-version` header
 * (`options.anthropic_version`, default below). Token counting through
 * `/v1/messages/count_tokens`; no embeddings API.
 */
import { baseUrlParts, jsonHeaders, perSettings } from '../../wire/http.js';
import { classifyAnthropicError } from '../../wire/anthropic/errors.js';
import { toAnthropicBody, toAnthropicCountTokensBody } from '../../wire/anthropic/request.js';
import { parseAnthropicResponse, parseAnthropicTokenCount } from '../../wire/anthropic/response.js';
import { AnthropicStreamDecoder } from '../../wire/anthropic/stream-decoder.js';
import type { AttemptTarget, HttpRequestSpec, ProviderAdapter } from '../types.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';

const base = baseUrlParts(ANTHROPIC_BASE_URL);

const endpoint = perSettings((s) => {
  const b = base(s);
  const version = typeof s.options.anthropic_version === 'string' ? s.options.anthropic_version : ANTHROPIC_VERSION;
  // Accept base URLs given with or without the /v1 segment.
  return { origin: b.origin, path: b.basePath.endsWith('/v1') ? `${b.basePath}/messages` : `${b.basePath}/v1/messages`, version };
});

function post(target: AttemptTarget, suffix: string, body: Record<string, unknown>): HttpRequestSpec {
  const e = endpoint(target.provider);
  return {
    origin: e.origin,
    path: e.path + suffix,
    method: 'POST',
    headers: jsonHeaders(target.provider.headers, { 'x-api-key': target.keyValue, 'anthropic-version': e.version }),
    body: JSON.stringify(body),
  };
}

export const anthropicAdapter: ProviderAdapter = {
  type: 'anthropic',
  chatDialect: 'anthropic',
  buildChatRequest: (req, target) => post(target, '', toAnthropicBody(req, target.model)),
  parseChatResponse: (body, target) => parseAnthropicResponse(body, target.model),
  buildCountTokensRequest: (req, target) => post(target, '/count_tokens', toAnthropicCountTokensBody(req, target.model)),
  parseCountTokensResponse: (body) => parseAnthropicTokenCount(body),
  createStreamDecoder: (target) => new AnthropicStreamDecoder(target.model),
  classifyError: classifyAnthropicError,
};
