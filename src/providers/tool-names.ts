/**
 * Tool names a provider refuses. Each dialect takes names its own provider takes, and
 * they differ: Anthropic takes letters, digits, `_` and `-` up to 128 characters (Claude
 * Code names MCP tools `mcp__<server>__<tool>`, often past 64); OpenAI the same up to 64;
 * Gemini up to 64, starting with a letter or `_`, and dots too. A request routed to a
 * provider that would refuse one of its names goes with that name rewritten, the same in
 * its tools, its `tool_choice` and its history's calls, and the calls in the answer come
 * back under the client's name, whole or streamed: the client only ever sees its own.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage, ChatRequest, ChatResponse, StreamEvent } from '../canonical.js';
import { SwitchyardError } from '../errors.js';
import type { StreamDecoder } from './types.js';

/** The function names a provider's API takes (ProviderAdapter.toolNames). */
export interface ToolNameRule {
  /** Characters it takes. */
  chars: RegExp;
  /** Characters it takes first, when fewer than `chars`. */
  first?: RegExp;
  max: number;
  /** The rule in words, for the error that names it. */
  says: string;
}

/** OpenAI's chat completions and Responses API (and the servers that copy them): `^[a-zA-Z0-9_-]{1,64}$`. */
export const OPENAI_TOOL_NAMES: ToolNameRule = { chars: /[a-zA-Z0-9_-]/, max: 64, says: 'OpenAI takes letters, digits, _ and - up to 64 characters' };
/** Anthropic's Messages API: `^[a-zA-Z0-9_-]{1,128}$`. */
export const ANTHROPIC_TOOL_NAMES: ToolNameRule = { chars: /[a-zA-Z0-9_-]/, max: 128, says: 'Anthropic takes letters, digits, _ and - up to 128 characters' };
/**
 * Gemini: a letter or `_` first, then letters, digits, `_ . -`, at most 64. Its errors
 * have named colons too, its older documentation not: a colon is rewritten, which costs
 * the client nothing.
 */
export const GEMINI_TOOL_NAMES: ToolNameRule = { chars: /[a-zA-Z0-9_.-]/, first: /[a-zA-Z_]/, max: 64, says: 'Gemini takes letters, digits, _ . and - up to 64 characters, a letter or _ first' };

/** Characters of the digest a rewritten name ends with. */
const DIGEST = 10;

function takes(rule: ToolNameRule, name: string): boolean {
  if (name.length === 0 || name.length > rule.max) return false;
  if (rule.first !== undefined && !rule.first.test(name[0])) return false;
  for (const c of name) if (!rule.chars.test(c)) return false;
  return true;
}

/**
 * `name` as the provider takes it: what it takes of the name (other characters as `_`, a
 * `_` first where the first would be refused), cut to leave room for `_` and a digest of
 * the whole name, so two names never become one.
 */
function rewritten(rule: ToolNameRule, name: string): string {
  let readable = '';
  for (const c of name) readable += rule.chars.test(c) ? c : '_';
  if (rule.first !== undefined && !rule.first.test(readable[0] ?? '')) readable = `_${readable}`;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, DIGEST);
  return `${readable.slice(0, rule.max - DIGEST - 1)}_${digest}`;
}

/** A request's tool names the provider would refuse, each with the name it gets instead, and back. */
export interface ToolNames {
  /** The client's name → the provider's. */
  readonly up: ReadonlyMap<string, string>;
  /** The provider's name → the client's. */
  readonly down: ReadonlyMap<string, string>;
}

/** Every tool name `req` sends: its tools', its `tool_choice`'s, its history's calls'. */
function namesIn(req: ChatRequest): Set<string> {
  const out = new Set<string>();
  for (const t of req.tools ?? []) out.add(t.name);
  if (typeof req.toolChoice === 'object') out.add(req.toolChoice.name);
  for (const m of req.messages) if (m.role === 'assistant') for (const c of m.toolCalls ?? []) out.add(c.name);
  return out;
}

/**
 * The names of `req` that `rule` refuses, with what the provider gets instead; null when
 * it takes them all (the common case: nothing is copied). A rewritten name that is
 * another of the request's names is refused, naming both, rather than sent as one tool.
 */
export function toolNamesFor(req: ChatRequest, rule: ToolNameRule | undefined): ToolNames | null {
  if (rule === undefined) return null;
  const names = namesIn(req);
  let up: Map<string, string> | null = null;
  for (const n of names) if (!takes(rule, n)) (up ??= new Map()).set(n, rewritten(rule, n));
  if (up === null) return null;
  const down = new Map<string, string>();
  for (const [client, provider] of up) {
    const other = names.has(provider) ? provider : down.get(provider);
    if (other !== undefined) {
      throw new SwitchyardError('SY_ERR_BAD_REQUEST', `tools: the tool name "${client}" is refused upstream (${rule.says}), and the name it would get instead, "${provider}", is the name of "${other}"; rename one of them`, { details: { param: 'tools' } });
    }
    down.set(provider, client);
  }
  return { up, down };
}

/** `req` with its names as the provider takes them. */
export function withToolNames(req: ChatRequest, names: ToolNames): ChatRequest {
  const up = (n: string): string => names.up.get(n) ?? n;
  const messages = req.messages.map((m): ChatMessage => (m.role === 'assistant' && m.toolCalls?.some((c) => names.up.has(c.name)) ? { ...m, toolCalls: m.toolCalls.map((c) => ({ ...c, name: up(c.name) })) } : m));
  const out: ChatRequest = { ...req, messages };
  if (req.tools !== undefined) out.tools = req.tools.map((t) => (names.up.has(t.name) ? { ...t, name: up(t.name) } : t));
  if (typeof req.toolChoice === 'object') out.toolChoice = { name: up(req.toolChoice.name) };
  return out;
}

/** An answer's calls under the client's names. */
export function restoreToolNames(res: ChatResponse, names: ToolNames): ChatResponse {
  if (!res.toolCalls.some((c) => names.down.has(c.name))) return res;
  return { ...res, toolCalls: res.toolCalls.map((c) => ({ ...c, name: names.down.get(c.name) ?? c.name })) };
}

/** A stream decoder whose calls start under the client's names. */
export function restoringToolNames(decoder: StreamDecoder, names: ToolNames): StreamDecoder {
  const restore = (events: StreamEvent[]): StreamEvent[] => {
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.type === 'tool_call_start') {
        const client = names.down.get(e.name);
        if (client !== undefined) events[i] = { ...e, name: client };
      }
    }
    return events;
  };
  return {
    push: (text) => restore(decoder.push(text)),
    end: () => restore(decoder.end()),
    get pending() {
      return decoder.pending;
    },
  };
}
