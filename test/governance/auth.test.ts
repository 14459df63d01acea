import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { createGovernance, GovernanceConfigError, checkGovernance, MemoryStore, generateKey, hashKey } from '../../src/governance/index.js';
import type { GatewayConfig, GovernanceConfig } from '../../src/types/gateway-config.js';

const KEY_APP = generateKey();
const KEY_OFF = generateKey();
const KEY_TEAM_OFF = generateKey();
const KEY_CUSTOMER_OFF = generateKey();
const KEY_HMAC = generateKey('sk-hm-');
const SECRET = 'server-secret-for-tests';

function config(governance: GovernanceConfig, allowUnauthenticated = false): GatewayConfig {
  return {
    server: { allow_unauthenticated: allowUnauthenticated },
    providers: { openai: { type: 'openai' }, anthropic: { type: 'anthropic' }, local: { type: 'mock' } },
    governance,
  };
}

const GOV: GovernanceConfig = {
  key_secret: SECRET,
  customers: [{ id: 'acme', tier: 'gold' }, { id: 'gone', enabled: false }],
  teams: [
    { id: 'ml', customer: 'acme', tier: 'premium', allowed_providers: ['openai', 'anthropic'] },
    { id: 'paused', customer: 'acme', enabled: false },
    { id: 'orphan', customer: 'gone' },
  ],
  virtual_keys: [
    { id: 'vk-app', key_hash: hashKey(KEY_APP), team: 'ml', allowed_models: ['gpt-4o*', 'anthropic/claude-*'] },
    { id: 'vk-off', key_hash: hashKey(KEY_OFF), team: 'ml', enabled: false },
    { id: 'vk-team-off', key_hash: hashKey(KEY_TEAM_OFF), team: 'paused' },
    { id: 'vk-customer-off', key_hash: hashKey(KEY_CUSTOMER_OFF), team: 'orphan' },
    { id: 'vk-hmac', key_hash: hashKey(KEY_HMAC, 'hmac-sha256', SECRET), customer: 'acme', tier: 'basic' },
  ],
};

const gov = createGovernance(config(GOV), { store: new MemoryStore() });

function unauthorized(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SwitchyardError);
    assert.equal(err.code, 'SY_ERR_UNAUTHORIZED');
    assert.equal(err.status, 401);
    assert.match(err.message, message);
    return true;
  });
}

describe('authenticate', () => {
  it('accepts the key as Authorization: Bearer, x-api-key and x-switchyard-key', () => {
    const forms = [
      { authorization: `Bearer ${KEY_APP}` },
      { authorization: `bearer  ${KEY_APP} ` },
      { 'x-api-key': KEY_APP },
      { 'x-switchyard-key': KEY_APP },
      { 'x-switchyard-key': [KEY_APP] },
    ];
    for (const headers of forms) {
      const p = gov.authenticate(headers);
      assert.equal(p.virtualKey, 'vk-app', JSON.stringify(headers));
    }
  });

  it('resolves the chain key → team → customer, with the nearest tier and lists', () => {
    const p = gov.authenticate({ authorization: `Bearer ${KEY_APP}` });
    assert.deepEqual({ ...p }, {
      virtualKey: 'vk-app', team: 'ml', customer: 'acme', tier: 'premium',
      allowedModels: ['gpt-4o*', 'anthropic/claude-*'], allowedProviders: ['openai', 'anthropic'],
    });
    assert.ok(Object.isFrozen(p));
    assert.equal(gov.authenticate({ 'x-api-key': KEY_APP }), p, 'the same principal object every time');
  });

  it('x-switchyard-key wins over Authorization (which may carry a provider key)', () => {
    const p = gov.authenticate({ authorization: 'Bearer sk-some-provider-key', 'x-switchyard-key': KEY_HMAC });
    assert.equal(p.virtualKey, 'vk-hmac');
  });

  it('accepts hmac-sha256 hashes made with governance.key_secret', () => {
    const p = gov.authenticate({ 'x-api-key': KEY_HMAC });
    assert.deepEqual([p.virtualKey, p.team, p.customer, p.tier], ['vk-hmac', null, 'acme', 'basic']);
  });

  it('refuses unknown keys, including near misses', () => {
    unauthorized(() => gov.authenticate({ authorization: `Bearer ${generateKey()}` }), /Unknown virtual key/);
    unauthorized(() => gov.authenticate({ authorization: `Bearer ${KEY_APP.slice(0, -1)}` }), /Unknown/);
    unauthorized(() => gov.authenticate({ authorization: `Bearer ${KEY_APP}x` }), /Unknown/);
    unauthorized(() => gov.authenticate({ 'x-api-key': hashKey(KEY_APP) }), /Unknown/);
  });

  it('refuses a disabled key, a key of a disabled team and of a disabled customer', () => {
    for (const key of [KEY_OFF, KEY_TEAM_OFF, KEY_CUSTOMER_OFF]) {
      unauthorized(() => gov.authenticate({ authorization: `Bearer ${key}` }), /disabled/);
    }
  });

  it('refuses a request without a key, and says how to send one', () => {
    unauthorized(() => gov.authenticate({}), /Missing virtual key.*Bearer.*x-api-key.*x-switchyard-key/);
    unauthorized(() => gov.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }), /Missing/);
    unauthorized(() => gov.authenticate({ 'x-api-key': '' }), /Missing/);
  });

  it('allow_unauthenticated: no key → anonymous principal (with a warning at start); a wrong key is still refused', () => {
    const warnings: string[] = [];
    const open = createGovernance(config(GOV, true), { store: new MemoryStore(), logger: { warn: (_o, m) => warnings.push(m) } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /allow_unauthenticated/);
    assert.deepEqual({ ...open.authenticate({}) }, { virtualKey: null, team: null, customer: null, tier: '', allowedModels: null, allowedProviders: null });
    assert.equal(open.authenticate({ 'x-api-key': KEY_APP }).virtualKey, 'vk-app');
    unauthorized(() => open.authenticate({ 'x-api-key': 'sk-sy-wrong' }), /Unknown/);
  });
});

