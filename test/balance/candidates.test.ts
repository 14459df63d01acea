/** Which providers and keys may serve a model: eligibleKeys (rotation order) and balanceCandidates. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { balanceCandidates, eligibleKeys, servesModel } from '../../src/balance/index.js';
import type { ResolvedKey, ResolvedProvider } from '../../src/config/types.js';

function key(name: string, over: Partial<ResolvedKey> = {}): ResolvedKey {
  return { name, value: 'secret', models: null, weight: 1, enabled: true, ...over };
}
function provider(id: string, over: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return { id, type: 'openai', enabled: true, weight: 1, baseUrl: null, headers: {}, options: {}, models: null, keys: [], config: { type: 'openai' }, ...over };
}

const openai = provider('openai', {
  weight: 40, models: ['gpt-4o*'],
  keys: [key('low', { weight: 0.3 }), key('mini-only', { models: ['gpt-4o-mini'], weight: 0.5 }), key('high', { weight: 0.7 }), key('off', { enabled: false, weight: 9 }), key('spare', { weight: 0 })],
});
const anthropic = provider('anthropic', { weight: 30, models: ['claude-*'], keys: [key('a1')] });
const mock = provider('mock', { type: 'mock', weight: 0, models: ['*'] });
const disabled = provider('legacy', { enabled: false, weight: 5, models: ['gpt-4o'], keys: [key('x')] });
const providers = [openai, anthropic, mock, disabled];

describe('eligibleKeys', () => {
  it('enabled keys allowing the model with weight > 0, heaviest first, then config order', () => {
    assert.deepEqual(eligibleKeys(openai, 'gpt-4o').map((k) => k.name), ['high', 'low']);
    assert.deepEqual(eligibleKeys(openai, 'gpt-4o-mini').map((k) => k.name), ['high', 'mini-only', 'low']);
    assert.deepEqual(eligibleKeys(openai, 'claude-x'), [], 'the provider allowlist comes first');
  });
  it('servesModel: the allowlists admit it, whatever the weights', () => {
    assert.equal(servesModel(openai, 'gpt-4o'), true);
    assert.equal(servesModel(openai, 'o1'), false);
    assert.equal(servesModel(mock, 'anything'), true, 'keyless providers need no key');
  });
});

describe('balanceCandidates', () => {
  it('enabled providers with positive weight that allow the model, in config order', () => {
    assert.deepEqual(balanceCandidates(providers, { model: 'gpt-4o' }).map((o) => [o.provider, o.weight, o.keys.map((k) => k.name)]), [['openai', 40, ['high', 'low']]]);
    assert.deepEqual(balanceCandidates(providers, { model: 'claude-sonnet-4' }).map((o) => o.provider), ['anthropic']);
  });
  it('a requested provider is the only candidate, even with weight 0; a disabled one is none', () => {
    assert.deepEqual(balanceCandidates(providers, { model: 'x', provider: 'mock' }).map((o) => o.provider), ['mock']);
    assert.deepEqual(balanceCandidates(providers, { model: 'gpt-4o', provider: 'legacy' }), []);
  });
  it('nothing allows the model: empty', () => {
    assert.deepEqual(balanceCandidates(providers, { model: 'llama' }), []);
  });
});
