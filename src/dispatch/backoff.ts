/** How long to wait before retrying the same target. */

/**
 * Exponential backoff with full jitter: a uniform draw in [0, min(cap, base · 2^retry)).
 * Full jitter spreads a burst of clients that failed together instead of having them
 * retry in lockstep (AWS Architecture Blog, "Exponential Backoff And Jitter").
 *
 * @example backoffMs(0, 100, 2000, rng) // 0..99
 * @example backoffMs(3, 100, 2000, rng) // 0..799
 */
export function backoffMs(retry: number, baseMs: number, capMs: number, rng: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(rng() * ceiling);
}

/**
 * The wait before retry number `retry`: the upstream's Retry-After when it sent one
 * (never sooner than it asked), else the jittered backoff.
 */
export function retryWaitMs(retry: number, retryAfterMs: number | undefined, baseMs: number, capMs: number, rng: () => number): number {
  return retryAfterMs !== undefined ? retryAfterMs : backoffMs(retry, baseMs, capMs, rng);
}
