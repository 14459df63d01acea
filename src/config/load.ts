/**
 * Loading a gateway config: read → parse (YAML/JSON, located) → schema (defaults
 * inserted) → cross-checks → `env.NAME` resolution → freeze. Every problem is collected
 * as a located Issue; nothing throws.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { GatewayConfig } from '../types/gateway-config.js';
import { issueAt, parseSource, type Issue, type Severity, type SourceDocument } from './source.js';
import type { LoadedConfig, LoadOptions, LoadResult, Report } from './types.js';
import { validateAgainstSchema } from './schema.js';
import { checkConfig } from './checks.js';
import { MIN_MASKED_LENGTH, maskSecrets, resolveSecrets } from './secrets.js';
import { proxyPlan, proxySecrets, type ProxyPlan } from './proxy.js';
import { readCaFile } from './tls.js';
import { resolveProviders } from './providers.js';
import { deepFreeze, frozenMap } from './freeze.js';
import { canonicalJson, sha256Hex } from './hash.js';
import { embeddedDefaultConfig } from './default.js';
import { CONFIG_FILE_NAMES, resolveConfigPath } from './discover.js';

/** Shown as the file of issues in the embedded default (there should never be any). */
const EMBEDDED_NAME = '<embedded default>';

/**
 * Loads, validates and freezes the gateway config. `config` is null when any error was found.
 *
 * @example
 * const { config, issues } = loadConfig({ path: 'switchyard.yaml', env: process.env });
 * for (const i of issues) console.error(formatIssue(i));
 */
export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const missingEnv = opts.missingEnv ?? 'error';
  const file = opts.path === null ? null
    : opts.path !== undefined && opts.path !== '' ? resolve(cwd, opts.path)
    : resolveConfigPath(undefined, env, cwd);

  if (file === null) {
    const value = embeddedDefaultConfig(env, cwd);
    const text = canonicalJson(value);
    const doc = parseSource(EMBEDDED_NAME, JSON.stringify(value, null, 2));
    return loadDocument(doc, { file: null, dir: cwd, hash: sha256Hex(text), source: null }, env, missingEnv);
  }

  const ext = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext) && isFolder(file)) {
    const inside = CONFIG_FILE_NAMES.map((n) => join(file, n)).find((f) => existsSync(f));
    return fail({ severity: 'error', code: 'config_read', message: `${file} is a folder, not a config file: ${inside ? `give the file, ${inside}` : 'it holds no switchyard.yaml, .yml or .json'}` });
  }
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    return fail({ severity: 'error', code: 'config_extension', message: `config file ${file} must end in .yaml, .yml or .json` });
  }
  if (!existsSync(file)) return fail({ severity: 'error', code: 'config_not_found', message: `config file not found: ${file}` });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return fail({ severity: 'error', code: 'config_read', message: `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
  }
  const doc = parseSource(file, text);
  if (ext === '.json') strictJson(doc);
  const notConfig = doc.issues.some((i) => i.severity === 'error') ? null : ruleFileKind(doc.value);
  if (notConfig) {
    return fail({ severity: 'error', code: 'not_a_config', message: `${file} is ${notConfig}, not a gateway config: give the gateway config (switchyard.yaml), whose rules.paths names the rule files (default: rules/ beside it)` });
  }
  return loadDocument(doc, { file, dir: dirname(file), hash: sha256Hex(text), source: doc }, env, missingEnv);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * What a rule or rule test file given where the config goes (`validate rules/a.yaml`) is:
 * the config's schema errors ("missing providers", "rules must be a mapping") would not say.
 */
function ruleFileKind(value: unknown): string | null {
  if (!isRecord(value) || 'providers' in value) return null;
  if (Array.isArray(value.rules)) return 'a rule file (it has a "rules:" list)';
  if (Array.isArray(value.tests)) return 'a rule test file (it has a "tests:" list)';
  return null;
}

function fail(issue: Issue): LoadResult {
  return { config: null, issues: [issue] };
}

interface Meta {
  file: string | null;
  dir: string;
  hash: string;
  source: SourceDocument | null;
}

function loadDocument(doc: SourceDocument, meta: Meta, env: NodeJS.ProcessEnv, missingEnv: Severity): LoadResult {
  const issues: Issue[] = [...doc.issues];
  if (issues.some((i) => i.severity === 'error')) return { config: null, issues };

  const report: Report = (path, code, message, o) => {
    issues.push(issueAt(doc, path, code, message, o?.severity ?? 'error', o?.onKey ?? false));
  };
  const data = structuredClone(doc.value);
  validateAgainstSchema(data, report);
  checkConfig(data, meta.dir, report);
  const { secrets } = resolveSecrets(data, env, report, missingEnv);
  const upstream = isRecord(data) && isRecord(data.upstream) ? data.upstream : undefined;
  const egress = proxyPlan(upstream, env);
  for (const p of egress.problems) report(p.path, 'invalid_proxy', p.message);
  // Passwords from the environment's proxy variables, under the same rule as literal secrets.
  secrets.push(...proxySecrets(egress.plan).filter((p) => p.length >= MIN_MASKED_LENGTH));
  const ca = typeof upstream?.ca_file === 'string' && upstream.ca_file !== '' ? readCaFile(upstream.ca_file, meta.dir) : null;
  if (ca && 'problem' in ca) report(['upstream', 'ca_file'], 'invalid_ca_file', ca.problem);

  const located = sortByLocation(issues).map((i) => ({
    ...i,
    message: maskSecrets(i.message, secrets),
    ...(i.sourceLine === undefined ? {} : { sourceLine: maskSecrets(i.sourceLine, secrets) }),
  }));
  if (located.some((i) => i.severity === 'error')) return { config: null, issues: located };
  return { config: build(data as GatewayConfig, meta, egress.plan, ca && 'pem' in ca ? ca.pem : null), issues: located };
}

function build(data: GatewayConfig, meta: Meta, proxy: ProxyPlan, extraCa: string | null): LoadedConfig {
  const config = deepFreeze(data);
  const configured = config.rules?.paths;
  const defaultRules = resolve(meta.dir, 'rules');
  const rulePaths = configured !== undefined
    ? configured.map((p) => resolve(meta.dir, p))
    : existsSync(defaultRules) ? [defaultRules] : [];
  return Object.freeze({
    file: meta.file,
    dir: meta.dir,
    config,
    providers: frozenMap(resolveProviders(config)),
    rulePaths: Object.freeze(rulePaths) as string[],
    source: meta.source,
    hash: meta.hash,
    proxy,
    extraCa,
  });
}

/** YAML accepts things JSON does not (trailing commas, comments); a .json file must be JSON. */
function strictJson(doc: SourceDocument): void {
  try {
    JSON.parse(doc.text);
  } catch (e) {
    const message = (e as Error).message;
    const m = /at position (\d+)/.exec(message);
    const offset = m ? Number(m[1]) : doc.text.length;
    const before = doc.text.slice(0, offset).split(/\r?\n/);
    const location = { file: doc.file, line: before.length, col: before[before.length - 1].length + 1 };
    doc.issues.splice(0, doc.issues.length, {
      severity: 'error', code: 'syntax',
      message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '').replace(/ of JSON input$/, ' of input')}`,
      location, sourceLine: doc.line(location.line),
    });
  }
}

function sortByLocation(issues: Issue[]): Issue[] {
  return [...issues].sort((a, b) => {
    if (!a.location || !b.location) return a.location ? 1 : b.location ? -1 : 0;
    return a.location.line - b.location.line || a.location.col - b.location.col;
  });
}
