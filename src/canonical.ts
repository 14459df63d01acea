/**
 * The canonical request/response model every client dialect parses into and every
 * provider adapter translates from. Client dialects (OpenAI chat, Anthropic messages)
 * and provider wire formats (OpenAI, Anthropic, Gemini, ...) only ever meet here.
 */

/**
 * The client-facing API a request arrived on (also the `endpoint` CEL variable).
 * `count_tokens` is Anthropic's `POST /v1/messages/count_tokens`; `responses` is OpenAI's
 * Responses API (`POST /v1/responses`), a chat request in another shape.
 */
export type Endpoint = 'chat' | 'embeddings' | 'messages' | 'count_tokens' | 'responses';

/** The wire dialect a client speaks; errors and responses are rendered in it. */
export type Dialect = 'openai' | 'anthropic';

/**
 * A prompt-cache breakpoint (Anthropic's `cache_control`): the prompt up to and including
 * the part that carries it may be cached. Providers with explicit caching (Anthropic)
 * get it where the client put it; the others cache on their own and ignore it.
 */
export interface CacheControl {
  type: 'ephemeral';
  /** e.g. `5m` or `1h`; the provider checks it. */
  ttl?: string;
}

export type ContentPart =
  | { type: 'text'; text: string; cacheControl?: CacheControl }
  /** Inline image; `data` is base64 without the `data:` prefix. */
  | { type: 'image'; mediaType: string; data: string; cacheControl?: CacheControl }
  /** Image by URL (http(s)); providers that cannot fetch URLs reject it as a client error. */
  | { type: 'image_url'; url: string; cacheControl?: CacheControl }
  /**
   * A file given inline, such as a PDF; `data` is base64. `anthropic` is the client's
   * Anthropic `document` block, which an Anthropic provider gets unchanged (title,
   * citations and context included).
   */
  | { type: 'document'; mediaType: string; data: string; filename?: string; cacheControl?: CacheControl; anthropic?: Record<string, unknown> }
  /**
   * An Anthropic content block with no counterpart here (a `document`, a `search_result`,
   * a server tool's use or result, ...), exactly as the client sent it. An Anthropic
   * provider gets it unchanged; any other provider refuses it as the client's error, or
   * leaves it out of an assistant turn (history it could not read anyway).
   */
  | { type: 'anthropic_block'; block: Record<string, unknown> };

/** The parts described field by field (every part but an opaque Anthropic block). */
export type KnownPart = Exclude<ContentPart, { type: 'anthropic_block' }>;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as the model produced it. */
  arguments: string;
  /** Set on a tool call in the request's history (see CacheControl). */
  cacheControl?: CacheControl;
  /** Where its arguments are in the client's body, when not `messages[<index here>].tool_calls[<k>].function.arguments` (see ChatMessage). */
  from?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the parameters object. */
  parameters: Record<string, unknown>;
  /**
   * Calls must match `parameters` exactly (OpenAI `function.strict`, Anthropic strict tool
   * use). Gemini has no such switch and leaves it out.
   */
  strict?: boolean;
  cacheControl?: CacheControl;
  /**
   * An OpenAI custom tool, which the model calls with free text: `parameters` is its
   * function form, one string `input`, and `description` tells its grammar (see
   * wire/freeform). Providers see that function; one served through the Responses API
   * gets the custom tool itself: the client's own description, and its input format in
   * the Responses form (`{type: "text"}` or `{type: "grammar", syntax, definition}`).
   */
  freeform?: { description?: string; format: Record<string, unknown> };
  /**
   * The Responses API namespace the client declared the tool in (Codex's
   * `multi_agent_v1`) and its name there: `name` is then `<namespace>__<its name>` (with a
   * digest when that is long), one name every provider takes.
   */
  namespaced?: { namespace: string; name: string };
  /**
   * One of OpenAI's built-in tools the client runs (the Responses API's `apply_patch`,
   * `shell`): `name` is the same, and `description` and `parameters` are its function form,
   * whose arguments are a call's operation or action (see wire/responses/builtin). Providers
   * see that function; one served through the Responses API gets the built-in tool itself.
   */
  builtin?: 'apply_patch' | 'shell';
  /**
   * Fields of an Anthropic client's tool that only Anthropic reads (`defer_loading` for
   * tool search, `input_examples`, `eager_input_streaming`, ...): an Anthropic provider
   * gets them as they came; to others the tool goes up without them (a deferred tool,
   * loaded). With a `type`, the tool is one Anthropic defines and the client runs (bash,
   * the text editor, memory: wire/anthropic/defined-tools): an Anthropic provider gets
   * these fields alone, the tool as declared, and others the function form.
   */
  anthropic?: Record<string, unknown>;
  /**
   * OpenAI's tool search (a Responses API client's `tool_search` tool). `deferred`: the
   * client declared the tool `defer_loading: true`, for the model to load when it searches.
   * `found`: the tool is not among the client's tools but came back in a tool search's
   * output in the history (a search the client ran returns the tools it found). A model
   * that searches (wire/responses/upstream-request `searches`), asked to, gets the first
   * deferred and the second only in that output, as the client sent them; other models
   * get both loaded.
   */
  search?: 'deferred' | 'found';
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * What a model reasoned before answering. Anthropic's extended thinking comes as a thinking
 * block's text with the signature that lets it be sent back in a later turn, or as a
 * redacted block's opaque data; only an Anthropic provider takes those back. The reasoning
 * text of an OpenAI-format server (`reasoning_content`: DeepSeek, Kimi, vLLM, ...) and
 * Gemini's thought summaries are thinking blocks with an empty signature: such a block
 * never goes to Anthropic, which would refuse it, and goes back to OpenAI-format servers
 * that want it (OpenAIRequestOptions.sendReasoning).
 */
