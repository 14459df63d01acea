/**
 * OpenAI's strict mode (a function's `strict: true`) holds a schema to rules Anthropic's
 * strict tool use does not: every property listed in `required` (an optional one is
 * nullable instead), `additionalProperties: false` on every object, an object at the root,
 * and no `allOf`, `oneOf`, `not` or conditionals. OpenAI refuses any other schema ("In
 * context=(), 'required' is required to be supplied and to be an array including every key
 * in properties"), so an Anthropic client's strict tool with an optional parameter would
 * fail the request. Such a tool goes without strict mode, where the model still follows
 * its schema, only without OpenAI's guarantee; an OpenAI client's goes as it sent it.
 */
import type { ChatRequest, ToolDefinition } from '../../canonical.js';

type Schema = Record<string, unknown>;

/** Keywords strict mode refuses. */
const REFUSED = ['allOf', 'oneOf', 'not', 'if', 'then', 'else', 'patternProperties', 'dependentRequired', 'dependentSchemas'];

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether OpenAI's strict mode takes `schema` (a node below the root when `root` is false). */
function holds(schema: unknown, root: boolean): boolean {
  if (!isSchema(schema)) return !root;
  if (REFUSED.some((k) => schema[k] !== undefined)) return false;
  const type = schema.type;
  const object = type === 'object' || (Array.isArray(type) && type.includes('object')) || isSchema(schema.properties);
  if (root && (type !== 'object' || schema.anyOf !== undefined)) return false;
  if (object) {
    if (schema.additionalProperties !== false) return false;
    const props = isSchema(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required : [];
    for (const [name, s] of Object.entries(props)) if (!required.includes(name) || !holds(s, false)) return false;
  }
  for (const k of ['$defs', 'definitions']) {
    if (isSchema(schema[k]) && !Object.values(schema[k]).every((s) => holds(s, false))) return false;
  }
  if (schema.items !== undefined && !holds(schema.items, false)) return false;
  if (Array.isArray(schema.anyOf) && !schema.anyOf.every((s) => holds(s, false))) return false;
  return true;
}

/**
 * The `strict` an OpenAI-format provider gets for `t`: the client's, unless the client
 * speaks another dialect and its strict tool's schema is one OpenAI's strict mode refuses.
 */
export function openAIStrict(t: ToolDefinition, req: ChatRequest): boolean | undefined {
  if (t.strict !== true || req.clientBody?.dialect !== 'anthropic') return t.strict;
  return holds(t.parameters, true) ? true : false;
}
