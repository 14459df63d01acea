/**
 * JSON schemas as Gemini takes them (`responseJsonSchema`, a function's
 * `parametersJsonSchema`). Google documents `$ref` and `$defs`, but a node with a `$ref`
 * may carry nothing else ("Schema.ref 'Address' was set alongside unsupported fields"),
 * references are looked up in `$defs` alone ("reference to undefined schema"), and a
 * cycle only where it is not required. Pydantic puts a field's `description` and
 * `default` beside its `$ref`, zod's `.describe()` does the same, and the OpenAI SDK's
 * zod helper keeps its definitions in `definitions`. So each local reference is replaced
 * by what it names, with the fields beside it laid over, which means the same to the
 * model. A reference back into itself (a tree's children) cannot be, and stays a
 * reference into `$defs`, with only its description beside it, as Google documents.
 */

type Schema = Record<string, unknown>;

/** Keywords whose value is a schema. */
const SCHEMA = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalItems', 'unevaluatedItems', 'unevaluatedProperties']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
/** Keywords whose value is a map of schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas']);
/** Where definitions live; every reference into them is resolved, so they go. */
const DEFINITIONS = new Set(['$defs', 'definitions']);

/** Past this many schema nodes written, references stay references: inlining shared definitions can grow without end. */
const MAX_NODES = 20_000;
/**
 * Past this many references inlined one inside another, the next stays a reference. A
 * chain of definitions each naming the next was inlined whole, one call deeper a link:
 * time grew as the square of its length, and 15,000 links overflowed the stack.
 */
const MAX_DEPTH = 64;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `v` holds a `$ref` anywhere (most schemas do not, and go as they came). */
function hasRef(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasRef);
  if (!isSchema(v)) return false;
  if (typeof v.$ref === 'string') return true;
  return Object.values(v).some(hasRef);
}

/** The node a local JSON pointer (`#/$defs/Address`) names in `root`, or undefined. */
function resolve(root: Schema, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
    else if (isSchema(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/**
 * `schema` as Gemini takes it; the input is left as it was.
 * @example geminiSchema({ type: 'object', properties: { home: { $ref: '#/$defs/A', description: 'Home' } }, $defs: { A: { type: 'object' } } })
 * // { type: 'object', properties: { home: { type: 'object', description: 'Home' } } }
 */
export function geminiSchema(schema: Schema): Schema {
  if (!hasRef(schema)) return schema;
  /** The references that stay references, by pointer: their names in the `$defs` sent. */
  const kept = new Map<string, string>();
  /** The names taken, and the suffix each base tries next: definitions named alike (`aé`, `aè` are both `a_`) are thousands in a schema of a few kB. */
  const taken = new Set<string>();
  const suffix = new Map<string, number>();
  const pending: string[] = [];
  let nodes = 0;

  const keep = (ref: string): string => {
    if (ref === '#') return ref;
    let name = kept.get(ref);
    if (name === undefined) {
      const base = ref.replace(/^#\/(\$defs|definitions)\//, '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'def';
      name = base;
      if (taken.has(name)) {
        let i = suffix.get(base) ?? 2;
        while (taken.has(`${base}_${i}`)) i++;
        name = `${base}_${i}`;
        suffix.set(base, i + 1);
      }
      taken.add(name);
      kept.set(ref, name);
      pending.push(ref);
    }
    return `#/$defs/${name}`;
  };

  const walk = (node: unknown, stack: readonly string[]): unknown => {
    if (!isSchema(node)) return node;
    nodes++;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const target = resolve(schema, ref);
      if (isSchema(target)) {
        if (stack.includes(ref) || nodes > MAX_NODES || stack.length > MAX_DEPTH) {
          const out: Schema = { $ref: keep(ref) };
          if (typeof node.description === 'string') out.description = node.description;
          return out;
        }
        const inlined = walk(target, [...stack, ref]) as Schema;
        const { $ref: _, ...beside } = node;
        return { ...inlined, ...keywords(beside, stack) };
      }
    }
    return keywords(node, stack);
  };

  const keywords = (node: Schema, stack: readonly string[]): Schema => {
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (DEFINITIONS.has(k)) continue;
      if (SCHEMA.has(k)) out[k] = Array.isArray(v) ? v.map((s) => walk(s, stack)) : walk(v, stack);
      else if (SCHEMA_LISTS.has(k) && Array.isArray(v)) out[k] = v.map((s) => walk(s, stack));
      else if (SCHEMA_MAPS.has(k) && isSchema(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, walk(s, stack)]));
      else out[k] = v;
    }
    return out;
  };

  // The root is the whole schema: a reference to it ("#") is a cycle.
  const out = walk(schema, ['#']) as Schema;
  const defs: Schema = {};
  for (let i = 0; i < pending.length; i++) {
    const ref = pending[i];
    defs[kept.get(ref)!] = walk(resolve(schema, ref), [ref]);
  }
  if (pending.length > 0) out.$defs = defs;
  return out;
}
