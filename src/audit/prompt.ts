/**
 * The prompt as `audit.store_prompts` keeps it: the canonical request without the bytes
 * of inline images and files. A screenshot is megabytes of base64 in every turn of an
 * agent's conversation; kept whole, each event would carry it through the audit buffer,
 * the writer thread and into a row of the store. What stays says what was sent: the part,
 * its media type and `omittedBytes`, the size of the data left out.
 */
import type { ChatRequest, EmbeddingsRequest } from '../canonical.js';

/**
 * Objects whose `data` is base64: a canonical `image` or `document` part, and an Anthropic
 * block's `{type: "base64", media_type, data}` source (a document kept for an Anthropic
 * provider, a block passed through as the client sent it).
 */
const INLINE = new Set(['image', 'document', 'base64']);

/** Bytes that `base64` text decodes to. */
export function base64Bytes(base64: string): number {
  let pad = 0;
  if (base64.endsWith('==')) pad = 2;
  else if (base64.endsWith('=')) pad = 1;
  return Math.max(0, Math.floor((base64.length * 3) / 4) - pad);
}

/** `value` with every inline data left out; the same object where there is none. */
function withoutInlineData(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = withoutInlineData(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(obj)) {
    const child = obj[key];
    if (key === 'data' && typeof child === 'string' && typeof obj.type === 'string' && INLINE.has(obj.type)) {
      out ??= { ...obj };
      delete out.data;
      out.omittedBytes = base64Bytes(child);
      continue;
    }
    const v = withoutInlineData(child);
    if (v !== child) (out ??= { ...obj })[key] = v;
  }
  return out ?? obj;
}

/**
 * What an audit event's `request.body` holds: the canonical request without the client's
 * whole body (kept for options.pass_params, it would be the prompt a second time) and
 * without the bytes of inline images and files.
 * @example storedPrompt(canonical) // {model, messages: [{role: 'user', content: [{type: 'image', mediaType: 'image/png', omittedBytes: 15728640}]}], ...}
 */
export function storedPrompt(req: ChatRequest | EmbeddingsRequest): Record<string, unknown> {
  const { clientBody: _whole, ...kept } = req as ChatRequest;
  return withoutInlineData(kept) as Record<string, unknown>;
}
