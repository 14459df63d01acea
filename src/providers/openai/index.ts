/**
 * OpenAI adapter, and the factory every OpenAI-format provider (Azure, OpenAI-compatible,
 * mock) builds on: they differ only in URL, auth and a couple of body options.
 */
import type { ChatRequest, EmbeddingsRequest } from '../../canonical.js';
import { baseUrlParts, getHeaders, jsonHeaders, perSettings } from '../../wire/http.js';
import { toOpenAIEmbeddingsBody, parseOpenAIEmbeddingsResponse } from '../../wire/openai/embeddings.js';
import { classifyOpenAIError } from '../../wire/openai/errors.js';
import { toOpenAIChatBody, withOpenAIReasoning, type OpenAIRequestOptions } from '../../wire/openai/request.js';
import { parseModelList, parseOpenAIChatResponse } from '../../wire/openai/response.js';
import { OpenAIStreamDecoder } from '../../wire/openai/stream-decoder.js';
import { toResponsesBody, toResponsesCountBody } from '../../wire/responses/upstream-request.js';
import { ResponsesStreamDecoder, parseResponsesResponse, parseResponsesTokenCount } from '../../wire/responses/upstream-response.js';
import type { AttemptTarget, HttpRequestSpec, ProviderAdapter, ProviderSettings } from '../types.js';
import { drops, withoutDropped } from '../drop-params.js';
import { withPassed } from '../pass-params.js';
import { reasoningStyle } from '../reasoning.js';
import { perModel } from '../per-model.js';
import { checkStopCount } from '../stop-sequences.js';
import { OPENAI_TOOL_NAMES, type ToolNameRule } from '../tool-names.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export type OpenAIOperation = 'chat/completions' | 'responses' | 'responses/input_tokens' | 'embeddings' | 'models';

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
  /**
   * Whether a provider without `options.count_tokens` counts input tokens with OpenAI's
   * `POST /responses/input_tokens`; leave out for a type that never does.
   */
  countsTokens?: boolean;
  /** Whether the provider lists its models at `GET …/models` (OpenAI's list shape). */
  listsModels?: boolean;
  /** The function names it takes (ProviderAdapter.toolNames), when it refuses some. */
  toolNames?: ToolNameRule;
  /** The most stop sequences its chat completions take, where known, and the API's name for the refusal. */
  maxStop?: { limit: number; api: string };
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

/**
 * `options.api`: `responses` for the models served only by OpenAI's Responses API (the
 * codex models answer chat completions with a 404), as one value or a map from model globs;
 * `chat` (chat completions) otherwise.
 */
const apiOf = perModel('api', (v) => (v === 'responses' || v === 'chat' ? v : undefined));

/**
 * `options.tool_loop` (openai-compatible): `mistral` for servers that hold tool loops to
 * Mistral's rules, as one value or a map from model globs (OpenRouter serving Mistral's
 * models among others).
 */
const toolLoopOf = perModel('tool_loop', (v) => (v === 'mistral' ? v : undefined));

/** The body options for the target: the provider's, with its model's tool loop rules. */
function chatOptions(spec: OpenAIFamilySpec, target: AttemptTarget): OpenAIRequestOptions {
  const opts = spec.body(target.provider);
  const toolLoop = toolLoopOf(target.provider, target.model);
  return toolLoop === undefined ? opts : { ...opts, toolLoop };
}

function viaResponses(target: AttemptTarget): boolean {
  return apiOf(target.provider, target.model) === 'responses';
}

/**
 * The reasoning effort a Responses API request asks for: the client's own (an OpenAI
 * client's `reasoning_effort` or `reasoning.effort`), else one translated from another
 * dialect where `options.reasoning` says `effort`.
 */
function responsesEffort(req: ChatRequest, target: AttemptTarget): string | undefined {
  if (req.extras?.dialect === 'openai') {
    const own = req.extras.fields.reasoning_effort;
    if (typeof own === 'string') return own;
  }
  return req.reasoning !== undefined && reasoningStyle(target) === 'effort' ? req.reasoning.effort : undefined;
}

/**
 * `options.reasoning_summary`: the summary a model served through the Responses API is asked
 * for when the client shows reasoning but cannot ask for summaries in its dialect
 * (ChatRequest.showsReasoning). OpenAI gives them only to verified organizations, and
 * refuses the request otherwise, so it is the operator's to turn on.
 */
