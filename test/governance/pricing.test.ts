import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PriceTable, costNano } from '../../src/governance/pricing.js';
import SHIPPED from '../../src/governance/pricing.json' with { type: 'json' };

describe('PriceTable', () => {
  const t = new PriceTable();

  it('prices common models of each provider family, and mock models at $1/$2 per 1M', () => {
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'o3', 'claude-sonnet-4', 'claude-3-5-haiku', 'gemini-2.5-pro', 'gemini-2.0-flash', 'llama-3.3-70b-versatile', 'mistral-large', 'mock', 'mock-model']) {
      assert.ok(t.lookup(m), m);
    }
    assert.equal(t.costUsd('mock-model', { inputTokens: 1_000_000, outputTokens: 1_000_000 }), 3);
    assert.equal(t.costUsd('gpt-4o', { inputTokens: 1000, outputTokens: 500 }), 0.0075);
  });

  it('matches dated and versioned names to their base model', () => {
    const cases: [string, string][] = [
      ['gpt-4o-2024-08-06', 'gpt-4o'],
      ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
      ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet'],
      // Anthropic's aliases of the Claude 4 snapshots: served under a `claude-*` allowlist,
      // they were unpriced, so a caller could spend on them against a budget for $0.
      ['claude-opus-4-0', 'claude-opus-4'],
      ['claude-sonnet-4-0', 'claude-sonnet-4'],
      ['mistral-large-latest', 'mistral-large'],
      ['mistral-large-2411', 'mistral-large'],
      ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
      ['models/gemini-2.5-flash', 'gemini-2.5-flash'],
      ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet-v2@20241022'],
    ];
    for (const [name, base] of cases) {
      if (name === base) assert.equal(t.lookup(name), null, name);
      else assert.deepEqual(t.lookup(name), t.lookup(base), name);
    }
    assert.notDeepEqual(t.lookup('gpt-4o-mini-2024-07-18'), t.lookup('gpt-4o'));
    assert.deepEqual(t.lookup('gpt-4o-mini-2024-07-18'), t.lookup('gpt-4o-mini'));
  });

  it('returns null for unknown models', () => {
    assert.equal(t.lookup('my-finetune'), null);
    assert.equal(t.costUsd('my-finetune', { inputTokens: 1, outputTokens: 1 }), null);
  });

  it('config overrides win, exact or glob, and provider/model entries beat model entries', () => {
    const o = new PriceTable({
      'gpt-4o': { input: 1, output: 1 },
      'ft:*': { input: 10, output: 20 },
      'groq/llama-3.3-70b-versatile': { input: 0.5, output: 0.5 },
    });
    assert.equal(o.costUsd('gpt-4o', { inputTokens: 1e6, outputTokens: 0 }), 1);
    assert.equal(o.costUsd('ft:gpt-4o:acme', { inputTokens: 1e6, outputTokens: 1e6 }), 30);
    assert.equal(o.costUsd('llama-3.3-70b-versatile', { inputTokens: 1e6, outputTokens: 0 }, 'groq'), 0.5);
    assert.equal(o.costUsd('llama-3.3-70b-versatile', { inputTokens: 1e6, outputTokens: 0 }, 'other'), 0.59);
  });

  it('a glob override beats a shipped price for an exact name, and a provider glob beats it too', () => {
    const o = new PriceTable({ 'gpt-*': { input: 1, output: 2 }, 'azure/*': { input: 4, output: 4 } });
    assert.equal(o.costUsd('gpt-4o', { inputTokens: 1e6, outputTokens: 1e6 }), 3, 'not the shipped 2.5 + 10');
    assert.equal(o.costUsd('gpt-4o-2024-08-06', { inputTokens: 1e6, outputTokens: 0 }), 1, 'dated names too');
    assert.equal(o.costUsd('gpt-4o', { inputTokens: 1e6, outputTokens: 0 }, 'azure'), 4, 'provider/model before model');
    assert.equal(o.costUsd('claude-sonnet-4', { inputTokens: 1e5, outputTokens: 0 }), 0.3, 'what no override names keeps the shipped price');
  });

  it('cached input tokens are a subset of input tokens, at the cached price (input price when none)', () => {
    const p = t.lookup('gpt-4o');
    assert.ok(p);
    // 1000 uncached × $2.50/M + 1000 cached × $1.25/M + 100 output × $10/M
    assert.equal(costNano(p, { inputTokens: 2000, cachedInputTokens: 1000, outputTokens: 100 }), 2_500_000 + 1_250_000 + 1_000_000);
    const noCache = new PriceTable({ x: { input: 2, output: 0 } }).lookup('x');
    assert.ok(noCache);
    assert.equal(costNano(noCache, { inputTokens: 10, cachedInputTokens: 10, outputTokens: 0 }), 20_000);
  });

  it('prompt-cache writes are a subset of input tokens, at 1.25 × input (five minutes) and 2 × input (one hour) unless priced', () => {
    const p = t.lookup('claude-sonnet-4');
    assert.ok(p);
    // $3/M input, $0.30/M reads: 100 plain + 1000 read + 600 written for 5 min + 400 for 1 h, and 10 output at $15/M.
    const usage = { inputTokens: 2100, cachedInputTokens: 1000, cacheWriteTokens: 1000, cacheWrite1hTokens: 400, outputTokens: 10 };
    assert.equal(costNano(p, usage), 100 * 3000 + 1000 * 300 + 600 * 3750 + 400 * 6000 + 10 * 15000);
    const priced = new PriceTable({ x: { input: 2, output: 0, cache_write: 3, cache_write_1h: 5 } }).lookup('x');
    assert.ok(priced);
    assert.equal(costNano(priced, { inputTokens: 30, cacheWriteTokens: 20, cacheWrite1hTokens: 5, outputTokens: 0 }), 10 * 2000 + 15 * 3000 + 5 * 5000);
    // Counts past what they are a subset of are clamped, never negative.
    assert.equal(costNano(priced, { inputTokens: 10, cachedInputTokens: 8, cacheWriteTokens: 50, outputTokens: 0 }), 8 * 2000 + 2 * 3000);
  });

  it('a request over a long-context threshold is charged every token at the long-context rates', () => {
    // Gemini 2.5 Pro: $1.25/$10 per 1M up to 200k prompt tokens, $2.50/$15 above.
    assert.equal(t.costUsd('gemini-2.5-pro', { inputTokens: 200_000, outputTokens: 10_000 }), 0.35, '$0.25 + $0.10');
    assert.equal(t.costUsd('gemini-2.5-pro', { inputTokens: 300_000, outputTokens: 10_000 }), 0.9, '$0.75 + $0.15, not $0.375 + $0.10');
    // Claude Sonnet 4 and 4.5 with the 1M-token window: $6/$22.50 above 200k input tokens, cache
    // reads and writes counted in the threshold and priced at the same multiples of the new input rate.
    for (const m of ['claude-sonnet-4-20250514', 'claude-sonnet-4-5', 'claude-sonnet-4-0']) {
      assert.equal(t.costUsd(m, { inputTokens: 300_000, outputTokens: 10_000 }), 2.025, `${m}: $1.80 + $0.225, not $0.90 + $0.15`);
    }
    const p = t.lookup('claude-sonnet-4-5');
    assert.ok(p);
    const usage = { inputTokens: 300_000, cachedInputTokens: 150_000, cacheWriteTokens: 100_000, cacheWrite1hTokens: 40_000, outputTokens: 0 };
    assert.equal(costNano(p, usage), 50_000 * 6000 + 150_000 * 600 + 60_000 * 7500 + 40_000 * 12_000);
    // At or under the threshold nothing changes; a model without a long-context price never changes.
    assert.equal(t.costUsd('claude-sonnet-4-5', { inputTokens: 200_000, outputTokens: 0 }), 0.6);
    assert.equal(t.costUsd('gpt-4.1', { inputTokens: 900_000, outputTokens: 0 }), 1.8);
  });

  it('governance.pricing can set long-context rates, with cache rates scaled from the base tier when left out', () => {
    const o = new PriceTable({
      x: { input: 1, output: 4, cached_input: 0.1, long_context: { above_input_tokens: 1000, input: 2, output: 6 } },
      y: { input: 1, output: 4, long_context: { above_input_tokens: 10, input: 3, output: 5, cached_input: 0.5, cache_write: 4, cache_write_1h: 7 } },
    });
    assert.equal(o.costUsd('x', { inputTokens: 1000, outputTokens: 1e6 }), 4.001);
    const usage = { inputTokens: 1e6, cachedInputTokens: 5e5, cacheWriteTokens: 2e5, cacheWrite1hTokens: 1e5 };
    // 300k plain at $2, 500k read at $0.20 (0.1 × 2/1), 100k written at $2.50 and 100k at $4 (1.25 and 2 × $2), 1M out at $6.
    assert.equal(o.costUsd('x', { ...usage, outputTokens: 1e6 }), 0.6 + 0.1 + 0.25 + 0.4 + 6);
    // 300k plain at $3, 500k read at $0.50, 100k written at $4 and 100k at $7.
    assert.equal(o.costUsd('y', { ...usage, outputTokens: 0 }), 2.25);
  });

  it('a request served at another service tier is charged that tier\'s rates where the price has them', () => {
    // gpt-5: $1.25/$10 standard, $2.50/$20 priority, half price (Batch rates) on flex.
    const usage = { inputTokens: 1e6, cachedInputTokens: 2e5, outputTokens: 1e5 };
    assert.equal(t.costUsd('gpt-5', usage), 2.025, '$1.00 + $0.025 + $1.00');
    assert.equal(t.costUsd('gpt-5', { ...usage, serviceTier: 'default' }), 2.025);
    assert.equal(t.costUsd('gpt-5-2025-08-07', { ...usage, serviceTier: 'priority' }), 4.05, '$2.00 + $0.05 + $2.00');
    assert.equal(t.costUsd('gpt-5', { ...usage, serviceTier: 'flex' }), 1.0125, '$0.50 + $0.0125 + $0.50');
    // A tier the price does not name is charged the standard rates.
    assert.equal(t.costUsd('gpt-4o-mini', { inputTokens: 1e6, outputTokens: 0, serviceTier: 'scale' }), 0.15);
    const o = new PriceTable({ 'llama-*': { input: 1, output: 1, service_tiers: { flex: { input: 0.5, output: 0.5 } } } });
    assert.equal(o.costUsd('llama-4', { inputTokens: 1e6, outputTokens: 1e6, serviceTier: 'flex' }), 1);
  });

  it('web searches a provider ran are charged per search where the price says so', () => {
    // Claude's web search tool: $10 per 1,000 searches on top of the tokens.
    assert.equal(t.costUsd('claude-sonnet-4-5', { inputTokens: 20_000, outputTokens: 1000, webSearchRequests: 5 }), 0.06 + 0.015 + 0.05);
    assert.equal(t.costUsd('claude-haiku-4-5-20251001', { inputTokens: 0, outputTokens: 0, webSearchRequests: 1 }), 0.01);
    // At a long-context or service-tier rate the search fee stays; a price without one charges none.
    assert.equal(t.costUsd('claude-sonnet-4', { inputTokens: 300_000, outputTokens: 0, webSearchRequests: 2 }), 1.82);
    assert.equal(t.costUsd('llama-3.3-70b-versatile', { inputTokens: 0, outputTokens: 0, webSearchRequests: 2 }), 0);
    // OpenAI's web search tool (Responses API): $10 per 1,000 calls, every model that has it.
    assert.equal(t.costUsd('gpt-5', { inputTokens: 0, outputTokens: 0, webSearchRequests: 3 }), 0.03);
    assert.equal(t.costUsd('gpt-4o-mini-2024-07-18', { inputTokens: 0, outputTokens: 0, webSearchRequests: 1 }), 0.01);
    const o = new PriceTable({ x: { input: 1, output: 1, web_search: 25, service_tiers: { priority: { input: 2, output: 2 } } } });
    assert.equal(o.costUsd('x', { inputTokens: 0, outputTokens: 0, webSearchRequests: 4, serviceTier: 'priority' }), 0.1);
  });

  it('costs are exact in nano-USD for typical prices', () => {
    const p = t.lookup('gpt-4o-mini');
    assert.ok(p);
    assert.deepEqual(p, { input: 150, output: 600, cachedInput: 75, cacheWrite: 187.5, cacheWrite1h: 300, webSearch: 10_000_000 });
  });

  it('every shipped entry is well-formed', () => {
    for (const [name, p] of Object.entries(SHIPPED.models as Record<string, { input: number; output: number; cached_input?: number }>)) {
      assert.ok(p.input >= 0 && p.output >= 0, name);
      if (p.cached_input !== undefined) assert.ok(p.cached_input <= p.input, name);
      assert.ok(name.startsWith('mock') || p.input > 0, `${name} is free?`);
    }
  });
});
