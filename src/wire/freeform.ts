/**
 * OpenAI's custom tools (`type: "custom"`, Codex's `apply_patch`): the model calls them
 * with free text, optionally held to a grammar, instead of JSON arguments. Only OpenAI's
 * Responses API has them, so to every provider reached another way a custom tool travels
 * as a function tool with one string parameter, `input`, its grammar told in the
 * description; a model served through the Responses API gets the custom tool itself. A call comes back to the client as the custom call it asked for, with
 * `input` unwrapped; a custom call in the history goes upstream wrapped again.
 */
import type { ToolDefinition } from '../canonical.js';
import { badRequest, optionalString, requireNonEmptyString, requireRecord, requireString } from './validate.js';

/** What the model fills in for a custom tool: its free-text input (a fresh schema per tool). */
function parameters(): Record<string, unknown> {
  return {
    type: 'object',
    properties: { input: { type: 'string', description: 'The tool\'s whole input, as free text.' } },
    required: ['input'],
    additionalProperties: false,
  };
}

/**
 * A custom tool (`name`, `description`, `format` at `param`) as the function tool every
 * provider takes. `format` is `{type: "text"}` or `{type: "grammar", syntax, definition}`
 * (the Responses API) or `{type: "grammar", grammar: {syntax, definition}}` (chat completions).
 */
export function freeformTool(t: Record<string, unknown>, param: string): ToolDefinition {
  const name = requireNonEmptyString(t.name, `${param}.name`);
  const own = optionalString(t.description, `${param}.description`);
  let description = own ?? '';
  let format: Record<string, unknown> = { type: 'text' };
  if (t.format !== undefined && t.format !== null) {
    const f = requireRecord(t.format, `${param}.format`);
    if (f.type === 'grammar') {
      const g = f.grammar === undefined ? f : requireRecord(f.grammar, `${param}.format.grammar`);
      const at = f.grammar === undefined ? `${param}.format` : `${param}.format.grammar`;
      const syntax = requireNonEmptyString(g.syntax, `${at}.syntax`);
      const definition = requireString(g.definition, `${at}.definition`);
      description = `${description}${description ? '\n\n' : ''}The input must match this ${syntax} grammar:\n${definition}`;
      format = { type: 'grammar', syntax, definition };
    } else if (f.type !== 'text') throw badRequest(`${param}.format.type`, `\`${param}.format.type\` must be "text" or "grammar"`);
  }
  const def: ToolDefinition = { name, parameters: parameters(), freeform: own === undefined ? { format } : { description: own, format } };
  if (description !== '') def.description = description;
  return def;
}

/** Names of the custom tools among `tools`, or undefined when there are none (ChatClientOptions.freeform). */
export function freeformNames(tools: readonly ToolDefinition[] | undefined): ReadonlySet<string> | undefined {
  if (tools === undefined) return undefined;
  let out: Set<string> | undefined;
  for (const t of tools) if (t.freeform) (out ??= new Set()).add(t.name);
  return out;
}

/** A custom call's input as the arguments of its function form. */
export function wrapInput(input: string): string {
  return JSON.stringify({ input });
}

/** The input a model gave a custom tool's function form; arguments of another shape come as they are. */
export function unwrapInput(args: string): string {
  try {
    const v: unknown = JSON.parse(args);
    if (v !== null && typeof v === 'object' && typeof (v as { input?: unknown }).input === 'string') return (v as { input: string }).input;
  } catch {
    // not JSON: the model wrote the input itself
  }
  return args;
}
