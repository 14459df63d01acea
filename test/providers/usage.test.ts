/** Token counts from providers are charged only as whole, bounded, non-negative numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usageFromAnthropic } from '../../src/wire/anthropic/mapping.js';
import { usageFromGemini } from '../../src/wire/gemini/mapping.js';
import { usageFromOpenAI } from '../../src/wire/openai/mapping.js';
import { MAX_CALL_TOKENS, tokenCount } from '../../src/wire/usage.js';

describe('token counts a provider reports', () => {
  it('are whole, non-negative and bounded', () => {
    assert.equal(tokenCount(12), 12);
    assert.equal(tokenCount(2.1), 3, 'a fraction is rounded up');
    for (const v of [-5, 0, NaN, '12', null, undefined, {}, -Infinity]) assert.equal(tokenCount(v), 0, String(v));
    assert.equal(tokenCount(1e300), MAX_CALL_TOKENS);
    assert.equal(tokenCount(Infinity), MAX_CALL_TOKENS);
  });

  it('OpenAI: negative and absurd counts never reach a budget; cache reads stay within the input', () => {
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: -100, completion_tokens: 1e300, prompt_tokens_details: { cached_tokens: 50 }, completion_tokens_details: { reasoning_tokens: -3 } }),
      { inputTokens: 0, outputTokens: MAX_CALL_TOKENS, cachedInputTokens: 0 });
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: 10, completion_tokens: 2.5, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 1 } }),
      { inputTokens: 10, outputTokens: 3, cachedInputTokens: 4, reasoningTokens: 1 });
  });

  it("DeepSeek: its prompt_cache_hit_tokens are cache reads when the answer has no cached_tokens", () => {
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 }),
      { inputTokens: 100, outputTokens: 5, cachedInputTokens: 64 });
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 64 }, prompt_cache_hit_tokens: 64 }),
      { inputTokens: 100, outputTokens: 5, cachedInputTokens: 64 });
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: 10, completion_tokens: 5, prompt_cache_hit_tokens: 1e9 }), { inputTokens: 10, outputTokens: 5, cachedInputTokens: 10 });
  });

  it('Anthropic: the same, with cache reads and writes added to the input', () => {
    assert.deepEqual(usageFromAnthropic({ input_tokens: -1e20, output_tokens: 'seven', cache_read_input_tokens: -2 }), { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });
    assert.deepEqual(usageFromAnthropic({ input_tokens: 5, output_tokens: 7, cache_read_input_tokens: 2, cache_creation_input_tokens: 3 }),
      { inputTokens: 10, outputTokens: 7, cachedInputTokens: 2, cacheWriteTokens: 3 });
  });

  it('Gemini: the same', () => {
    assert.deepEqual(usageFromGemini({ promptTokenCount: -4, candidatesTokenCount: NaN, cachedContentTokenCount: 9 }), { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });
    assert.deepEqual(usageFromGemini({ promptTokenCount: 11, candidatesTokenCount: 7, cachedContentTokenCount: 2 }), { inputTokens: 11, outputTokens: 7, cachedInputTokens: 2 });
  });
});
