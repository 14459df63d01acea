import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, rateLimitHeaders } from '../../src/server/rate-limit-headers.js';

test('reset durations print as Go prints them, as OpenAI sends them', () => {
  assert.deepEqual([0, 12, 999, 1000, 1500, 60_000, 360_000, 1_199_998, 3_600_000, 85_656_648].map(goDuration),
    ['0s', '12ms', '999ms', '1s', '1.5s', '1m0s', '6m0s', '19m59.998s', '1h0m0s', '23h47m36.648s']);
});

test('each dialect gets its own names; a reset is a duration from now for OpenAI, a time to the second (rounded up) for Anthropic', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const s = { requests: { limit: 600, remaining: 598, resetAt: now + 200.4 }, tokens: null };
  assert.deepEqual(rateLimitHeaders('openai', s, now, {}), { 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '598', 'x-ratelimit-reset-requests': '201ms' });
  assert.deepEqual(rateLimitHeaders('anthropic', { requests: null, tokens: { limit: 9, remaining: 0, resetAt: now + 1001 } }, now, {}), {
    'anthropic-ratelimit-tokens-limit': '9', 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': '2026-01-01T12:00:02Z',
  });
});
