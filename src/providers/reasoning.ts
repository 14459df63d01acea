/**
 * A target's reasoning style, from its provider's `options.reasoning` (see
 * config/reasoning.ts), and the request as a model that takes no reasoning gets it.
 */
import type { ChatMessage, ChatRequest, DialectExtras } from '../canonical.js';
import { REASONING_STYLES, type ReasoningStyle } from '../config/reasoning.js';
import { perModel } from './per-model.js';
import type { AttemptTarget } from './types.js';

// A style the type does not take is no style (the config check refuses it).
const styleOf = perModel('reasoning', (v, s): ReasoningStyle | undefined => ((REASONING_STYLES[s.type] ?? []) as readonly unknown[]).includes(v) ? v as ReasoningStyle : undefined);
const markedNone = perModel('reasoning', (v) => (v === 'none' ? true : undefined));

/** How the target's model takes a reasoning setting translated from another dialect; undefined: it gets none. */
export function reasoningStyle(target: AttemptTarget): ReasoningStyle | undefined {
  return styleOf(target.provider, target.model);
}

/** The client's own reasoning fields, which a provider of its dialect would otherwise get as sent. */
const OWN_FIELDS: Readonly<Record<DialectExtras['dialect'], readonly string[]>> = {
  openai: ['reasoning_effort'],
  anthropic: ['thinking'],
};

/**
 * `req` as the target's model takes it when `options.reasoning` marks it `none`: with no
 * reasoning at all. Not the client's own setting either (OpenAI's `reasoning_effort` or
 * `reasoning.effort`, Anthropic's `thinking`), no ask for encrypted reasoning, no summary,
 * and none of the conversation's reasoning (replayed reasoning items, thinking blocks).
 * Such a model refuses each of them (OpenAI: "Reasoning input items can only be provided
 * to a reasoning or computer use model"), so without this a rule or a fallback that moves
 * a reasoning conversation there (Codex from gpt-5 to gpt-4.1) fails on every turn.
 */
export function withReasoningFor(req: ChatRequest, target: AttemptTarget): ChatRequest {
  if (target.provider.options.reasoning === undefined || markedNone(target.provider, target.model) !== true) return req;
  const out: ChatRequest = { ...req, messages: req.messages.map(withoutThinking) };
  delete out.reasoning;
  delete out.reasoningSummary;
  delete out.reasoningContext;
  delete out.encryptedReasoning;
  delete out.showsReasoning;
  const extras = req.extras;
  if (extras !== undefined && OWN_FIELDS[extras.dialect].some((f) => extras.fields[f] !== undefined)) {
    const fields = { ...extras.fields };
    for (const f of OWN_FIELDS[extras.dialect]) delete fields[f];
    out.extras = { dialect: extras.dialect, fields };
  }
  return out;
}

function withoutThinking(m: ChatMessage): ChatMessage {
  if (m.role !== 'assistant' || m.thinking === undefined) return m;
  const { thinking: _dropped, ...rest } = m;
  return rest;
}
