/**
 * Anthropic Messages SSE stream → canonical events (text, extended thinking with its
 * signature, tool calls; other blocks such as a server tool's use and result, and
 * citations, as they came). Terminated by `message_stop`;
 * an `error` event becomes an error event. Usage is assembled from message_start
 * (input and cache counts) and message_delta (output count) and sent before `end`.
 */
import type { StreamEvent } from '../../canonical.js';
import { SseJsonDecoder } from '../sse-decoder.js';
import { isRecord } from '../validate.js';
import { finishFromAnthropic, usageFromAnthropic } from './mapping.js';

/** HTTP status Anthropic uses for each error type, for in-stream errors that carry none. */
const ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529, rate_limit_error: 429, api_error: 500, invalid_request_error: 400,
  authentication_error: 401, permission_error: 403, not_found_error: 404, request_too_large: 413,
};

export class AnthropicStreamDecoder extends SseJsonDecoder {
  private rawUsage: Record<string, unknown> = {};
  /** Content block index → canonical tool-call index, for tool_use blocks. */
  private readonly toolIndex = new Map<number, number>();
  /** Tool calls that have received argument text. */
  private readonly withArgs = new Set<number>();
  /** Content block indexes passed on as they came (anthropic_block). */
  private readonly passed = new Set<number>();

  constructor(private readonly fallbackModel: string) {
    super();
  }

  protected object(_event: string, ev: Record<string, unknown>, out: StreamEvent[]): void {
    switch (ev.type) {
      case 'message_start': {
        const msg = isRecord(ev.message) ? ev.message : {};
        const start: StreamEvent = {
          type: 'start',
          id: typeof msg.id === 'string' ? msg.id : '',
          model: typeof msg.model === 'string' && msg.model ? msg.model : this.fallbackModel,
        };
        if (isRecord(msg.usage)) {
          this.rawUsage = { ...msg.usage };
          start.usage = usageFromAnthropic(msg.usage);
        }
        out.push(start);
        break;
      }
      case 'content_block_start': {
        const block = isRecord(ev.content_block) ? ev.content_block : {};
        const at = typeof ev.index === 'number' ? ev.index : 0;
        if (block.type === 'text' && typeof block.text === 'string' && block.text) out.push({ type: 'text', text: block.text });
        else if (block.type === 'thinking') {
          if (typeof block.thinking === 'string' && block.thinking) out.push({ type: 'thinking', text: block.thinking });
        } else if (block.type === 'redacted_thinking') {
          out.push({ type: 'redacted_thinking', data: typeof block.data === 'string' ? block.data : '' });
        } else if (block.type === 'tool_use') {
          const index = this.toolIndex.size;
          this.toolIndex.set(at, index);
          out.push({ type: 'tool_call_start', index, id: typeof block.id === 'string' ? block.id : `toolu_${index}`, name: typeof block.name === 'string' ? block.name : '' });
        } else if (typeof block.type === 'string' && block.type !== 'text') {
          // server_tool_use, web_search_tool_result, ...: an Anthropic client gets them as they came.
          this.passed.add(at);
          out.push({ type: 'anthropic_block', block });
        }
        break;
      }
      case 'content_block_delta': {
        const delta = isRecord(ev.delta) ? ev.delta : {};
        if (this.passed.has(typeof ev.index === 'number' ? ev.index : -1)) out.push({ type: 'anthropic_delta', delta });
        else if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text) out.push({ type: 'text', text: delta.text });
        else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking) out.push({ type: 'thinking', text: delta.thinking });
        else if (delta.type === 'signature_delta' && typeof delta.signature === 'string') out.push({ type: 'thinking_signature', signature: delta.signature });
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json) {
          const index = this.toolIndex.get(typeof ev.index === 'number' ? ev.index : -1);
          if (index !== undefined) {
            this.withArgs.add(index);
            out.push({ type: 'tool_call_delta', index, arguments: delta.partial_json });
          }
        } else if (delta.type === 'citations_delta') out.push({ type: 'anthropic_delta', delta });
        break;
      }
      case 'message_delta': {
        if (isRecord(ev.usage)) for (const k in ev.usage) if (ev.usage[k] !== null) this.rawUsage[k] = ev.usage[k];
        const delta = isRecord(ev.delta) ? ev.delta : {};
        if (typeof delta.stop_reason === 'string') {
          out.push({
            type: 'finish',
            finishReason: finishFromAnthropic(delta.stop_reason),
            anthropic: { stopReason: delta.stop_reason, stopSequence: typeof delta.stop_sequence === 'string' ? delta.stop_sequence : null },
          });
        }
        break;
      }
      case 'content_block_stop': {
        // A tool without parameters streams no JSON at all; its input is still `{}`.
        const index = this.toolIndex.get(typeof ev.index === 'number' ? ev.index : -1);
        if (index !== undefined && !this.withArgs.has(index)) {
          this.withArgs.add(index);
          out.push({ type: 'tool_call_delta', index, arguments: '{}' });
        }
        break;
      }
      case 'message_stop':
        this.close(out, { type: 'usage', usage: usageFromAnthropic(this.rawUsage) }, { type: 'end' });
        break;
      case 'error': {
        const e = isRecord(ev.error) ? ev.error : {};
        const errorType = typeof e.type === 'string' ? e.type : 'api_error';
        this.close(out, { type: 'error', message: typeof e.message === 'string' ? e.message : 'upstream stream error', errorType, status: ERROR_STATUS[errorType] ?? 500 });
        break;
      }
      // ping: nothing to report.
    }
  }
}
