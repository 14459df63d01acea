/** Weighted choice: the draw, standby weights, the rescaled second level, and the observed split. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createChooser, normalize, pickWeighted, type ProviderOption } from '../../src/balance/index.js';
import { seededRandom as prng } from '../../src/balance/seeded.js';


describe('pickWeighted', () => {
  it('maps the draw onto cumulative weights and rescales it within the bucket', () => {
    assert.deepEqual(pickWeighted([3, 1], 0), { index: 0, rest: 0 });
    assert.deepEqual(pickWeighted([3, 1], 0.375), { index: 0, rest: 0.5 });
    assert.deepEqual(pickWeighted([3, 1], 0.875), { index: 1, rest: 0.5 });
    assert.equal(pickWeighted([3, 1], 0.999999)!.index, 1);
    assert.equal(pickWeighted([], 0.5), null);
  });
  it('weight 0 never wins while some weight is positive; all zero is uniform', () => {
    for (let d = 0; d < 1; d += 0.01) assert.equal(pickWeighted([0, 2, 0], d)!.index, 1);
    assert.equal(pickWeighted([0, 0], 0.2)!.index, 0);
    assert.equal(pickWeighted([0, 0], 0.7)!.index, 1);
  });
  it('normalize scales weights to 1 under the same rule', () => {
    assert.deepEqual(normalize([40, 30, 20, 10]), [0.4, 0.3, 0.2, 0.1]);
    assert.deepEqual(normalize([0, 2]), [0, 1]);
    assert.deepEqual(normalize([0, 0]), [0.5, 0.5]);
  });
});

describe('the observed split of 100,000 seeded draws matches the weights (chi-square)', () => {
  const options: ProviderOption[] = [
    { provider: 'openai', model: 'm', weight: 40, keys: [{ name: 'a', weight: 0.7 }, { name: 'b', weight: 0.3 }], pinned: false },
    { provider: 'anthropic', model: 'm', weight: 30, keys: [{ name: 'c', weight: 1 }], pinned: false },
    { provider: 'gemini', model: 'm', weight: 20, keys: [], pinned: false },
    { provider: 'groq', model: 'm', weight: 10, keys: [{ name: 'd', weight: 2 }, { name: 'e', weight: 1 }, { name: 'f', weight: 1 }], pinned: false },
    { provider: 'spare', model: 'm', weight: 0, keys: [], pinned: false },
  ];
  const chooser = createChooser(options);
  const expected = new Map(chooser.choose(0).targets.map((t) => [`${t.provider}#${t.key ?? ''}`, t.weight!]));

  it('target weights are provider share × key share', () => {
    assert.deepEqual([...expected], [
      ['openai#a', 0.28], ['openai#b', 0.12], ['anthropic#c', 0.3], ['gemini#', 0.2],
      ['groq#d', 0.05], ['groq#e', 0.025], ['groq#f', 0.025], ['spare#', 0],
    ]);
  });

  it('chi-square below the 0.999 quantile, and weight 0 never drawn', () => {
    const N = 100_000;
    const rng = prng(20250601);
    const counts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const s = chooser.choose(rng()).selected!;
      const k = `${s.provider}#${s.key ?? ''}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    assert.equal(counts.get('spare#'), undefined);
    let chi2 = 0;
    for (const [k, p] of expected) {
      if (p === 0) continue;
      const e = N * p;
      chi2 += ((counts.get(k) ?? 0) - e) ** 2 / e;
    }
    // 7 categories → 6 degrees of freedom; the 0.999 quantile of χ²(6) is 22.458.
    assert.ok(chi2 < 22.458, `chi-square ${chi2.toFixed(2)} over ${JSON.stringify([...counts])}`);
  });

  it('skipping an unavailable provider renormalizes the rest', () => {
    const c = chooser.choose(0.5, new Map([['openai', 'cooldown'], ['groq#d', 'rate_limit_exceeded']]));
    assert.deepEqual(c.targets.map((t) => [`${t.provider}#${t.key ?? ''}`, t.weight]), [
      ['anthropic#c', 0.5], ['gemini#', 0.333333], ['groq#e', 0.083333], ['groq#f', 0.083333], ['spare#', 0],
    ]);
    assert.deepEqual(c.skipped, ['openai:cooldown', 'groq#d:rate_limit_exceeded']);
  });
});
