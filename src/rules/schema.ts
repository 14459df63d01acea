/**
 * The rule file and rule test file schemas (ajv, compiled once), with their violations
 * turned into located issues: unknown keys at the key, everything else at the value.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { issueAt, type Issue, type SourceDocument, type PathSegment } from '../config/source.js';
import { closest, didYouMean } from '../config/suggest.js';
import { displayPath, pointerToPath } from '../config/schema.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
addFormats(ajv);

function load(name: string): ValidateFunction {
  return ajv.compile(JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8')) as object);
}

const TESTS_ID = 'https://switchyard.dev/schema/rule-tests.schema.json';

const validators = {
  rules: load('rules.schema.json'),
  tests: load('rule-tests.schema.json'),
  /** A request as in a test case (`switchyard explain --request`). */
  request: ajv.getSchema(`${TESTS_ID}#/definitions/TestRequest`)!,
  /** State as in a test case (`switchyard explain --state`). */
  state: ajv.getSchema(`${TESTS_ID}#/definitions/TestState`)!,
};

export type SchemaName = keyof typeof validators;

const PATTERN_HINTS: Record<string, string> = {
  '#/definitions/TargetRef/pattern': 'must be `provider/model`, optionally followed by `#key-name`',
  '#/definitions/Rule/properties/id/pattern': 'must start with a letter or digit and use only letters, digits, ".", "_" and "-"',
};

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', null: 'null',
};

const ONE_OF_HINTS: Record<string, string> = {
  '#/definitions/Scope/oneOf': 'must be "global" or one of {customer: ID}, {team: ID}, {virtual_key: ID}',
};

/** Validates a parsed document against a schema; returns every violation, located. */
export function validateDocument(schema: SchemaName, doc: SourceDocument): Issue[] {
  const validate = validators[schema];
  if (validate(doc.value)) return [];
  const errors = validate.errors ?? [];
  // A failed oneOf also reports why each branch failed; the oneOf error alone says it better.
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  const kept = errors.filter((e) => e.keyword === 'oneOf' || !oneOfPaths.some((p) => e.instancePath.startsWith(p) && e.schemaPath.includes('/oneOf/')));
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const e of kept) {
    const d = describe(e, doc.value);
    const key = `${d.path.join('\u0000')}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issueAt(doc, d.path, 'schema', d.message, 'error', d.onKey));
  }
  return out;
}

function describe(e: ErrorObject, root: unknown): { path: PathSegment[]; message: string; onKey: boolean } {
  const path = pointerToPath(e.instancePath, root);
  const subject = displayPath(path) || 'the file';
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
      const hint = closest(prop, allowed);
      const rest = hint !== undefined ? `; did you mean "${hint}"?` : ` (expected one of: ${allowed.join(', ')})`;
      return { path: [...path, prop], onKey: true, message: `unknown property "${prop}" in ${displayPath(path) || 'the top level'}${rest}` };
    }
    case 'required':
      return { path, onKey: path.length > 0, message: `${subject} is missing the required property "${String(params.missingProperty)}"` };
    case 'type':
      return { path, onKey: false, message: `${subject} must be ${String(params.type).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ')}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = typeof e.data === 'string' ? ` (got "${e.data}")${didYouMean(e.data, allowed)}` : '';
      return { path, onKey: false, message: `${subject} must be one of: ${allowed.join(', ')}${got}` };
    }
    case 'pattern':
      return { path, onKey: false, message: `${subject} ${PATTERN_HINTS[e.schemaPath] ?? `must match the pattern ${String(params.pattern)}`} (got ${JSON.stringify(e.data)})` };
    case 'oneOf':
      return { path, onKey: false, message: `${subject} ${ONE_OF_HINTS[e.schemaPath] ?? 'does not match any allowed form'} (got ${JSON.stringify(e.data)})` };
    case 'minimum':
    case 'exclusiveMaximum':
    case 'maximum':
    case 'exclusiveMinimum': {
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
      return { path, onKey: false, message: `${subject} must be ${op} ${String(params.limit)}, got ${String(e.data)}` };
    }
    case 'minLength':
      return { path, onKey: false, message: `${subject} must not be empty` };
    case 'minItems':
      return { path, onKey: false, message: `${subject} must list at least ${String(params.limit)} item(s)` };
    case 'format':
      return { path, onKey: false, message: `${subject} must be a valid ${String(params.format)}${params.format === 'date-time' ? ', e.g. 2025-01-31T09:30:00Z' : ''}` };
    default:
      return { path, onKey: false, message: `${subject} ${e.message ?? 'is invalid'}` };
  }
}
