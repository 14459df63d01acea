/** Temporary config + rule trees, compiled; routing contexts with defaults. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/types.js';
import { formatIssue, type Issue } from '../../src/config/source.js';
import type { RoutingContext } from '../../src/decision.js';
import { compileRuleBundle, type RuleBundle } from '../../src/rules/index.js';

/** Strips the common indentation of a template literal and its first/last blank lines. */
export function text(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

/** A fresh folder holding `files` (path → text); returns its absolute path. */
export function tempTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-rules-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

/** Providers, principals and settings most rule tests share. */
export const CONFIG = text(`
  providers:
    openai:
      type: openai
      weight: 40
      models: [gpt-4o, gpt-4o-mini]
      keys:
        - {name: oa-main, value: k1, weight: 3}
        - {name: oa-mini, value: k2, models: [gpt-4o-mini], weight: 1}
        - {name: oa-spare, value: k3, weight: 0}
    anthropic:
      type: anthropic
      weight: 30
      models: ["claude-*"]
      keys: [{name: an-main, value: k4}]
    gemini:
      type: gemini
      weight: 20
      models: [gemini-2.5-pro, gemini-2.5-flash, gpt-4o]
      keys: [{name: ge-main, value: k5}]
    groq:
      type: openai-compatible
      base_url: https://api.groq.com/openai/v1
      weight: 10
      models: [llama-3.3-70b-versatile]
      keys: [{name: gr-main, value: k6}]
    legacy:
      type: openai
      enabled: false
      models: [gpt-4o]
      keys: [{name: legacy-main, value: env.LEGACY_KEY}]
    mock:
      type: mock
      weight: 0
      models: ["*"]
  aliases:
    fast: groq/llama-3.3-70b-versatile
    default-chat: gpt-4o-mini
  governance:
    customers: [{id: acme, tier: gold}, {id: globex}]
    teams:
      - {id: ml-research, customer: acme, tier: premium}
      - {id: support, customer: acme}
    virtual_keys:
      - {id: vk-app, team: ml-research, key_hash: "sha256:${'a'.repeat(64)}"}
      - {id: vk-support, team: support, key_hash: "sha256:${'b'.repeat(64)}"}
      - {id: vk-solo, customer: globex, tier: bronze, key_hash: "sha256:${'c'.repeat(64)}"}
  rules: {paths: [rules/]}
`);

export interface Compiled {
  dir: string;
  config: LoadedConfig;
  bundle: RuleBundle | null;
  issues: Issue[];
  /** Issues as `validate` prints them, with the folder prefix removed. */
  rendered: string;
}

/** Writes `switchyard.yaml` (default CONFIG) and `files`, loads the config and compiles its rules. */
export function compileTree(files: Record<string, string>, config: string = CONFIG): Compiled {
  const dir = tempTree({ 'switchyard.yaml': config, ...files });
  if (!Object.keys(files).some((f) => f.startsWith('rules/'))) mkdirSync(join(dir, 'rules'), { recursive: true });
  const loaded = loadConfig({ path: join(dir, 'switchyard.yaml'), env: {} });
  if (!loaded.config) throw new Error(`test config does not load:\n${loaded.issues.map(formatIssue).join('\n')}`);
  const { bundle, issues } = compileRuleBundle(loaded.config);
  return { dir, config: loaded.config, bundle, issues, rendered: issues.map((i) => formatIssue(i).split(`${dir}/`).join('')).join('\n') };
}

/** Compiles and insists there is no error. */
export function bundleOf(files: Record<string, string>, config?: string): RuleBundle {
  const c = compileTree(files, config);
  if (!c.bundle) throw new Error(`rules do not compile:\n${c.rendered}`);
  return c.bundle;
}

/** A routing context: an anonymous chat request for gpt-4o unless overridden. */
export function ctx(over: Partial<RoutingContext> = {}): RoutingContext {
  return {
    headers: {},
    tier: '',
    team: '',
    customer: '',
    virtual_key: '',
    model: 'gpt-4o',
    provider: '',
    endpoint: 'chat',
    stream: false,
    params: {},
    budget_used: 0,
    tokens_used: 0,
    requests_used: 0,
    now: new Date('2025-06-02T10:00:00Z'),
    ...over,
  };
}

/** Principal fields as the server resolves them for the CONFIG virtual keys. */
export const PRINCIPALS = {
  'vk-app': { virtual_key: 'vk-app', team: 'ml-research', customer: 'acme', tier: 'premium' },
  'vk-support': { virtual_key: 'vk-support', team: 'support', customer: 'acme', tier: 'gold' },
  'vk-solo': { virtual_key: 'vk-solo', team: '', customer: 'globex', tier: 'bronze' },
} as const;
