/**
 * What the official SDKs do with the gateway's refusals, with their own retries left on
 * (two by default, honouring `x-should-retry`, `retry-after-ms` and `retry-after`, however
 * long it says). A refusal waiting cannot fix soon is not retried; one it can is retried
 * when the gateway says, and each retry is a request of its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/governance/index.js';
import { startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const KEYS = { budget: 'sk-sy-retries-budget', rate: 'sk-sy-retries-rate', free: 'sk-sy-retries-free' };

let e2e: E2EGateway;
/** Requests the SDKs sent, by path. */
let calls: string[] = [];

const counting: typeof fetch = (url, init) => {
  calls.push(new URL(String(url)).pathname);
  return fetch(url, init);
};

/** Clients as users make them: default retries and timeout; only the key and base URL set. */
const openai = (key: string) => new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: key, fetch: counting });
const anthropic = (key: string) => new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: key, fetch: counting });
const chat = { max_tokens: 50, messages: [{ role: 'user' as const, content: 'hi' }] };

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: false },
    governance: {
      virtual_keys: [
        // mock-* models cost $1/$2 per 1M tokens: 50 output tokens do not fit in this.
        { id: 'vk-budget', key_hash: hashKey(KEYS.budget), budgets: [{ limit_usd: 0.000001, period: '1d' }] },
        { id: 'vk-rate', key_hash: hashKey(KEYS.rate), rate_limit: { requests: 1, per: '1s' } },
        { id: 'vk-free', key_hash: hashKey(KEYS.free) },
      ],
    },
    dispatch: { retries_per_target: 0, backoff: { base_ms: 1, cap_ms: 5 } },
    providers: {
      m: { type: 'mock', models: ['mock-1'] },
      // Spent for the month from its first request on.
      monthly: { type: 'mock', models: ['mock-monthly'], budgets: [{ limit_usd: 0.000001, period: '1M' }] },
    },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

function refusal(e: unknown, cls: new (...args: never[]) => Error, code: string): { retryAfter: string | null; shouldRetry: string | null } {
  assert.ok(e instanceof cls, `got ${String(e)}`);
  const err = e as unknown as { status: number; headers?: Headers; code?: string; error?: { error?: { code?: string } } };
  assert.equal(err.code ?? err.error?.error?.code, code);
  return { retryAfter: err.headers?.get('retry-after') ?? null, shouldRetry: err.headers?.get('x-should-retry') ?? null };
}

describe('refusals retrying cannot fix are not retried', SUITE, () => {
  test("the caller's spent daily budget: one call, and the SDK says so at once", async () => {
    calls = [];
    await assert.rejects(openai(KEYS.budget).chat.completions.create({ model: 'mock-1', ...chat }), (e) => {
      const h = refusal(e, OpenAI.RateLimitError, 'SY_ERR_BUDGET_EXCEEDED');
      assert.equal(h.shouldRetry, 'false');
      return true;
    });
    await assert.rejects(anthropic(KEYS.budget).messages.create({ model: 'mock-1', ...chat }), (e) => {
      const h = refusal(e, Anthropic.RateLimitError, 'SY_ERR_BUDGET_EXCEEDED');
      assert.equal(h.shouldRetry, 'false');
      return true;
    });
    assert.deepEqual(calls, ['/v1/chat/completions', '/anthropic/v1/messages']);
  });

  test("a provider's budget spent until next month: the client hears when, and its SDK does not sleep until then", { timeout: 10_000 }, async () => {
    calls = [];
    await assert.rejects(openai(KEYS.free).chat.completions.create({ model: 'monthly/mock-monthly', ...chat }), (e) => {
      const h = refusal(e, OpenAI.RateLimitError, 'SY_ERR_BUDGET_EXCEEDED');
      assert.ok(Number(h.retryAfter) > 60, `Retry-After ${h.retryAfter} says when it resets`);
      assert.equal(h.shouldRetry, 'false');
      return true;
    });
    await assert.rejects(anthropic(KEYS.free).messages.create({ model: 'monthly/mock-monthly', ...chat }), (e) => {
      refusal(e, Anthropic.RateLimitError, 'SY_ERR_BUDGET_EXCEEDED');
      return true;
    });
    assert.equal(calls.length, 2, calls.join(', '));
  });

  test('an upstream 429 that asks for hours is passed on, not slept through', { timeout: 10_000 }, async () => {
    calls = [];
    await assert.rejects(openai(KEYS.free).chat.completions.create({ model: 'm/mock-1', ...chat }, { headers: { 'x-mock-fail': '429', 'x-mock-retry-after': '7200' } }), (e) => {
      const h = refusal(e, OpenAI.RateLimitError, 'SY_ERR_UPSTREAM_RATE_LIMITED');
      assert.equal(h.retryAfter, '7200');
      assert.equal(h.shouldRetry, 'false');
      return true;
    });
    assert.equal(calls.length, 1);
  });
});

describe('refusals waiting fixes are retried when the gateway says', SUITE, () => {
  test("the caller's requests-per-second limit: the SDK waits the Retry-After and is served", async () => {
    await openai(KEYS.rate).chat.completions.create({ model: 'mock-1', ...chat });
    calls = [];
    const answer = await openai(KEYS.rate).chat.completions.create({ model: 'mock-1', ...chat }).withResponse();
    assert.equal(answer.response.status, 200);
    assert.equal(calls.length, 2, 'one refusal, then the retry it asked for');
  });

  test('an upstream 429 that asks for a second is retried by the SDK, not refused for good', async () => {
    calls = [];
    await assert.rejects(anthropic(KEYS.free).messages.create({ model: 'm/mock-1', ...chat }, { headers: { 'x-mock-fail': '429', 'x-mock-retry-after': '1' } }), (e) => {
      const h = refusal(e, Anthropic.RateLimitError, 'SY_ERR_UPSTREAM_RATE_LIMITED');
      assert.equal(h.retryAfter, '1');
      assert.equal(h.shouldRetry, null);
      return true;
    });
    assert.equal(calls.length, 3, 'the first call and two retries');
  });
});

describe('each SDK raises its own class for an overload', SUITE, () => {
  test("every target overloaded: Anthropic's OverloadedError (529) for an Anthropic client, a 503 for an OpenAI one", async () => {
    const overloaded = { headers: { 'x-mock-fail': '529' }, maxRetries: 0 };
    await assert.rejects(anthropic(KEYS.free).messages.create({ model: 'm/mock-1', ...chat }, overloaded), (e) => {
      const h = refusal(e, Anthropic.OverloadedError, 'SY_ERR_OVERLOADED');
      assert.equal((e as InstanceType<typeof Anthropic.APIError>).status, 529);
      assert.equal(((e as InstanceType<typeof Anthropic.APIError>).error as { error: { type: string } }).error.type, 'overloaded_error');
      assert.equal(h.retryAfter, '1');
      assert.equal(h.shouldRetry, null, 'a momentary overload is left to the SDK to retry');
      return true;
    });
    await assert.rejects(openai(KEYS.free).chat.completions.create({ model: 'm/mock-1', ...chat }, overloaded), (e) => {
      refusal(e, OpenAI.InternalServerError, 'SY_ERR_OVERLOADED');
      assert.equal((e as InstanceType<typeof OpenAI.APIError>).status, 503);
      return true;
    });
  });
});
