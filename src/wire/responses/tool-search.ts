/**
 * Tool names as providers see them, and OpenAI's tool search for a Responses API client
 * whose model has none. Such a model gets the client's deferred tools (`defer_loading`)
 * loaded and may call one straight away; a client that checks that a deferred tool was
 * loaded by a search before it runs a call (the OpenAI Agents SDK does) is then shown the
 * search the gateway made for it: a server's `tool_search_call` and `tool_search_output`
 * holding the tool as the client declared it, just before the first call to it.
 */
import { createHash } from 'node:crypto';
import { isRecord } from '../validate.js';

/** Providers' longest function name (OpenAI's and Gemini's). */
const MAX_TOOL_NAME = 64;

/**
 * The name providers see for a tool the client declared in a namespace
 * (ToolDefinition.namespaced): `<namespace>__<name>`, cut and given a digest of the whole
 * when longer than providers take, the same for the tool and for its calls.
 */
export function namespacedName(namespace: string | undefined, name: string): string {
  if (namespace === undefined) return name;
  const full = `${namespace}__${name}`;
  if (full.length <= MAX_TOOL_NAME) return full;
  return `${full.slice(0, MAX_TOOL_NAME - 17)}_${createHash('sha256').update(full).digest('base64url').slice(0, 16)}`;
}

/** The names (as providers see them) of the tools a `tool_search_output` item loads: its own, and those in its namespaces. */
export function loadedBy(item: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (!Array.isArray(item.tools)) return out;
  for (const t of item.tools) {
    if (!isRecord(t)) continue;
    if (t.type === 'namespace' && typeof t.name === 'string' && Array.isArray(t.tools)) {
      for (const inner of t.tools) if (isRecord(inner) && typeof inner.name === 'string') out.push(namespacedName(t.name, inner.name));
    } else if (typeof t.name === 'string') out.push(t.name);
  }
  return out;
}

/**
 * The search that loads a deferred tool the model called (`declared`: the tool as the
 * client declared it, in its namespace if it has one), as the `n`th call's items of
 * response `respId`. The gateway ran it, so the items say the server did.
 */
export function searchItems(respId: string, n: number, declared: Record<string, unknown>): [Record<string, unknown>, Record<string, unknown>] {
  const base = respId.slice('resp_'.length);
  const inner = declared.type === 'namespace' && Array.isArray(declared.tools) && isRecord(declared.tools[0]) ? declared.tools[0] : declared;
  const path = declared === inner ? String(declared.name) : `${String(declared.name)}.${String(inner.name)}`;
  return [
    { type: 'tool_search_call', id: `tsc_${base}_${n}`, call_id: null, execution: 'server', arguments: { paths: [path] }, status: 'completed' },
    { type: 'tool_search_output', id: `tso_${base}_${n}`, call_id: null, execution: 'server', status: 'completed', tools: [declared] },
  ];
}

/**
 * The searches an answer shows (RenderOptions.deferred): one before the first call to each
 * deferred tool that neither the history nor the answer's own searches (`hosted`, from a
 * model that has tool search) loaded.
 */
export class Searches {
  private readonly loaded = new Set<string>();

  constructor(private readonly deferred: ReadonlyMap<string, Record<string, unknown>>, hosted?: readonly Record<string, unknown>[]) {
    for (const h of hosted ?? []) this.saw(h);
  }

  /** An item the answer holds: a search's output loads its tools. */
  saw(item: Record<string, unknown>): void {
    if (item.type === 'tool_search_output') for (const name of loadedBy(item)) this.loaded.add(name);
  }

  /** The search items to show before the `n`th call, to tool `name`; undefined when none is needed. */
  before(name: string, respId: string, n: number): [Record<string, unknown>, Record<string, unknown>] | undefined {
    const declared = this.deferred.get(name);
    if (declared === undefined || this.loaded.has(name)) return undefined;
    this.loaded.add(name);
    return searchItems(respId, n, declared);
  }
}
