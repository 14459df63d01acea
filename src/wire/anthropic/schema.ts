/**
 * JSON schemas as Claude's structured outputs take them (JSON outputs, and tools with
 * `strict: true`). Anthropic refuses numeric bounds, string lengths, array bounds past
 * `minItems` 0 or 1, and string formats it does not know ("For 'integer' type, property
 * 'minimum' is not supported"), and wants `additionalProperties: false` on every object.
 * OpenAI's strict schemas carry such keywords (the Agents SDK makes every tool strict,
 * and zod's `.int()` gives `minimum` and `maximum`). As Anthropic's own SDKs do, each
 * keyword moves into its schema's description, where the model still reads it.
 */

type Schema = Record<string, unknown>;

/** Keywords Claude's structured outputs refuse. */
const REFUSED = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties']);
/** String formats Claude's structured outputs take. */
const FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);
/** Keywords whose value is a map of schemas. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);
/** Keywords whose value is a schema or a list of schemas. */
const SUBSCHEMAS = new Set(['items', 'anyOf', 'allOf', 'oneOf', 'prefixItems', 'not']);

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `schema` with what Claude's structured outputs refuse moved into descriptions; the
 * input is left as it was.
 * @example anthropicStrictSchema({ type: 'integer', minimum: 1 }) // { type: 'integer', description: '{"minimum":1}' }
 */
export function anthropicStrictSchema(schema: unknown): unknown {
  if (!isSchema(schema)) return schema;
  const out: Schema = {};
  const moved: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (REFUSED.has(k) || (k === 'format' && !FORMATS.has(String(v))) || (k === 'minItems' && typeof v === 'number' && v > 1)) moved[k] = v;
    else if (SCHEMA_MAPS.has(k) && isSchema(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, anthropicStrictSchema(s)]));
    else if (SUBSCHEMAS.has(k)) out[k] = Array.isArray(v) ? v.map(anthropicStrictSchema) : anthropicStrictSchema(v);
    else out[k] = v;
  }
  if (out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object')) || isSchema(out.properties)) {
    if (out.additionalProperties !== undefined && out.additionalProperties !== false) moved.additionalProperties = out.additionalProperties;
    out.additionalProperties = false;
  }
  if (Object.keys(moved).length > 0) {
    const note = JSON.stringify(moved);
    out.description = typeof out.description === 'string' && out.description !== '' ? `${out.description}\n\n${note}` : note;
  }
  return out;
}