export type ThinkingBlock =
  /** `summary`: a summary of reasoning the provider keeps to itself (the Responses API's reasoning summaries), not the reasoning. */
  | { type: 'thinking'; thinking: string; signature: string; summary?: true }
  | { type: 'redacted_thinking'; data: string }
  /**
   * An OpenAI model's reasoning item from the Responses API, encrypted (`encrypted_content`)
   * and with its item id: only a model served through that API can read it. It reaches
   * only a Responses API client that asked for it (ChatRequest.encryptedReasoning), which
   * replays it, and goes back only to such a model, which then goes on from its reasoning.
   * A client replaying it without its id (the Vercel AI SDK with `store: false`, as
   * opencode runs it) sends it back without one, as the model takes it.
   */
  | { type: 'encrypted_reasoning'; id?: string; data: string }
  /**
   * OpenRouter's `reasoning_details` of a turn, as it sent them: whichever model it routed
   * to, it wants them back unmodified in the tool loop. Only an OpenAI client sees them,
   * and only an OpenAI-format provider told to send reasoning back gets them.
   */
  | { type: 'reasoning_details'; details: unknown[] };

/**
 * `from`: where the message's content is in the client's body, when that is not
 * `messages[<its index here>].content` (an OpenAI client's system messages are lifted out,
 * an Anthropic tool result becomes a message of its own, the Responses API has `input`):
 * an error about the message names the client's place.
 */
export type ChatMessage =
  | { role: 'system'; content: ContentPart[]; from?: string }
  | { role: 'user'; content: ContentPart[]; from?: string }
  /** `thinking` blocks come first in the turn, as Anthropic requires. */
  /**
   * `hosted`: the turn's items of a tool OpenAI ran for it, or had the client run, that only
   * OpenAI reads back (tool search's `tool_search_call` and `tool_search_output`), as the
   * client replayed them. They come after the turn's reasoning and before what it said (a
   * turn's items in another order make two turns). A model that searches gets them back
   * there; other models leave them out, and get the tools a search found among the
   * request's tools (ToolDefinition.search).
   */
  | { role: 'assistant'; content: ContentPart[]; toolCalls?: ToolCall[]; thinking?: ThinkingBlock[]; hosted?: Record<string, unknown>[]; from?: string }
  /** The result of one tool call; `isError` maps to Anthropic's `is_error`, `cacheControl` is the result block's. */
  | { role: 'tool'; toolCallId: string; content: ContentPart[]; isError?: boolean; cacheControl?: CacheControl; from?: string };

/**
 * What the answer's text must be. `json_schema` is OpenAI's structured output, Anthropic's
 * JSON outputs (`output_config.format`) and Gemini's `responseJsonSchema`; `json_object`
 * (any JSON, no schema) has no Anthropic counterpart and is not sent there.
 */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean };

/** How hard a model should reason, from OpenAI's `reasoning_effort` scale (see ReasoningSetting). */
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

/**
 * The client asked the model to reason (OpenAI `reasoning_effort`, the Responses API's
 * `reasoning.effort`, Anthropic `thinking`), as one setting: an effort, and the token
 * budget when the client gave one. Only a provider of another dialect that
 * `options.reasoning` says how to ask gets it translated; a provider of the client's own
 * dialect gets the client's field as sent (ChatRequest.extras).
 */
export interface ReasoningSetting {
  effort: ReasoningEffort;
  budgetTokens?: number;
}

