/**
 * Web searches a provider runs for a request are billed apart from its tokens: each one is
 * charged at its price's fee, in the audit event and on the budgets, whole and streamed,
 * and the usage the client sees keeps its shape.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;

before(async () => {
  oa = await startWireFake({ format: 'openai', name: 'oa' });
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-5', 'gpt-4o-mini-search-preview'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }], options: { api: { 'gpt-5': 'responses' } }, budgets: [{ limit_usd: 100, period: '1d' }] },
    },
    governance: { pricing: { 'gpt-4o-mini-search-preview': { input: 0.15, output: 0.6, web_search: 25 } } },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await oa?.close();
}, HOOK);

/** The audit event of a decision. */
async function eventOf(decisionId: string | null) {
  assert.ok(decisionId, 'a decision id');
  await e2e.gw.runtime.audit.flush();
  const { events } = await e2e.gw.runtime.audit.query({ decision_id: decisionId });
  return events[0];
}

/** What a provider's budgets have been charged so far. */
async function spent(provider: string): Promise<number> {
  const [b] = await e2e.gw.runtime.governance.budgets({ provider });
  assert.equal(b.reserved_usd, 0, 'nothing left reserved');
  return b.spent_usd;
}

const near = (got: number | undefined, want: number, what: string) => assert.ok(Math.abs((got ?? NaN) - want) < 1e-9, `${what}: ${got}, want ${want}`);

describe('web searches are charged', SUITE, () => {
  test("OpenAI's Responses API: each web_search_call at $10 per 1,000 (gpt-5), whole and streamed", async () => {
    // gpt-5: $1.25/M input, $10/M output; the fake reports 11 in, 7 out.
    const tokens = (11 * 1.25 + 7 * 10) / 1e6;
    for (const stream of [false, true]) {
      for (const tools of [[{ type: 'web_search' as const }], undefined]) {
        const before = await spent('oa');
        const params = { model: 'oa/gpt-5', input: 'Weather in Paris today?', ...(tools ? { tools } : {}) };
        let usage: OpenAI.Responses.ResponseUsage | undefined;
        let decision: string | null;
        if (stream) {
          const { data, response } = await openai.responses.create({ ...params, stream: true }).withResponse();
          for await (const ev of data) if (ev.type === 'response.completed') usage = ev.response.usage;
          decision = response.headers.get('x-switchyard-decision-id');
        } else {
          const { data, response } = await openai.responses.create(params).withResponse();
          usage = data.usage;
          decision = response.headers.get('x-switchyard-decision-id');
        }
        const searched = tools !== undefined;
        assert.equal(JSON.stringify(oa.last().body).includes('web_search'), searched);
        const cost = tokens + (searched ? 0.01 : 0);
        near((await eventOf(decision)).outcome.cost_usd, cost, `audit cost (stream ${stream}, search ${searched})`);
        near(await spent('oa') - before, cost, `budget spend (stream ${stream}, search ${searched})`);
        // The client's usage is the tokens, as without a search.
        assert.deepEqual(usage, { input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 18 }, `usage (stream ${stream})`);
      }
    }
  });

  test("OpenAI's chat completions search models: the search each request runs, at the fee the config sets, whole and streamed", async () => {
    // As configured: $0.15/M input, $0.60/M output, $25 per 1,000 searches; the fake reports 11 in, 7 out.
    const tokens = (11 * 0.15 + 7 * 0.6) / 1e6;
    for (const stream of [false, true]) {
      for (const searches of [['weather paris'], undefined]) {
        const before = await spent('oa');
        oa.enqueue({ searches });
        const params = { model: 'oa/gpt-4o-mini-search-preview', messages: [{ role: 'user' as const, content: 'Weather in Paris today?' }] };
        let usage: OpenAI.CompletionUsage | undefined;
        let decision: string | null;
        if (stream) {
          const { data, response } = await openai.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }).withResponse();
          for await (const chunk of data) if (chunk.usage) usage = chunk.usage;
          decision = response.headers.get('x-switchyard-decision-id');
        } else {
          const { data, response } = await openai.chat.completions.create(params).withResponse();
          usage = data.usage;
          decision = response.headers.get('x-switchyard-decision-id');
          assert.equal((data.choices[0].message.annotations ?? []).length, searches ? 1 : 0, 'the citations reach the client');
        }
        const what = `stream ${stream}, searched ${searches !== undefined}`;
        const cost = tokens + (searches ? 0.025 : 0);
        near((await eventOf(decision)).outcome.cost_usd, cost, `audit cost (${what})`);
        near(await spent('oa') - before, cost, `budget spend (${what})`);
        assert.equal(usage?.total_tokens, 18, `usage (${what})`);
        assert.equal(JSON.stringify(usage).includes('search'), false, `usage (${what})`);
      }
    }
  });
});
