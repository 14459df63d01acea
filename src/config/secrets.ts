/**
 * `env.NAME` references: resolved from the environment at load, in the places the
 * schema marks as SecretRef. Values never reach an Issue: messages name the variable only.
 */
import type { PathSegment, Severity } from './source.js';
import type { Report } from './types.js';
import { displayPath } from './schema.js';

/**
 * Where SecretRef values live in the config (`*` is any key or index). A test checks this
 * list against every `$ref: SecretRef` in schema/gateway.schema.json.
 */
export const SECRET_PATHS: readonly (readonly string[])[] = [
  ['server', 'admin_token'],
  ['upstream', 'proxy'],
  ['providers', '*', 'headers', '*'],
  ['providers', '*', 'keys', '*', 'value'],
  ['governance', 'key_secret'],
  ['governance', 'store', 'url'],
  ['audit', 'sinks', '*', 'url'],
];

const ENV_REF = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** Literal secrets shorter than this are not masked: masking "abc" everywhere would garble output. */
export const MIN_MASKED_LENGTH = 6;

export interface SecretResolution {
  /** Every secret value (resolved or literal), for masking any output that might echo it. */
  secrets: string[];
}

/**
 * Replaces `env.NAME` strings in `data` (mutated) with the variables' values. An unset or
 * empty variable is reported, unless its provider or key is disabled; it is then removed.
 */
export function resolveSecrets(data: unknown, env: NodeJS.ProcessEnv, report: Report, missingEnv: Severity): SecretResolution {
  const secrets: string[] = [];
  for (const pattern of SECRET_PATHS) {
    for (const { path, parent, key } of matches(data, pattern)) {
      const raw = (parent as Record<string | number, unknown>)[key];
      if (typeof raw !== 'string') continue;
      if (!raw.startsWith('env.')) {
        if (raw.length >= MIN_MASKED_LENGTH) secrets.push(raw);
        continue;
      }
      const m = ENV_REF.exec(raw);
      if (!m) {
        report(path, 'env_ref', `${displayPath(path)}: "${raw}" is not a valid reference; write env.NAME with letters, digits and _ (not starting with a digit)`);
        continue;
      }
      const value = env[m[1]];
      if (value !== undefined && value !== '') {
        (parent as Record<string | number, unknown>)[key] = value;
        if (value.length >= MIN_MASKED_LENGTH) secrets.push(value);
        continue;
      }
      delete (parent as Record<string | number, unknown>)[key];
      if (isDisabled(data, path)) continue;
      const state = value === undefined ? 'is not set' : 'is empty';
      const consequence = missingEnv === 'warning' ? ' (left empty)' : '';
      report(path, 'env_missing', `environment variable ${m[1]} ${state}; ${displayPath(path)} needs it${consequence}`, { severity: missingEnv });
    }
  }
  return { secrets };
}

/** Masks secrets with `*` of the same length, so caret columns still line up. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('*'.repeat(s.length));
  return out;
}

interface Match {
  path: PathSegment[];
  parent: object;
  key: string | number;
}

function* matches(node: unknown, pattern: readonly string[], path: PathSegment[] = []): Generator<Match> {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = pattern;
  const keys: (string | number)[] = head !== '*'
    ? [head]
    : Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
  for (const k of keys) {
    const child = (node as Record<string | number, unknown>)[k];
    if (child === undefined) continue;
    if (rest.length === 0) yield { path: [...path, k], parent: node, key: k };
    else yield* matches(child, rest, [...path, k]);
  }
}

/** A provider's secrets (keys, headers) may be unset while it, or the key, is disabled. */
function isDisabled(data: unknown, path: readonly PathSegment[]): boolean {
  if (path[0] !== 'providers') return false;
  const provider = (data as { providers: Record<string, { enabled?: unknown; keys?: { enabled?: unknown }[] }> }).providers[path[1] as string];
  if (provider?.enabled === false) return true;
  return path[2] === 'keys' && Array.isArray(provider?.keys) && provider.keys[path[3] as number]?.enabled === false;
}
