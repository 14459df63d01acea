/**
 * The client dialects as one table, so the server picks codecs by dialect without
 * branching: intake parse, response render and stream encoder.
 * @example
 * const d = CHAT_DIALECTS[dialect];
 * const { request, clientOptions } = d.parseChatRequest(body);
 * reply.send(d.renderChatResponse(res, { created }));
 */
import type { ChatResponse, Dialect } from '../canonical.js';
import { parseAnthropicMessagesRequest } from './anthropic/intake.js';
import { renderAnthropicResponse } from './anthropic/response.js';
import { createAnthropicStreamEncoder } from './anthropic/stream-encoder.js';
import type { ParsedChatRequest, RenderOptions, StreamEncoder, StreamEncoderOptions } from './client.js';
import { parseOpenAIChatRequest } from './openai/intake.js';
import { renderOpenAIChatResponse } from './openai/response.js';
import { createOpenAIStreamEncoder } from './openai/stream-encoder.js';
import { parseResponsesRequest } from './responses/intake.js';
import { renderResponsesResponse } from './responses/response.js';
import { createResponsesStreamEncoder } from './responses/stream-encoder.js';

export interface ChatDialect {
  parseChatRequest(body: unknown): ParsedChatRequest;
  renderChatResponse(res: ChatResponse, opts: RenderOptions): Record<string, unknown>;
  createStreamEncoder(opts: StreamEncoderOptions): StreamEncoder;
}

export const CHAT_DIALECTS: Readonly<Record<Dialect, ChatDialect>> = Object.freeze({
  openai: { parseChatRequest: parseOpenAIChatRequest, renderChatResponse: renderOpenAIChatResponse, createStreamEncoder: createOpenAIStreamEncoder },
  anthropic: { parseChatRequest: parseAnthropicMessagesRequest, renderChatResponse: renderAnthropicResponse, createStreamEncoder: createAnthropicStreamEncoder },
});

/** OpenAI's Responses API: OpenAI's dialect for errors, its own shape for requests, answers and streams. */
export const RESPONSES_API: ChatDialect = Object.freeze({
  parseChatRequest: parseResponsesRequest, renderChatResponse: renderResponsesResponse, createStreamEncoder: createResponsesStreamEncoder,
});

export type { ChatClientOptions, EmbeddingsClientOptions, ParsedChatRequest, ParsedEmbeddingsRequest, RenderOptions, StreamEncoder, StreamEncoderOptions } from './client.js';
export { parseOpenAIEmbeddingsRequest, renderOpenAIEmbeddingsResponse } from './openai/embeddings.js';
export { parseAnthropicCountTokensRequest } from './anthropic/intake.js';
