/** Token counts from providers are charged only as whole, bounded, non-negative numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usageFromAnthropic } from '../../src/wire/anthropic/mapping.js';
import { usageFromGemini } from '../../src/wire/gemini/mapping.js';
import { usageFromOpenAI } from '../../src/wire/openai/mapping.js';
import { parseOpenAIChatResponse } from '../../src/wire/openai/response.js';
import { OpenAIStreamDecoder } from '../../src/wire/openai/stream-decoder.js';
import { parseResponsesResponse, ResponsesStreamDecoder } from '../../src/wire/responses/upstream-response.js';
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

  it('carry the service tier the provider says it served at, which prices can depend on', () => {
    const counts = { prompt_tokens: 10, completion_tokens: 5 };
    const chat = { id: 'c', model: 'gpt-5', service_tier: 'priority', choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: counts };
    assert.equal(parseOpenAIChatResponse(chat, 'gpt-5').usage.serviceTier, 'priority');
    // A stream says it on every chunk, the usage chunk included.
    const chunk = (extra: object) => `data: ${JSON.stringify({ id: 'c', model: 'gpt-5', service_tier: 'flex', ...extra })}\n\n`;
    const events = new OpenAIStreamDecoder('gpt-5').push(chunk({ choices: [{ index: 0, delta: { content: 'hi' } }] })
      + chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) + chunk({ choices: [], usage: counts }) + 'data: [DONE]\n\n');
    assert.deepEqual(events.find((e) => e.type === 'usage'), { type: 'usage', usage: { inputTokens: 10, outputTokens: 5, serviceTier: 'flex' } });
    const response = { id: 'r', model: 'gpt-5', status: 'completed', service_tier: 'priority', output: [], usage: { input_tokens: 10, output_tokens: 5 } };
    assert.equal(parseResponsesResponse(response, 'gpt-5').usage.serviceTier, 'priority');
    const done = new ResponsesStreamDecoder('gpt-5').push(`event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response })}\n\n`);
    assert.equal(done.flatMap((e) => (e.type === 'usage' ? [e.usage.serviceTier] : [])).join(), 'priority');
    // Anthropic puts it in usage.
    assert.equal(usageFromAnthropic({ input_tokens: 5, output_tokens: 7, service_tier: 'priority' }).serviceTier, 'priority');
    // No tier, or not a name: none.
    assert.equal(parseOpenAIChatResponse({ ...chat, service_tier: 7 }, 'gpt-5').usage.serviceTier, undefined);
  });

  it('Anthropic: the web searches its server tool ran, which are charged apart from tokens', () => {
    assert.equal(usageFromAnthropic({ input_tokens: 5, output_tokens: 7, server_tool_use: { web_search_requests: 3 } }).webSearchRequests, 3);
    assert.equal(usageFromAnthropic({ input_tokens: 5, output_tokens: 7, server_tool_use: { web_search_requests: 0 } }).webSearchRequests, undefined);
    assert.equal(usageFromAnthropic({ input_tokens: 5, output_tokens: 7, server_tool_use: { web_search_requests: -2 } }).webSearchRequests, undefined);
  });

  it('OpenAI Responses API: each web_search_call item, which OpenAI bills apart from tokens, whole and streamed', () => {
    const search = (n: number) => ({ type: 'web_search_call', id: `ws_${n}`, status: 'completed', action: { type: 'search', query: `q${n}` } });
    const message = { type: 'message', id: 'm', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.', annotations: [] }] };
    const response = { id: 'r', model: 'gpt-5', status: 'completed', output: [search(1), search(2), message], usage: { input_tokens: 10, output_tokens: 5 } };
    assert.equal(parseResponsesResponse(response, 'gpt-5').usage.webSearchRequests, 2);
    assert.equal(parseResponsesResponse({ ...response, output: [message] }, 'gpt-5').usage.webSearchRequests, undefined);
    const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const events = new ResponsesStreamDecoder('gpt-5').push(ev('response.created', { response: { ...response, output: [], usage: null } })
      + ev('response.output_item.added', { output_index: 0, item: { ...search(1), status: 'in_progress' } }) + ev('response.output_item.done', { output_index: 0, item: search(1) })
      + ev('response.output_item.done', { output_index: 1, item: search(2) }) + ev('response.output_item.done', { output_index: 2, item: message })
      + ev('response.completed', { response }));
    assert.deepEqual(events.find((e) => e.type === 'usage'), { type: 'usage', usage: { inputTokens: 10, outputTokens: 5, webSearchRequests: 2 } });
  });

  it('OpenAI chat completions: a search model\'s answer that cites the web ran the one search such a model bills for each request', () => {
    const citation = { type: 'url_citation', url_citation: { start_index: 0, end_index: 5, url: 'https://example.com', title: 'Example' } };
    const chat = (annotations: unknown[]) => ({ id: 'c', model: 'gpt-4o-search-preview', choices: [{ message: { role: 'assistant', content: 'Sunny.', annotations }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 5 } });
    assert.equal(parseOpenAIChatResponse(chat([citation]), 'gpt-4o-search-preview').usage.webSearchRequests, 1);
    assert.equal(parseOpenAIChatResponse(chat([]), 'gpt-4o-search-preview').usage.webSearchRequests, undefined);
    const chunk = (extra: object) => `data: ${JSON.stringify({ id: 'c', model: 'gpt-4o-search-preview', ...extra })}\n\n`;
    const events = new OpenAIStreamDecoder('gpt-4o-search-preview').push(chunk({ choices: [{ index: 0, delta: { content: 'Sunny.' } }] })
      + chunk({ choices: [{ index: 0, delta: { annotations: [citation] } }] }) + chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
      + chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5 } }) + 'data: [DONE]\n\n');
    assert.deepEqual(events.find((e) => e.type === 'usage'), { type: 'usage', usage: { inputTokens: 10, outputTokens: 5, webSearchRequests: 1 } });
  });
});
