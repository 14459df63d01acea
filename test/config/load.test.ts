/** Loading: defaults, env resolution, secrets, freezing, discovery, the embedded default and the example. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { embeddedDefaultConfig, formatIssue, loadConfig, resolveConfigPath } from '../../src/config/index.js';
import { canonicalJson, sha256Hex } from '../../src/config/hash.js';
import { EXAMPLE_ENV, tempTree, text } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

function load(config: string, env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) {
  const dir = tempTree({ 'switchyard.yaml': `${text(config)}\n`, ...files });
  return { dir, ...loadConfig({ path: 'switchyard.yaml', cwd: dir, env }) };
}

describe('defaults', () => {
  it('applies schema defaults everywhere, including sections left out', () => {
    const { config, issues } = load(`
      providers:
        local: {type: mock}
        openai:
          type: openai
          keys: [{name: main, value: env.OPENAI_API_KEY}]
      governance:
        teams: [{id: t}]
    `, { OPENAI_API_KEY: 'sk-1234567' });
    assert.deepEqual(issues, []);
    assert.ok(config);
    const c = config.config;
    assert.equal(c.server?.port, 8080);
    assert.equal(c.server?.host, '127.0.0.1');
    assert.equal(c.server?.allow_unauthenticated, false);
    assert.equal(c.dispatch?.timeouts?.total_ms, 120000);
    assert.equal(c.dispatch?.cooldown?.consecutive_failures, 5);
    assert.equal(c.routing?.shape_cache_size, 10000);
    assert.equal(c.governance?.store?.type, 'memory');
    assert.equal(c.governance?.teams?.[0].enabled, true);
    assert.equal(c.audit?.enabled, true);
    assert.equal(c.providers.openai.weight, 1);
    assert.equal(c.providers.openai.enabled, true);
    assert.equal(c.providers.openai.keys?.[0].weight, 1);
  });

  it('resolves providers: weights, allowlists, keys, headers and options', () => {
    const { config } = load(`
      providers:
        groq:
          type: openai-compatible
          base_url: https://api.groq.com/openai/v1
          weight: 0
          models: [llama-3.3-70b-versatile]
          headers: {x-org: env.ORG}
          keys:
            - {name: g1, value: env.GROQ_API_KEY, weight: 2, models: ["llama-*"]}
            - {name: g2, value: env.GROQ_2, enabled: false}
        off:
          type: anthropic
          enabled: false
    `, { GROQ_API_KEY: 'gsk-123456', ORG: 'org-42' });
    assert.ok(config);
    const groq = config.providers.get('groq');
    assert.deepEqual({ ...groq, config: undefined }, {
      id: 'groq', type: 'openai-compatible', enabled: true, weight: 0, baseUrl: 'https://api.groq.com/openai/v1',
      headers: { 'x-org': 'org-42' }, options: {}, models: ['llama-3.3-70b-versatile'],
      keys: [
        { name: 'g1', value: 'gsk-123456', models: ['llama-*'], weight: 2, enabled: true },
        { name: 'g2', value: '', models: null, weight: 1, enabled: false },
      ],
      config: undefined,
    });
    const off = config.providers.get('off');
    assert.equal(off?.enabled, false);
    assert.deepEqual(off?.keys, []);
    assert.deepEqual([...config.providers.keys()], ['groq', 'off']);
  });
});

describe('env references', () => {
  it('a missing variable of an enabled provider is a located error; with missingEnv: warning it is a warning and the config loads', () => {
    const yaml = `
      providers:
        openai:
          type: openai
          keys: [{name: main, value: env.OPENAI_API_KEY}]
    `;
    const strict = load(yaml);
    assert.equal(strict.config, null);
    assert.deepEqual(strict.issues.map((i) => [i.severity, i.code, i.location?.line, i.location?.col]), [['error', 'env_missing', 4, 32]]);

    const dir = tempTree({ 'switchyard.yaml': text(yaml) });
    const lenient = loadConfig({ path: 'switchyard.yaml', cwd: dir, env: {}, missingEnv: 'warning' });
    assert.deepEqual(lenient.issues.map((i) => [i.severity, i.code]), [['warning', 'env_missing']]);
    assert.equal(lenient.config?.providers.get('openai')?.keys[0].value, '');
  });

  it('never puts a secret into an issue: env values and literal keys are masked, even in the caret line', () => {
    const secrets = ['sk-env-SECRET-0001', 'sk-literal-SECRET-0002', 'redis://:SECRET-0003@cache:6379'];
    const { issues } = load(`
      server: {admin_token: env.ADMIN}
      providers:
        openai:
          type: openai
          keys:
            - {name: main, value: sk-literal-SECRET-0002, wieght: 1}
            - {name: env, value: env.OPENAI_API_KEY, weight: -1}
      governance:
        store: {type: redis, url: env.REDIS_URL, prefx: "x"}
    `, { ADMIN: 'a', OPENAI_API_KEY: secrets[0], REDIS_URL: secrets[2] });
    assert.equal(issues.length, 3);
    const out = issues.map(formatIssue).join('\n') + JSON.stringify(issues);
    for (const s of secrets) assert.ok(!out.includes(s), `output contains ${s}`);
    assert.match(out, /value: \*{22}, wieght/);
  });

  it('resolves every SecretRef place', () => {
    const { config, issues } = load(`
      server: {admin_token: env.A}
      providers:
        p:
          type: openai
          headers: {x-h: env.B}
          keys: [{name: k, value: env.C}]
      governance:
        key_secret: env.D
        store: {type: redis, url: env.E}
      audit:
        sinks: [{type: postgres, url: env.F}]
    `, { A: 'va', B: 'vb', C: 'vc', D: 'vd', E: 've', F: 'vf' });
    assert.deepEqual(issues, []);
    const c = config!.config;
    assert.deepEqual(
      [c.server?.admin_token, c.providers.p.headers?.['x-h'], c.providers.p.keys?.[0].value, c.governance?.key_secret, c.governance?.store?.url, c.audit?.sinks?.[0].url],
      ['va', 'vb', 'vc', 'vd', 've', 'vf'],
    );
  });
});

describe('server.allow_unauthenticated', () => {
  it('with virtual keys is a warning: a request without a key escapes what the keys hold it to', () => {
    const keys = `{virtual_keys: [{id: vk, key_hash: "sha256:${'0'.repeat(64)}", allowed_models: [gpt-4o-mini]}]}`;
    const open = load(`
      server: {allow_unauthenticated: true}
      providers: {local: {type: mock}}
      governance: ${keys}
    `);
    assert.ok(open.config, open.issues.map(formatIssue).join('\n'));
    assert.deepEqual(open.issues.map((i) => [i.severity, i.code, i.location?.line]), [['warning', 'anonymous_with_keys', 1]]);
    assert.deepEqual(load(`
      providers: {local: {type: mock}}
      governance: ${keys}
    `).issues, []);
    assert.deepEqual(load(`
      server: {allow_unauthenticated: true}
      providers: {local: {type: mock}}
    `).issues, []);
  });
});

describe('the loaded config', () => {
  const { config } = load(`
    providers:
      local: {type: mock, options: {latency_ms: 5}}
    governance:
      customers: [{id: acme, budgets: [{limit_usd: 5, period: 1d}]}]
  `);

  it('is deep-frozen, providers map included', () => {
    assert.ok(config);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.config.governance?.customers?.[0].budgets?.[0]));
    assert.throws(() => { (config.config.providers.local as { weight?: number }).weight = 3; }, TypeError);
    assert.throws(() => { (config.rulePaths as string[]).push('x'); }, TypeError);
    assert.throws(() => (config.providers as Map<string, unknown>).set('x', {}), TypeError);
    assert.throws(() => (config.providers as Map<string, unknown>).delete('local'), TypeError);
    assert.throws(() => { (config.providers.get('local')!.options as Record<string, unknown>).latency_ms = 1; }, TypeError);
  });

  it('carries its file, folder and the sha256 of its text', () => {
    const { dir, config: c } = load('providers: {local: {type: mock}}');
    assert.equal(c?.file, join(dir, 'switchyard.yaml'));
    assert.equal(c?.dir, dir);
    assert.equal(c?.hash, sha256Hex(readFileSync(join(dir, 'switchyard.yaml'), 'utf8')));
    assert.equal(c?.source?.file, join(dir, 'switchyard.yaml'));
  });
});

describe('rule paths', () => {
  it('default to <dir>/rules when it exists, else none', () => {
    assert.deepEqual(load('providers: {local: {type: mock}}').config?.rulePaths, []);
    const withRules = load('providers: {local: {type: mock}}', {}, { 'rules/a.yaml': 'rules: []\n' });
    assert.deepEqual(withRules.config?.rulePaths, [join(withRules.dir, 'rules')]);
  });

  it('are resolved against the config folder', () => {
    const dir = tempTree({ 'conf/switchyard.yaml': 'providers: {local: {type: mock}}\nrules: {paths: [policies, ../shared.yaml]}\n', 'conf/policies/a.yaml': '', 'shared.yaml': '' });
    const { config, issues } = loadConfig({ path: 'conf/switchyard.yaml', cwd: dir, env: {} });
    assert.deepEqual(issues, []);
    assert.deepEqual(config?.rulePaths, [join(dir, 'conf/policies'), join(dir, 'shared.yaml')]);
  });
});

describe('config discovery', () => {
  it('--config, then SWITCHYARD_CONFIG, then ./switchyard.yaml|.yml|.json, else null', () => {
    const dir = tempTree({ 'switchyard.yml': '', 'switchyard.json': '' });
    assert.equal(resolveConfigPath('x/a.yaml', { SWITCHYARD_CONFIG: 'b.yaml' }, dir), join(dir, 'x/a.yaml'));
    assert.equal(resolveConfigPath(undefined, { SWITCHYARD_CONFIG: 'b.yaml' }, dir), join(dir, 'b.yaml'));
    assert.equal(resolveConfigPath(undefined, {}, dir), join(dir, 'switchyard.yml'));
    assert.equal(resolveConfigPath(undefined, {}, tempTree({})), null);
  });

  it('loadConfig without a path discovers the file; null forces the embedded default', () => {
    const dir = tempTree({ 'switchyard.json': '{"providers": {"j": {"type": "mock"}}}' });
    assert.deepEqual([...loadConfig({ cwd: dir, env: {} }).config!.providers.keys()], ['j']);
    assert.equal(loadConfig({ path: null, cwd: dir, env: {} }).config?.file, null);
  });
});

describe('the embedded default', () => {
  it('validates, with one mock provider, no auth, port 8080, SQLite audit and no rules', () => {
    const cwd = tempTree({ 'rules/x.yaml': '' });
    const { config, issues } = loadConfig({ cwd, env: {} });
    assert.deepEqual(issues, []);
    assert.ok(config);
    assert.equal(config.file, null);
    assert.equal(config.source, null);
    assert.equal(config.dir, cwd);
    assert.equal(config.config.server?.port, 8080);
    assert.equal(config.config.server?.allow_unauthenticated, true);
    assert.deepEqual(config.config.audit?.sinks?.map((s) => [s.type, s.path]), [['sqlite', 'data/audit.db']]);
    assert.deepEqual([...config.providers.values()].map((p) => [p.id, p.type, p.weight, p.models, p.options]), [['mock', 'mock', 1, ['*'], { latency_ms: 0, models: ['mock-model'] }]]);
    assert.deepEqual(config.rulePaths, [], 'the rules/ beside it are not picked up');
    assert.equal(config.hash, sha256Hex(canonicalJson(embeddedDefaultConfig({}, cwd))));
  });

  it('uses the paths SWITCHYARD_RULES lists, relative to the working directory', () => {
    const cwd = tempTree({ 'mine/a.yaml': '', 'more.yaml': '' });
    assert.deepEqual(loadConfig({ path: null, cwd, env: { SWITCHYARD_RULES: `mine${delimiter}more.yaml` } }).config?.rulePaths, [join(cwd, 'mine'), join(cwd, 'more.yaml')]);
    // There is no shorthand for the example rules (they route to the example config's providers): `1` is a path.
    assert.deepEqual(loadConfig({ path: null, cwd, env: { SWITCHYARD_RULES: '1' } }).issues.map((i) => i.message), [`rules path "${join(cwd, '1')}" does not exist (looked for ${join(cwd, '1')})`]);
  });
});

describe('switchyard.example.yaml', () => {
  it('validates when its env vars are set, with the providers and principals the example rules use', () => {
    const { config, issues } = loadConfig({ path: join(ROOT, 'switchyard.example.yaml'), env: EXAMPLE_ENV });
    assert.deepEqual(issues.map(formatIssue), []);
    assert.ok(config);
    assert.deepEqual([...config.providers.keys()], ['openai', 'anthropic', 'gemini', 'groq', 'azure', 'mock']);
    const g = config.config.governance!;
    assert.deepEqual(g.customers?.map((c) => c.id), ['acme']);
    assert.deepEqual(g.teams?.map((t) => [t.id, t.customer, t.tier]), [['ml-research', 'acme', 'premium'], ['support', 'acme', 'standard']]);
    assert.deepEqual(g.virtual_keys?.map((v) => [v.id, v.team]), [['vk-app', 'ml-research'], ['vk-support', 'support']]);
    assert.deepEqual(config.rulePaths, [join(ROOT, 'rules')]);
    assert.equal(config.config.$schema, './schema/gateway.schema.json');
  });

  it('without its env vars lists each missing variable, located', () => {
    const { config, issues } = loadConfig({ path: join(ROOT, 'switchyard.example.yaml'), env: {} });
    assert.equal(config, null);
    assert.deepEqual(issues.map((i) => /environment variable (\w+)/.exec(i.message)?.[1]),
      ['SWITCHYARD_ADMIN_TOKEN', 'OPENAI_API_KEY', 'OPENAI_API_KEY_2', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GROQ_API_KEY']);
  });

  it('demo virtual keys match their documented hashes', async () => {
    const { createHash } = await import('node:crypto');
    const { config } = loadConfig({ path: join(ROOT, 'switchyard.example.yaml'), env: EXAMPLE_ENV });
    const hashes = config!.config.governance!.virtual_keys!.map((v) => v.key_hash);
    assert.deepEqual(hashes, ['sk-sy-example-app', 'sk-sy-example-support'].map((k) => `sha256:${createHash('sha256').update(k).digest('hex')}`));
  });
});