export interface ChatRequest {
  kind: 'chat';
  /** Model as the provider must see it (after routing); the requested model lives in the routing context. */
  model: string;
  /** System prompt(s) in order. Anthropic's top-level `system` and OpenAI system/developer messages both land here. */
  system: ContentPart[];
  /** Conversation without system messages. */
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** Anthropic server tools (web search, web fetch, code execution, ...) as sent: only an Anthropic provider runs them. */
  serverTools?: Record<string, unknown>[];
  /**
   * OpenAI's web search and tool search tools as a Responses API client declared them
   * (Codex offers both): a model served through the Responses API gets web search, and tool
   * search when it has it; other models answer without a search, with every deferred tool
   * loaded.
   */
  hostedTools?: Record<string, unknown>[];
  toolChoice?: ToolChoice;
  /**
   * False: at most one tool call per turn (OpenAI `parallel_tool_calls: false`, Anthropic
   * `tool_choice.disable_parallel_tool_use: true`). Sent only with tools; Gemini has no such switch.
   */
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  stream: boolean;
  responseFormat?: ResponseFormat;
  /** End-user id for the provider's abuse monitoring (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  /** The client asked the model to reason (see ReasoningSetting). */
  reasoning?: ReasoningSetting;
  /**
   * A Responses API client's `reasoning.summary` (`auto`, `concise`, `detailed`): a model
   * served through the Responses API is asked for summaries of its reasoning, which reach
   * the client as reasoning (a Responses client: as summary parts, as Codex shows them).
   */
  reasoningSummary?: string;
  /**
   * A Responses API client's `reasoning.context` (Codex sends `all_turns` for its newest
   * models): which turns' reasoning the model keeps in view. Only a model served through
   * the Responses API has the setting; other providers leave it out.
   */
  reasoningContext?: string;
  /**
   * The client takes an OpenAI model's encrypted reasoning to replay it in later turns: a
   * model served through the Responses API is asked for it. `true`: the client asked (a
   * Responses API client's `include: ["reasoning.encrypted_content"]`, as Codex sends).
   * `reasoning`: the client carries it if the model reasons (an Anthropic client with
   * thinking on, in a thinking block's signature), so it is asked for only when the request
   * reaches the model with a reasoning effort: a model that does not reason refuses the ask
   * ("Encrypted content is not supported with this model").
   */
  encryptedReasoning?: true | 'reasoning';
  /**
   * The client shows the model's reasoning as text and asked it to reason without a word on
   * summaries: an Anthropic client with thinking on (not `display: "omitted"`), an OpenAI
   * chat client with a reasoning effort. A model served through the Responses API shows only
   * summaries, so where its provider's `options.reasoning_summary` says so it is asked for
   * one, which reaches the client as thinking (with the encrypted reasoning as its signature)
   * or as `reasoning_content`. A Responses API client asks for summaries itself
   * (reasoningSummary).
   */
  showsReasoning?: true;
  /**
   * Fields of the client's dialect with no canonical counterpart (OpenAI `seed`,
   * Anthropic `top_k`, ...), as sent: a provider of that dialect gets them, others
   * cannot take them and do not. None changes the shape of the answer; the one that
   * would change what the model can do elsewhere (Anthropic `mcp_servers`) is refused by
   * other providers instead.
   */
  extras?: DialectExtras;
  /**
   * The client's whole body, for the fields a provider's `options.pass_params` names (a
   * server's own parameters the gateway does not know, such as vLLM's
   * `chat_template_kwargs`): a provider of the client's dialect gets those as sent.
   */
  clientBody?: DialectExtras;
}

/** See ChatRequest.extras. */
export interface DialectExtras {
  dialect: Dialect;
  fields: Readonly<Record<string, unknown>>;
}

export interface EmbeddingsRequest {
  kind: 'embeddings';
  model: string;
  input: string[];
  dimensions?: number;
  user?: string;
}

export type CanonicalRequest = ChatRequest | EmbeddingsRequest;

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (a subset of inputTokens). */
  cachedInputTokens?: number;
  /**
   * Input tokens written to the provider's prompt cache, which cost more than plain input
   * (a subset of inputTokens; Anthropic's `cache_creation_input_tokens`).
   */
  cacheWriteTokens?: number;
  /** Of cacheWriteTokens, those written with a one-hour lifetime (priced higher again). */
  cacheWrite1hTokens?: number;
  /** Output tokens the model spent reasoning (a subset of outputTokens), where the provider says. */
  reasoningTokens?: number;
  /**
   * The processing tier the provider says it served the request at (its `service_tier`:
   * OpenAI's `default`, `flex` or `priority`, Anthropic's `standard` or `priority`), which a
   * price can depend on.
   */
  serviceTier?: string;
  /**
   * Web searches the provider's server tool ran for the request (Anthropic's
   * `server_tool_use.web_search_requests`, the `web_search_call` items of an OpenAI
   * Responses API answer, one for an OpenAI chat completions answer that cites pages),
   * charged per search. Never shown to a client.
   */
  webSearchRequests?: number;
}

