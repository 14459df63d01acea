/**
 * Where a caller stands against its own rate limits, in the headers its SDK's API sends:
 * OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (reset as a Go-style
 * duration from now, `1s`, `6m0s`, `12ms`), Anthropic's
 * `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` (reset as an RFC 3339
 * time, to the second).
 */
import type { Dialect } from '../canonical.js';
import type { RateStanding, Standing } from '../governance/rate-limits.js';

/** Every name these headers may have, for CORS to expose. */
export const RATE_LIMIT_HEADERS: readonly string[] = ['requests', 'tokens'].flatMap((kind) => ['limit', 'remaining', 'reset'].flatMap((part) => [
  `x-ratelimit-${part}-${kind}`, `anthropic-ratelimit-${kind}-${part}`,
]));

/** Adds the headers of `dialect` for `s` at `now` (epoch ms) to `h`. */
export function rateLimitHeaders(dialect: Dialect, s: RateStanding, now: number, h: Record<string, string>): Record<string, string> {
  if (s.requests !== null) put(dialect, 'requests', s.requests, now, h);
  if (s.tokens !== null) put(dialect, 'tokens', s.tokens, now, h);
  return h;
}

function put(dialect: Dialect, kind: 'requests' | 'tokens', s: Standing, now: number, h: Record<string, string>): void {
  if (dialect === 'anthropic') {
    h[`anthropic-ratelimit-${kind}-limit`] = String(s.limit);
    h[`anthropic-ratelimit-${kind}-remaining`] = String(s.remaining);
    // Rounded up: a client that waits until then finds the window whole.
    h[`anthropic-ratelimit-${kind}-reset`] = new Date(Math.ceil(Math.max(s.resetAt, now) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    return;
  }
  h[`x-ratelimit-limit-${kind}`] = String(s.limit);
  h[`x-ratelimit-remaining-${kind}`] = String(s.remaining);
  h[`x-ratelimit-reset-${kind}`] = goDuration(Math.ceil(Math.max(0, s.resetAt - now)));
}

/** Whole milliseconds as Go prints a duration, which OpenAI's reset headers are: `0s`, `12ms`, `1s`, `6m0s`, `1h2m3.5s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  const sec = rest % 1000 === 0 ? String(rest / 1000) : (rest / 1000).toFixed(3).replace(/0+$/, '');
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${sec}s`;
}
