/** Model allowlist globs and did-you-mean suggestions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowlistMatches, closest, modelMatches } from '../../src/config/index.js';
import { editDistance } from '../../src/config/suggest.js';

describe('modelMatches', () => {
  const cases: [string, string, boolean][] = [
    ['gpt-4o', 'gpt-4o', true],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-4o*', 'gpt-4o-mini', true],
    ['gpt-4o*', 'gpt-4o', true],
    ['claude-*', 'claude-sonnet-4', true],
    ['claude-*', 'claude', false],
    ['*', '', true],
    ['*', 'meta-llama/llama-3.3-70b', true],
    ['meta-llama/*', 'meta-llama/llama-3.3-70b', true],
    ['*-mini', 'gpt-4o-mini', true],
    ['*-mini', 'gpt-4o-mini-2024', false],
    ['gemini-*-flash', 'gemini-2.5-flash', true],
    ['gemini-*-flash', 'gemini-2.5-pro', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['**', 'x', true],
    ['GPT-4o', 'gpt-4o', false],
    ['gpt-4.1', 'gpt-401', false],
  ];
  for (const [pattern, model, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(model)}`, () => {
      assert.equal(modelMatches(pattern, model), expected);
    });
  }

  it('a null allowlist allows everything; an empty one nothing', () => {
    assert.equal(allowlistMatches(null, 'x'), true);
    assert.equal(allowlistMatches([], 'x'), false);
    assert.equal(allowlistMatches(['a', 'x*'], 'xy'), true);
  });
});

describe('suggestions', () => {
  it('counts a transposition as one edit', () => {
    assert.equal(editDistance('wieght', 'weight'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests only plausible typos', () => {
    assert.equal(closest('wieght', ['name', 'value', 'weight', 'enabled']), 'weight');
    assert.equal(closest('provider', ['providers', 'server']), 'providers');
    assert.equal(closest('Weight', ['weight']), 'weight');
    assert.equal(closest('jitter', ['base_ms', 'cap_ms']), undefined);
    assert.equal(closest('ab', ['xy']), undefined);
  });
});