export interface ChatResponse {
  id: string;
  model: string;
  /** Assistant text (concatenated text blocks). */
  text: string;
  /**
   * The text is what the model said instead of answering (OpenAI's `refusal`): an OpenAI
   * chat client gets it as the message's `refusal`, every other client as text.
   */
  refusal?: true;
  toolCalls: ToolCall[];
  /** Reasoning shown before the answer, in order (see ThinkingBlock). */
  thinking?: ThinkingBlock[];
  /**
   * The tools OpenAI ran itself for this answer, or has the client run (a model served
   * through the Responses API): its `web_search_call`, `tool_search_call` and
   * `tool_search_output` items as they came, before the answer's text. Only a Responses
   * client is shown them.
   */
  hosted?: Record<string, unknown>[];
  /** Where each `hosted` item came: after this many of the answer's encrypted reasoning blocks (absent: after all of them). */
  hostedAfter?: number[];
  /** The text's citations (Responses API `url_citation`s, `start_index`/`end_index` into `text`); only a Responses client is shown them. */
  annotations?: Record<string, unknown>[];
  /**
   * The log probabilities of the answer's tokens an OpenAI-format server sent (the choice's
   * `logprobs`, as sent, when the client asked with `logprobs`); only an OpenAI chat client
   * is shown them.
   */
  logprobs?: Record<string, unknown>;
  finishReason: FinishReason;
  usage: Usage;
}

/** A provider's count of the input tokens a chat request would use. */
export interface TokenCount {
  inputTokens: number;
}

export interface EmbeddingsResponse {
  model: string;
  data: number[][];
  usage: Usage;
}

/**
 * Stream events, provider-neutral. A decoder for a provider's stream emits these;
 * an encoder for the client's dialect turns them into SSE frames.
 * Order: start, then any number of text / thinking / tool_call_* events, then finish, then usage (optional), then end.
 */
export type StreamEvent =
  /**
   * `usage`: what the provider counted before generating (input, cache reads and writes),
   * when it says so up front as Anthropic does; the `usage` event near the end is the total.
   */
  | { type: 'start'; id: string; model: string; usage?: Usage }
  /**
   * `refusal`: the text is what the model said instead of answering (OpenAI's `refusal`,
   * as structured outputs refuse): an OpenAI chat client gets it as `delta.refusal`, every
   * other client as text, as a whole answer shows it (ChatResponse.refusal).
   */
  | { type: 'text'; text: string; refusal?: true }
  /**
   * Reasoning text (Anthropic's extended thinking, an OpenAI-format server's `reasoning_content`);
   * `summary` as in ThinkingBlock. `item`: the Responses API reasoning item a summary belongs
   * to, whose encrypted content may follow, so a Responses client gets both in one item.
   */
  | { type: 'thinking'; text: string; summary?: true; item?: string }
  /** Ends the thinking block in progress with its signature. */
  | { type: 'thinking_signature'; signature: string }
  | { type: 'redacted_thinking'; data: string }
  /** An OpenAI model's whole encrypted reasoning item (see ThinkingBlock). */
  | { type: 'encrypted_reasoning'; id: string; data: string }
  /** OpenRouter's `reasoning_details` entries of a stream chunk, as sent (see ThinkingBlock). */
  | { type: 'reasoning_details'; details: unknown[] }
  /**
   * The log probabilities an OpenAI-format server sent with a stream chunk (the choice's
   * `logprobs`, as sent), ahead of the events the rest of that chunk makes: an OpenAI chat
   * client gets them on the chunk those events make (see ChatResponse.logprobs). Other
   * dialects have no place for them.
   */
  | { type: 'logprobs'; logprobs: Record<string, unknown> }
  /**
   * An Anthropic content block with no counterpart here (a server tool's use or result,
   * ...), opened as the provider sent it; only an Anthropic client gets it.
   */
  | { type: 'anthropic_block'; block: Record<string, unknown> }
  /** A delta of a kind with no counterpart here (citations, a server tool's input) for the block in progress. */
  | { type: 'anthropic_delta'; delta: Record<string, unknown> }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; arguments: string }
  /** A tool OpenAI ran itself, whole (see ChatResponse.hosted). */
  | { type: 'hosted_item'; item: Record<string, unknown> }
  /** A citation of the text so far (see ChatResponse.annotations), its indexes into the whole text. */
  | { type: 'annotation'; annotation: Record<string, unknown> }
  /**
   * `anthropic`: Anthropic's own stop reason and matched stop sequence, when Anthropic
   * served. An Anthropic client gets them as sent: `pause_turn` (a server tool's turn to
   * continue), `stop_sequence` and `model_context_window_exceeded` have no canonical
   * counterpart, and an agent loop reads them.
   */
  | { type: 'finish'; finishReason: FinishReason; anthropic?: { stopReason: string; stopSequence: string | null } }
  | { type: 'usage'; usage: Usage }
  /** An error reported by the upstream inside the stream. */
  | { type: 'error'; message: string; status?: number; errorType?: string }
  | { type: 'end' };