const summaryOf = perModel('reasoning_summary', (v) => (v === 'auto' || v === 'concise' || v === 'detailed' ? v : undefined));

/** `req` with the summary the target's provider asks for it, when it reaches the model with an effort. */
function withSummary(req: ChatRequest, target: AttemptTarget, effort: string | undefined): ChatRequest {
  if (effort === undefined || req.showsReasoning !== true || req.reasoningSummary !== undefined || target.provider.options.reasoning_summary === undefined) return req;
  const summary = summaryOf(target.provider, target.model);
  return summary === undefined ? req : { ...req, reasoningSummary: summary };
}

export function createOpenAIFamilyAdapter(spec: OpenAIFamilySpec): ProviderAdapter {
  const request = (target: AttemptTarget, op: OpenAIOperation, body: Record<string, unknown>): HttpRequestSpec => {
    const { origin, path } = spec.endpoint(target, op);
    return { origin, path, method: 'POST', headers: jsonHeaders(target.provider.headers, spec.auth(target)), body: JSON.stringify(body) };
  };
  const model = spec.model ?? ((target: AttemptTarget) => target.model);
  const adapter: ProviderAdapter = {
    type: spec.type,
    chatDialect: 'openai',
    toolNames: spec.toolNames,
    buildChatRequest(req: ChatRequest, target) {
      if (viaResponses(target)) {
        // Stop sequences, which that API lacks, are refused unless drop_params drops them.
        const sent = req.stop?.length && drops(target, 'stop') ? { ...req, stop: undefined } : req;
        const effort = responsesEffort(req, target);
        const body = toResponsesBody(withSummary(sent, target, effort), model(target), effort, target.model);
        return request(target, 'responses', withoutDropped(withPassed(body, req, target, 'openai'), target));
      }
      if (spec.maxStop !== undefined) checkStopCount(req, target, spec.maxStop.api, spec.maxStop.limit, 'stop');
      const body = toOpenAIChatBody(req, model(target), chatOptions(spec, target));
      if (req.reasoning !== undefined && reasoningStyle(target) === 'effort') withOpenAIReasoning(body, req);
      return request(target, 'chat/completions', withoutDropped(withPassed(body, req, target, 'openai'), target));
    },
    parseChatResponse: (body, target) => (viaResponses(target) ? parseResponsesResponse(body, target.model) : parseOpenAIChatResponse(body, target.model)),
    createStreamDecoder: (target) => (viaResponses(target) ? new ResponsesStreamDecoder(target.model) : new OpenAIStreamDecoder(target.model)),
    // A Responses API answer is not a chat completion: it goes to the client translated.
    passesAnswer: (target) => !viaResponses(target),
    buildEmbeddingsRequest: (req: EmbeddingsRequest, target) => request(target, 'embeddings', toOpenAIEmbeddingsBody(req, model(target))),
    parseEmbeddingsResponse: (body, target) => parseOpenAIEmbeddingsResponse(body, target.model),
    classifyError: classifyOpenAIError,
  };
  const countsByDefault = spec.countsTokens;
  if (countsByDefault !== undefined) {
    adapter.countsTokens = (s) => (typeof s.options.count_tokens === 'boolean' ? s.options.count_tokens : countsByDefault);
    // Every model is counted the Responses API's way, whichever API serves it: the count is the same input.
    adapter.buildCountTokensRequest = (req, target) => request(target, 'responses/input_tokens', toResponsesCountBody(req, model(target), responsesEffort(req, target), target.model));
    adapter.parseCountTokensResponse = (body) => parseResponsesTokenCount(body);
  }
  if (spec.listsModels === true) {
    adapter.buildModelsRequest = (target) => {
      const { origin, path } = spec.endpoint(target, 'models');
      return { origin, path, method: 'GET', headers: getHeaders(target.provider.headers, spec.auth(target)) };
    };
    adapter.parseModelsResponse = (body) => parseModelList(body);
  }
  return adapter;
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
  countsTokens: true,
  listsModels: true,
  toolNames: OPENAI_TOOL_NAMES,
  maxStop: { limit: 4, api: "OpenAI's chat completions API" },
});
