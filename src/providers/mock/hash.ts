/** Deterministic numbers for the mock: FNV-1a hashing and hash-seeded vectors. */

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A unit-length vector whose components come from an xorshift32 stream seeded by the text's hash. */
export function hashVector(text: string, dimensions: number): number[] {
  let s = fnv1a(text) || 1;
  const v: number[] = new Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const x = ((s >>> 0) / 0xffffffff) * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) v[i] /= norm;
  return v;
}
