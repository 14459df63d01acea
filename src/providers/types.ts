/**
 * The contract between dispatch and a provider adapter. Adapters are data and
 * transforms: they build the upstream HTTP request, decode its response and stream,
 * and classify its errors. They never do I/O, timers, retries or accounting —
 * dispatch does, the same way for every provider.
 */
import type { ChatRequest, ChatResponse, Dialect, EmbeddingsRequest, EmbeddingsResponse, StreamEvent, TokenCount } from '../canonical.js';
import type { FallbackReason } from '../errors.js';
import type { ToolNameRule } from './tool-names.js';

/** Provider settings an adapter needs, resolved from config (secrets already read from env). */
export interface ProviderSettings {
  /** Provider id from config (`openai`, `groq`, ...). */
  id: string;
  type: string;
  /** Base URL without trailing slash, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Extra headers sent upstream on every request. */
  headers: Record<string, string>;
  /** Type-specific options (azure `api_version` and `deployments`, openai-compatible `auth`, mock behaviour, ...). */
  options: Record<string, unknown>;
}

/** One attempt's target as dispatch sees it. */
export interface AttemptTarget {
  provider: ProviderSettings;
  /** Model name as the provider knows it. */
  model: string;
  /** Key name (for records) and secret value (never logged). Empty for keyless providers. */
  keyName: string;
  keyValue: string;
}

export interface HttpRequestSpec {
  /** `https://host:port` */
  origin: string;
  /** Path plus query, e.g. `/v1/chat/completions`. */
  path: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
}

/** Turns a provider's raw stream bytes (already decoded to text, arbitrary chunking) into canonical events. */
export interface StreamDecoder {
  /** Feed the next piece of text; returns the events it completed. */
  push(text: string): StreamEvent[];
  /**
   * The upstream ended. Returns any final events. If the stream ended without the
   * provider's terminator, the last event returned is `{type:'error'}` — a truncated
   * stream must never look like a complete one.
   */
  end(): StreamEvent[];
  /**
   * Characters of text held for an event not yet complete (an SSE line that has not
   * ended). Dispatch fails a stream whose held event grows past its cap.
   */
  readonly pending: number;
}

/** What an upstream error means for dispatch. */
export interface UpstreamErrorInfo {
  /** `client_error` is returned to the client as is; every other class may move to the next target. */
  kind: FallbackReason | 'client_error';
  /** Status to use if this error is returned to the client. */
  status: number;
  message: string;
  /** From Retry-After / retry-after-ms / provider-specific reset headers. */
  retryAfterMs?: number;
  /** The provider's own error type/code, for the audit record. */
  providerCode?: string;
}

export interface ProviderAdapter {
  readonly type: string;
  /**
   * The client dialect this provider's chat API speaks, when it speaks one. A whole
   * (non-streamed) chat answer, once parsed and validated, then goes to a client of that
   * dialect as the upstream sent it: nothing is lost in translation and nothing is
   * serialized again.
   */
  readonly chatDialect?: Dialect;
  /** False when the target's whole answers are not in `chatDialect` after all (another API of the provider's); default true. */
  passesAnswer?(target: AttemptTarget): boolean;
  /**
   * The function names the provider's API takes; dispatch sends a request whose tool names
   * it would refuse with them rewritten, and shows the client its own (providers/tool-names).
   * Omitted when it takes any.
   */
  readonly toolNames?: ToolNameRule;
  buildChatRequest(req: ChatRequest, target: AttemptTarget): HttpRequestSpec;
  parseChatResponse(body: unknown, target: AttemptTarget): ChatResponse;
  createStreamDecoder(target: AttemptTarget): StreamDecoder;
  /** Omitted when the provider has no embeddings API. */
  buildEmbeddingsRequest?(req: EmbeddingsRequest, target: AttemptTarget): HttpRequestSpec;
  parseEmbeddingsResponse?(body: unknown, target: AttemptTarget): EmbeddingsResponse;
  /**
   * The most inputs one embeddings call takes (Gemini's batchEmbedContents: 100), when the
   * provider's API has a limit below the 2,048 a client may send; dispatch sends a larger
   * request in parts. `options.max_embedding_inputs` overrides it.
   */
  readonly embeddingInputsPerCall?: number;
  /**
   * Counting a chat request's input tokens with the provider's own tokenizer (Anthropic's
   * count_tokens, Gemini's countTokens, OpenAI's responses/input_tokens). Omitted when the provider has no such API: the
   * gateway then answers an estimate.
   */
  buildCountTokensRequest?(req: ChatRequest, target: AttemptTarget): HttpRequestSpec;
  /** False when this provider's settings turn its counting off (`options.count_tokens`); default true. */
  countsTokens?(provider: ProviderSettings): boolean;
  parseCountTokensResponse?(body: unknown, target: AttemptTarget): TokenCount;
  /**
   * The provider's own list of model ids (`GET …/models`), for `GET /v1/models` where the
   * config allows models by glob. Omitted when the provider has no such list.
   */
  buildModelsRequest?(target: AttemptTarget): HttpRequestSpec;
  parseModelsResponse?(body: unknown, target: AttemptTarget): string[];
  /** Classify a non-2xx answer (body is the raw text, possibly truncated). */
  classifyError(status: number, headers: Record<string, string | string[] | undefined>, body: string): UpstreamErrorInfo;
}
