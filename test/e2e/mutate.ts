/**
 * Random mutations of JSON values, for the fuzz suites: values replaced by arbitrary
 * JSON, fields deleted, types flipped, fields added from every dialect's vocabulary.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Field names from every dialect and provider: an added one reaches code a random name would not. */
const KEYS = [
  'model', 'messages', 'role', 'content', 'type', 'text', 'name', 'tools', 'tool_choice', 'tool_calls', 'tool_call_id', 'function',
  'arguments', 'parameters', 'input_schema', 'input', 'id', 'tool_use_id', 'image_url', 'url', 'source', 'data', 'media_type',
  'stream', 'stream_options', 'include_usage', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'temperature', 'top_p',
  'top_k', 'stop', 'stop_sequences', 'n', 'seed', 'user', 'metadata', 'response_format', 'json_schema', 'schema', 'strict', 'format',
  'thinking', 'budget_tokens', 'reasoning_effort', 'reasoning', 'reasoning_content', 'effort', 'reasoning_text', 'custom', 'input', 'grammar', 'syntax', 'definition', 'pass_params', 'system', 'instructions', 'cache_control', 'logprobs', 'top_logprobs',
  'parallel_tool_calls', 'disable_parallel_tool_use', 'service_tier', 'store', 'previous_response_id', 'include', 'call_id', 'output',
  'encoding_format', 'dimensions', 'detail', 'file', 'file_data', 'filename', 'document', 'is_error', 'constructor', 'toString', 'hasOwnProperty',
  'choices', 'delta', 'message', 'finish_reason', 'usage', 'prompt_tokens', 'completion_tokens', 'index', 'stop_reason', 'error',
  'candidates', 'parts', 'functionCall', 'args', 'finishReason', 'usageMetadata', 'promptTokenCount', 'candidatesTokenCount',
  'partial_json', 'content_block', 'input_tokens', 'output_tokens', 'cache_read_input_tokens', 'refusal', 'thoughtSignature',
];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('', -1, 0, 1.5, 1e21, 2 ** 53 + 2, -0, true, null, [], {}, 'x'.repeat(3000), '\u0000', 'data:image/png;base64,!!', 'https://example.test/a.png') },
);

export type JsonOp =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'flip'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown };

export const jsonOp: fc.Arbitrary<JsonOp> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), value }),
);

/** Every path into `v` below the root, parents before children. */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((c, i) => { out.push([...at, i]); paths(c, [...at, i], out); });
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) { out.push([...at, k]); paths(v[k], [...at, k], out); }
  return out;
}

function at(root: Json, path: Path): Json {
  let cur = root;
  for (const k of path) cur = (cur as Record<string | number, Json>)[k];
  return cur;
}

function flipped(v: Json): Json {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 1 : 'false';
  if (v === null) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v);
}

/** A mutated copy of `value` (the value itself may be replaced, flipped or deleted to null). */
export function mutateJson(value: Json, ops: readonly JsonOp[]): Json {
  // Boxed, so the value itself is a path like any other.
  const box: Json = { v: structuredClone(value) };
  for (const o of ops) {
    // Generated values are fast-check's own (shrinking reuses them): the value takes copies.
    const v = 'value' in o ? structuredClone(o.value) as Json : null;
    const all = paths(box);
    if (o.op === 'add') {
      const holders = all.filter((p) => { const x = at(box, p); return x !== null && typeof x === 'object'; });
      if (holders.length === 0) continue;
      const target = at(box, holders[o.at % holders.length]);
      if (Array.isArray(target)) target.push(v);
      else (target as Record<string, Json>)[o.key] = v;
      continue;
    }
    if (all.length === 0) continue;
    const path = all[o.at % all.length];
    const parent = at(box, path.slice(0, -1)) as Record<string | number, Json>;
    const key = path[path.length - 1];
    if (o.op === 'set') parent[key] = v;
    else if (o.op === 'flip') parent[key] = flipped(parent[key]);
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  }
  return (box as { v?: Json }).v ?? null;
}