describe('checkModelAllowed', () => {
  const p = gov.authenticate({ authorization: `Bearer ${KEY_APP}` });

  it('allows what every scope allows (model globs match model or provider/model)', () => {
    gov.checkModelAllowed(p, 'openai', 'gpt-4o');
    gov.checkModelAllowed(p, 'openai', 'gpt-4o-mini');
    gov.checkModelAllowed(p, 'anthropic', 'claude-sonnet-4');
    assert.equal(gov.isModelAllowed(p, 'openai', 'gpt-4o'), true);
  });

  it('refuses with SY_ERR_MODEL_NOT_ALLOWED naming the scope that forbids it', () => {
    const cases: [string, string, string, string][] = [
      ['openai', 'o3', 'virtual_key', 'vk-app'],
      ['openai', 'claude-sonnet-4', 'virtual_key', 'vk-app'],
      ['local', 'gpt-4o', 'team', 'ml'],
    ];
    for (const [provider, model, level, id] of cases) {
      assert.throws(() => gov.checkModelAllowed(p, provider, model), (err: unknown) => {
        assert.ok(err instanceof SwitchyardError);
        assert.equal(err.code, 'SY_ERR_MODEL_NOT_ALLOWED');
        assert.deepEqual(err.details, { level, id, provider, model });
        return true;
      });
      assert.equal(gov.isModelAllowed(p, provider, model), false);
    }
  });

  it("a glob qualified by a provider's id admits that provider's models only, not a model of that name elsewhere", () => {
    const g = createGovernance(config({
      virtual_keys: [
        { id: 'vk-q', key_hash: hashKey(KEY_APP), allowed_models: ['anthropic/claude-*', 'meta-llama/*'] },
      ],
    }), { store: new MemoryStore() });
    const q = g.authenticate({ authorization: `Bearer ${KEY_APP}` });
    assert.equal(g.isModelAllowed(q, 'anthropic', 'claude-sonnet-4'), true);
    // An OpenRouter-style provider serving a model named anthropic/claude-…: not what the key was given.
    assert.equal(g.isModelAllowed(q, 'local', 'anthropic/claude-sonnet-4'), false);
    // meta-llama names no provider: it is a model name with a slash, wherever it is served.
    assert.equal(g.isModelAllowed(q, 'local', 'meta-llama/Llama-3.3-70B'), true);
  });

  it('anonymous and unrestricted principals may use anything', () => {
    const h = gov.authenticate({ 'x-api-key': KEY_HMAC });
    gov.checkModelAllowed(h, 'local', 'anything');
  });
});

describe('governance config checks', () => {
  it('reports every problem with its path, and createGovernance refuses the config', () => {
    const bad: GovernanceConfig = {
      customers: [{ id: 'c' }, { id: 'c' }],
      teams: [{ id: 't', customer: 'nope', allowed_providers: ['openai', 'ghost'] }],
      virtual_keys: [
        { id: 'k1', key_hash: hashKey('a'), team: 'missing' },
        { id: 'k2', key_hash: hashKey('a'), customer: 'c' },
        { id: 'k3', key_hash: hashKey('b', 'hmac-sha256', 's') },
        { id: 'k4', key_hash: hashKey('c'), budgets: [{ limit_usd: 1, period: '0d' }] },
      ],
    };
    const issues = checkGovernance(config(bad)).map((i) => [i.path.join('.'), i.code]);
    assert.deepEqual(issues, [
      ['governance.customers.1.id', 'duplicate_id'],
      ['governance.teams.0.allowed_providers.1', 'unknown_provider'],
      ['governance.teams.0.customer', 'unknown_customer'],
      ['governance.virtual_keys.0.team', 'unknown_team'],
      ['governance.virtual_keys.1.key_hash', 'duplicate_key_hash'],
      ['governance.virtual_keys.2.key_hash', 'key_secret_missing'],
      ['governance.virtual_keys.3.budgets.0.period', 'duration'],
    ]);
    assert.throws(() => createGovernance(config(bad), { store: new MemoryStore() }), (err: unknown) => {
      assert.ok(err instanceof GovernanceConfigError);
      assert.equal(err.issues.length, 7);
      return true;
    });
  });

  it('flags a key whose customer contradicts its team', () => {
    const issues = checkGovernance(config({
      customers: [{ id: 'a' }, { id: 'b' }],
      teams: [{ id: 't', customer: 'a' }],
      virtual_keys: [{ id: 'k', key_hash: hashKey('k'), team: 't', customer: 'b' }],
    }));
    assert.deepEqual(issues.map((i) => i.code), ['customer_mismatch']);
  });
});
