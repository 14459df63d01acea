/**
 * What the gateway seals into a field that a client replays untouched, for what the
 * client's dialect has no place for: into a Responses API reasoning item's
 * `encrypted_content`, Claude's signed thinking and compaction summaries (sealSummary);
 * into an Anthropic thinking block's `signature`, an OpenAI model's encrypted reasoning
 * (sealReasoning).
 *
 * Claude's signed thinking, carried through a Responses API client as a reasoning item's
 * `encrypted_content`. Anthropic wants a tool loop's thinking back with its signature, or
 * it refuses the turn with thinking on; the Responses API has no field for a signature,
 * but every client replays `encrypted_content` untouched (Codex, the OpenAI Agents SDK and
 * the Vercel AI SDK ask for it with `include: ["reasoning.encrypted_content"]`). OpenAI's
 * own encrypted reasoning never starts with the prefix.
 *
 * Nothing here is secret: the thinking text is what the client was shown, and a forged
 * signature is refused by Anthropic, which checks it.
 */
import type { ThinkingBlock } from '../canonical.js';

const THINKING = 'sy-anthropic-thinking.v1:';
const SUMMARY = 'sy-compaction.v1:';
const REASONING = 'sy-openai-reasoning.v1:';

/** `value` as JSON in base64url, after `prefix`. */
function seal(prefix: string, value: unknown): string {
  return prefix + Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** What `seal(prefix, …)` sealed in `data`; undefined when `data` is not that, or does not decode. */
function unseal(prefix: string, data: string): unknown {
  if (!data.startsWith(prefix)) return undefined;
  try {
    return JSON.parse(Buffer.from(data.slice(prefix.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export type Signed = Extract<ThinkingBlock, { type: 'thinking' | 'redacted_thinking' }>;

/** Whether `t` is thinking Anthropic signed (or redacted), which it wants back as it was. */
export function isSigned(t: ThinkingBlock): t is Signed {
  return t.type === 'redacted_thinking' || (t.type === 'thinking' && t.signature !== '' && t.summary !== true);
}

/** The blocks as an `encrypted_content` value. */
export function sealThinking(blocks: readonly Signed[]): string {
  return seal(THINKING, blocks.map((b) => (b.type === 'thinking' ? { t: b.thinking, s: b.signature } : { r: b.data })));
}

/**
 * The blocks an `encrypted_content` value carries, or null when it is not one of ours (an
 * OpenAI model's). A value with our prefix that does not decode is an error (`bad`).
 */
export function unsealThinking(data: string, bad: (why: string) => Error): ThinkingBlock[] | null {
  if (!data.startsWith(THINKING)) return null;
  const refused = () => bad('is not what the gateway gave out (send the reasoning item back as it came)');
  const wire = unseal(THINKING, data);
  if (!Array.isArray(wire)) throw refused();
  return wire.map((b: unknown): ThinkingBlock => {
    const o = b as { t?: unknown; s?: unknown; r?: unknown } | null;
    if (typeof o?.t === 'string' && typeof o.s === 'string') return { type: 'thinking', thinking: o.t, signature: o.s };
    if (typeof o?.r === 'string') return { type: 'redacted_thinking', data: o.r };
    throw refused();
  });
}

/** A conversation's summary (Codex's remote compaction) as a `compaction` item's `encrypted_content`. */
export function sealSummary(summary: string): string {
  return seal(SUMMARY, { s: summary });
}

/** The summary a `compaction` item carries; an error (`bad`) when the gateway did not seal it. */
export function unsealSummary(data: string, bad: (why: string) => Error): string {
  const o = unseal(SUMMARY, data) as { s?: unknown } | null | undefined;
  if (typeof o?.s === 'string') return o.s;
  throw bad('is not a compaction the gateway made (one OpenAI made can be read only by OpenAI: start the conversation afresh)');
}

type EncryptedReasoning = Extract<ThinkingBlock, { type: 'encrypted_reasoning' }>;

/**
 * An OpenAI model's encrypted reasoning (a Responses API reasoning item), carried through
 * an Anthropic client as a thinking block's `signature`. Claude Code and the other
 * Anthropic clients send a tool loop's thinking blocks back as they came, signature
 * included, and have no field for a reasoning item: so a model served through the
 * Responses API gets its reasoning back in the next turn, as Codex gives it, instead of
 * reasoning again from nothing. Anthropic never sees the block: it would refuse the
 * signature, which is not its own. The encrypted content is already text, and goes in as
 * it is, after the item's id (`<prefix><id>:<content>`): every turn of a long session
 * carries one, and encoding it again would make each a third larger.
 */
export function sealReasoning(r: EncryptedReasoning): string {
  return `${REASONING}${r.id ?? ''}:${r.data}`;
}

/**
 * The encrypted reasoning a thinking block's `signature` carries, or null when the
 * signature is not one the gateway sealed (Anthropic's own). A value with our prefix that
 * does not decode is an error (`bad`).
 */
export function unsealReasoning(signature: string, bad: (why: string) => Error): EncryptedReasoning | null {
  if (!signature.startsWith(REASONING)) return null;
  const at = signature.indexOf(':', REASONING.length);
  const data = at < 0 ? '' : signature.slice(at + 1);
  if (data === '') throw bad('is not what the gateway gave out (send the thinking block back as it came)');
  const id = signature.slice(REASONING.length, at);
  return id === '' ? { type: 'encrypted_reasoning', data } : { type: 'encrypted_reasoning', id, data };
}
