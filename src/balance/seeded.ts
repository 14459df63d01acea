/**
 * A small, fast, seeded uniform [0, 1) generator (mulberry32): the RNG to inject where
 * decisions, tests and benchmarks must be reproducible.
 * @example createRouter(bundle, { rng: seededRandom(42) })
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
