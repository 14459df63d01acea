/**
 * Anthropic Messages API: key in `x-api-key`, `anthropic-version` header
 * (`options.anthropic_version`, default below). Token counting through
 * `/v1/messages/count_tokens`; no embeddings API. API version 2026-10-21 and later refuse
 * the sampling parameters (`temperature`, `top_p`, `top_k`) with a 400, whatever their
 * value: with such a version they are left out. `options.drop_params` leaves out more.
 */
import { baseUrlParts, getHeaders, jsonHeaders, perSettings } from '../../wire/http.js';
import { classifyAnthropicError } from '../../wire/anthropic/errors.js';
import { toAnthropicBody, toAnthropicCountTokensBody, withAnthropicReasoning } from '../../wire/anthropic/request.js';
import { parseAnthropicResponse, parseAnthropicTokenCount } from '../../wire/anthropic/response.js';
import { parseModelList } from '../../wire/openai/response.js';
import { AnthropicStreamDecoder } from '../../wire/anthropic/stream-decoder.js';
import type { AttemptTarget, HttpRequestSpec, ProviderAdapter } from '../types.js';
import { withoutDropped } from '../drop-params.js';
import { withPassed } from '../pass-params.js';
import { reasoningStyle } from '../reasoning.js';
import { checkStopText } from '../stop-sequences.js';
import { ANTHROPIC_TOOL_NAMES } from '../tool-names.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';

/** The first API version that refuses sampling parameters. */
const NO_SAMPLING_SINCE = '2026-10-21';

const base = baseUrlParts(ANTHROPIC_BASE_URL);

const endpoint = perSettings((s) => {
  const b = base(s);
  const version = typeof s.options.anthropic_version === 'string' ? s.options.anthropic_version : ANTHROPIC_VERSION;
  // Accept base URLs given with or without the /v1 segment.
  return { origin: b.origin, path: b.basePath.endsWith('/v1') ? `${b.basePath}/messages` : `${b.basePath}/v1/messages`, version, sampling: version < NO_SAMPLING_SINCE };
});

/** A messages body as the target's API version and drop_params take it. */
function chatBody(body: Record<string, unknown>, target: AttemptTarget): Record<string, unknown> {
  if (!endpoint(target.provider).sampling) {
    delete body.temperature;
    delete body.top_p;
    delete body.top_k;
  }
  return withoutDropped(body, target);
}

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
  toolNames: ANTHROPIC_TOOL_NAMES,
  buildChatRequest(req, target) {
    checkStopText(req, target, 'Anthropic', 'stop_sequences');
    const body = toAnthropicBody(req, target.model);
    const style = req.reasoning === undefined ? undefined : reasoningStyle(target);
    if (style === 'budget' || style === 'adaptive') withAnthropicReasoning(body, req, style);
    return post(target, '', chatBody(withPassed(body, req, target, 'anthropic'), target));
  },
  parseChatResponse: (body, target) => parseAnthropicResponse(body, target.model),
  buildCountTokensRequest: (req, target) => post(target, '/count_tokens', toAnthropicCountTokensBody(req, target.model)),
  parseCountTokensResponse: (body) => parseAnthropicTokenCount(body),
  buildModelsRequest(target) {
    const e = endpoint(target.provider);
    // One page of the most Anthropic gives (1000): far more models than it has.
    return { origin: e.origin, path: `${e.path.slice(0, -'/messages'.length)}/models?limit=1000`, method: 'GET', headers: getHeaders(target.provider.headers, { 'x-api-key': target.keyValue, 'anthropic-version': e.version }) };
  },
  // Anthropic lists its models in OpenAI's shape (`data[].id`), paged.
  parseModelsResponse: (body) => parseModelList(body, 'anthropic'),
  createStreamDecoder: (target) => new AnthropicStreamDecoder(target.model),
  classifyError: classifyAnthropicError,
};
