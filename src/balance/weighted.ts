/**
 * The one weighted choice in Switchyard. A uniform draw in [0, 1) picks a bucket in
 * proportion to its weight; the draw's position inside that bucket, rescaled to
 * [0, 1), is returned so a second-level choice (a key within the chosen provider)
 * reuses the same recorded draw instead of consuming fresh randomness.
 */

export interface Pick {
  index: number;
  /** The draw rescaled within the chosen bucket, in [0, 1). */
  rest: number;
}

/**
 * Picks an index with probability weight / sum(weights). Weights ≤ 0 never win while
 * some weight is positive ("standby"); when none is, the choice is uniform over all.
 * Returns null for an empty list.
 *
 * @example pickWeighted([3, 1], 0.8) // → {index: 1, rest: 0.2}
 */
export function pickWeighted(weights: readonly number[], draw: number): Pick | null {
  const n = weights.length;
  if (n === 0) return null;
  let total = 0;
  for (let i = 0; i < n; i++) if (weights[i] > 0) total += weights[i];
  const d = draw >= 0 && draw < 1 ? draw : 0;
  if (total <= 0) {
    const x = d * n;
    const index = Math.min(n - 1, Math.floor(x));
    return { index, rest: clampUnit(x - index) };
  }
  const target = d * total;
  let cum = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w > 0)) continue;
    last = i;
    if (target < cum + w) return { index: i, rest: clampUnit((target - cum) / w) };
    cum += w;
  }
  // Floating-point rounding put the draw past the last bucket's end.
  return { index: last, rest: clampUnit(1 - Number.EPSILON) };
}

function clampUnit(x: number): number {
  if (!(x > 0)) return 0;
  return x < 1 ? x : 1 - Number.EPSILON;
}

/** Weights scaled to sum to 1 under the same standby rule as pickWeighted. */
export function normalize(weights: readonly number[]): number[] {
  let total = 0;
  for (const w of weights) if (w > 0) total += w;
  if (total <= 0) return weights.map(() => 1 / weights.length);
  return weights.map((w) => (w > 0 ? w / total : 0));
}
