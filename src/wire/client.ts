/** Types shared by the client dialects (OpenAI chat/embeddings, Anthropic messages). */
import type { ChatRequest, EmbeddingsRequest, StreamEvent } from '../canonical.js';

/** Client-only flags the canonical request does not carry. */
export interface ChatClientOptions {
  /**
   * Emit a usage chunk at the end of the stream (OpenAI `stream_options.include_usage`).
   * Always true for Anthropic, whose stream always carries usage.
   */
  includeUsage: boolean;
  /** Request settings the answer repeats back (the Responses API's response object does). */
  echo?: Readonly<Record<string, unknown>>;
  /** False: the answer shows no reasoning (an Anthropic client that did not turn thinking on). */
  thinking?: boolean;
  /** Names of the client's custom tools, whose calls it gets back as custom calls (see wire/freeform). */
  freeform?: ReadonlySet<string>;
  /** Names of the client's built-in tools (ToolDefinition.builtin), whose calls it gets back as their own call items. */
  builtin?: ReadonlySet<string>;
  /** The client's namespaced tools (ToolDefinition.namespaced), by the name providers see. */
  namespaced?: ReadonlyMap<string, ClientToolName>;
  /**
   * A Responses API request offering tool search: its deferred tools that no search in its
   * history loaded, by the name providers see, each as the client declared it. A call to
   * one is shown after a search that loads it (wire/responses/tool-search).
   */
  deferred?: ReadonlyMap<string, Record<string, unknown>>;
  /** A Responses API request created with `store` (its default): its answer's items may be referred to later. */
  store?: boolean;
  /** A Responses API client that asked for reasoning summaries: other models' reasoning is shown to it as one. */
  summaries?: boolean;
  /** A Responses API client that asked for `reasoning.encrypted_content`: Claude's signed thinking is sealed in it (wire/sealed.ts). */
  sealThinking?: boolean;
  /** Codex's remote compaction (`compaction_trigger`): the answer is one `compaction` item holding the summary, sealed. */
  compaction?: boolean;
}

/** A tool's name as the client declared it, inside a namespace. */
export interface ClientToolName {
  namespace: string;
  name: string;
}

export interface ParsedChatRequest {
  request: ChatRequest;
  clientOptions: ChatClientOptions;
}

export interface EmbeddingsClientOptions {
  /** OpenAI `encoding_format`; the OpenAI Node SDK asks for base64 by default. */
  encodingFormat: 'float' | 'base64';
}

export interface ParsedEmbeddingsRequest {
  request: EmbeddingsRequest;
  clientOptions: EmbeddingsClientOptions;
}

/** How a response is shown to the client. */
export interface RenderOptions {
  /** Unix seconds for OpenAI `created` (Anthropic objects have no timestamp). */
  created: number;
  /** Model name shown to the client; default: the one the provider reported. */
  model?: string;
  /** The answer's id where the gateway names it (a Responses API `resp_…`); default: from the provider's. */
  id?: string;
  /** ChatClientOptions.echo, for the answer to repeat. */
  echo?: Readonly<Record<string, unknown>>;
  /** ChatClientOptions.thinking: false leaves the model's reasoning out of the answer. */
  thinking?: boolean;
  /** ChatClientOptions.freeform. */
  freeform?: ReadonlySet<string>;
  /** ChatClientOptions.builtin. */
  builtin?: ReadonlySet<string>;
  /** ChatClientOptions.namespaced. */
  namespaced?: ReadonlyMap<string, ClientToolName>;
  /** ChatClientOptions.deferred. */
  deferred?: ReadonlyMap<string, Record<string, unknown>>;
  /** ChatClientOptions.summaries. */
  summaries?: boolean;
  /** ChatClientOptions.sealThinking. */
  sealThinking?: boolean;
  /** ChatClientOptions.compaction. */
  compaction?: boolean;
  /**
   * `POST /v1/responses/compact`: the answer is OpenAI's `response.compaction` object, its
   * output these input items (the user's messages, kept as they were) and the compaction item.
   */
  compactedInput?: readonly unknown[];
}

export interface StreamEncoderOptions extends RenderOptions {
  includeUsage: boolean;
  /**
   * The answer is kept for later requests (`onResponse`): Claude's signed thinking is
   * sealed on the kept response's reasoning items even when the client did not ask for it
   * (sealThinking), so that a turn built on the answer gets it back.
   */
  keepThinking?: boolean;
  /**
   * Called with the finished response object (Responses API), once the stream completes,
   * and with the response as it is kept (with keepThinking, the signed thinking sealed on
   * it; else the same object). When it returns a promise, the stream's last event waits
   * for it: see StreamEncoder.held.
   */
  onResponse?(response: Record<string, unknown>, kept: Record<string, unknown>): Promise<void> | void;
}

/**
 * Canonical stream events → SSE frames in a client dialect. `push` returns the text
 * to write (possibly ''). After an `error` or `end` event the stream is closed and
 * further events produce nothing.
 */
export interface StreamEncoder {
  push(event: StreamEvent): string;
  readonly closed: boolean;
  /**
   * The stream's last event, when the promise `onResponse` returned holds it back (what the
   * answer keeps is kept before the client has it, to build on at once): `push` leaves it
   * out, and this gives it, once, when the promise has settled. Null otherwise.
   */
  held?(): Promise<string> | null;
}
