/**
 * The gateway config schema, compiled once at module load (ajv, draft-07), and its
 * errors turned into located issues a person can act on.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { PathSegment } from './source.js';
import type { Report } from './types.js';
import { closest, didYouMean } from './suggest.js';

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

export const GATEWAY_SCHEMA_URL = new URL('../../schema/gateway.schema.json', import.meta.url);
export const gatewaySchema = JSON.parse(readFileSync(GATEWAY_SCHEMA_URL, 'utf8')) as Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true });
addFormats(ajv);
const validateGateway = ajv.compile(gatewaySchema);

/** Schema patterns (by their text) said in words, since a regex means little to a reader. */
const PATTERN_HINTS: Record<string, string> = {
  '^[0-9]+(ms|s|m|h|d|w|M)$': 'is not a duration: write a whole number and a unit, e.g. 500ms, 30s, 1m, 1h, 1d, 1w, 1M',
  '^(sha256|hmac-sha256):[0-9a-f]{64}$': 'must be "sha256:" or "hmac-sha256:" followed by 64 lowercase hex digits',
  '^/': 'must be a JSON pointer starting with /, e.g. /request/params/temperature',
  '^(\\*|https?://[^/\\s]+)$': 'must be a browser origin, scheme and host with no path, e.g. https://app.example.com or http://localhost:5173, or "*"',
};

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', null: 'null',
};

/**
 * Validates `data` in place (schema defaults are inserted) and reports every violation.
 * Returns whether it is valid.
 */
export function validateAgainstSchema(data: unknown, report: Report): boolean {
  if (validateGateway(data)) return true;
  const seen = new Set<string>();
  for (const e of validateGateway.errors ?? []) {
    // The inner failure of `propertyNames` has no property name; its parent error does.
    if (e.schemaPath.includes('/propertyNames/')) continue;
    const mapped = describe(e, data);
    const key = `${mapped.path.join('\u0000')}|${mapped.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    report(mapped.path, 'schema', mapped.message, { onKey: mapped.onKey });
  }
  return false;
}

interface Described {
  path: PathSegment[];
  message: string;
  onKey: boolean;
}

function describe(e: ErrorObject, root: unknown): Described {
  const path = pointerToPath(e.instancePath, root);
  const where = displayPath(path);
  const subject = where || 'the config';
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = closest(prop, allowed);
      const rest = hint !== undefined ? `; did you mean "${hint}"?` : allowed.length ? ` (expected one of: ${allowed.join(', ')})` : '';
      return { path: [...path, prop], onKey: true, message: `unknown property "${prop}" in ${where || 'the top level'}${rest}` };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      return {
        path: [...path, name], onKey: true,
        message: `${where === 'providers' ? 'provider id' : `key in ${where}`} "${name}" is invalid: use lowercase letters, digits, "-" and "_", starting with a letter or digit`,
      };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      if (path.length === 0 && (e.data === null || e.data === undefined)) return { path, onKey: false, message: 'the config is empty' };
      return { path, onKey: path.length > 0, message: `${subject} is missing the required property "${missing}"` };
    }
    case 'type': {
      if (path.length === 0 && (e.data === null || e.data === undefined)) return { path, onKey: false, message: 'the config is empty' };
      const want = String(params.type).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      return { path, onKey: false, message: `${subject} must be ${want}, not ${kindOf(e.data)}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = typeof e.data === 'string' ? e.data : undefined;
      const hint = got === undefined ? '' : didYouMean(got, allowed);
      return { path, onKey: false, message: `${subject} must be one of: ${allowed.join(', ')}${got === undefined ? '' : ` (got "${got}")`}${hint}` };
    }
    case 'const':
      return { path, onKey: false, message: `${subject} must be ${JSON.stringify(params.allowedValue)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
      const weightHint = path.at(-1) === 'weight' && e.keyword === 'minimum'
        ? ' (0 means it serves only when a rule or a pinned provider/model names it)' : '';
      return { path, onKey: false, message: `${subject} must be ${op} ${String(params.limit)}, got ${String(e.data)}${weightHint}` };
    }
    case 'minLength':
      return { path, onKey: false, message: Number(params.limit) === 1 ? `${subject} must not be empty` : `${subject} must be at least ${String(params.limit)} characters long` };
    case 'minItems':
      return { path, onKey: false, message: `${subject} must list at least ${String(params.limit)} item${Number(params.limit) === 1 ? '' : 's'}` };
    case 'pattern': {
      const hint = PATTERN_HINTS[String(params.pattern)];
      return { path, onKey: false, message: hint ? `${subject} ${hint}` : `${subject} must match the pattern ${String(params.pattern)}` };
    }
    case 'format':
      return {
        path, onKey: false,
        message: params.format === 'uri' ? `${subject} must be an absolute URL, e.g. https://api.example.com/v1` : `${subject} must be a valid ${String(params.format)}`,
      };
    default:
      return { path, onKey: false, message: `${subject} ${e.message ?? 'is invalid'}` };
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  return typeof v;
}

/** JSON pointer → path segments, with list indexes as numbers (the YAML locator needs them). */
export function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const i = Number(seg);
      path.push(i);
      node = node[i];
    } else {
      path.push(seg);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}

/** `providers.openai.keys[0].weight` */
export function displayPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
