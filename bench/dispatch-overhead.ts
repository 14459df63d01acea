/**
 * What dispatch costs per request.
 *
 *   cpu:  the attempt loop with an in-memory transport that answers at once (canned
 *         OpenAI bytes): µs per request of dispatch + adapter work, no network.
 *   http: the same request through dispatch vs a bare undici Pool.request, against the
 *         fake OpenAI upstream on 127.0.0.1 (same process), at 32 in flight.
 *
 * Usage: npx tsx bench/dispatch-overhead.ts [cpu|http] [stream]
 */
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { ChatRequest } from '../src/canonical.js';
import type { ResolvedProvider } from '../src/config/types.js';
import { createDispatcher, type Plan, type Transport } from '../src/dispatch/index.js';
import { startFakeUpstream } from '../test/fakes/upstream.js';

const mode = process.argv[2] ?? 'cpu';
const stream = process.argv.includes('stream');

const JSON_BODY = Buffer.from(JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there, this is a reply.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
}));
const chunk = (delta: unknown, finish: string | null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const SSE_BODY = Buffer.from(chunk({ role: 'assistant', content: '' }, null) + ['Hello', ' there', ', this', ' is', ' a reply.'].map((t) => chunk({ content: t }, null)).join('') + chunk({}, 'stop') + 'data: [DONE]\n\n');

const canned: Transport = {
  async send() {
    return stream
      ? { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Readable.from([SSE_BODY], { objectMode: false }) }
      : { status: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([JSON_BODY], { objectMode: false }) };
  },
  async close() {},
};

function providerAt(baseUrl: string): ResolvedProvider {
  return {
    id: 'x', type: 'openai', enabled: true, weight: 1, baseUrl, headers: {}, options: {}, models: null,
    keys: [{ name: 'k', value: 'sk-bench', models: null, weight: 1, enabled: true }], config: { type: 'openai' },
  };
}

const req: ChatRequest = { kind: 'chat', model: 'm', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream };

async function cpu(): Promise<void> {
  const p = providerAt('https://api.example.com/v1');
  const d = createDispatcher({ config: { providers: new Map([['x', p]]) }, transport: canned });
  const plan: Plan = { primary: { provider: p, model: 'm', key: null }, fallbacks: [], fallbackOn: [] };
  // One shared signal: the caller's AbortController is the server's cost, not dispatch's.
  const opts = { signal: new AbortController().signal };
  const one = async () => {
    const r = await d.chat(req, plan, opts);
    if (r.kind === 'stream') for await (const _ of r.rest) void _;
  };
  for (let i = 0; i < 20_000; i++) await one();
  const n = 100_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await one();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`dispatch with an in-memory transport (${stream ? 'stream' : 'json'}): ${us.toFixed(1)} µs/request (incl. adapter build/parse and the canned body's Readable)`);
}

async function http(): Promise<void> {
  const f = await startFakeUpstream({ name: 'x' });
  const p = providerAt(`${f.url}/v1`);
  const d = createDispatcher({ config: { providers: new Map([['x', p]]) } });
  const plan: Plan = { primary: { provider: p, model: 'm', key: null }, fallbacks: [], fallbackOn: [] };
  const pool = new Pool(f.url, { connections: 128 });
  const via = async () => {
    const r = await d.chat(req, plan, { signal: new AbortController().signal });
    if (r.kind === 'stream') for await (const _ of r.rest) void _;
  };
  const direct = async () => {
    const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream }) });
    await r.body.text();
  };
  const run = async (fn: () => Promise<void>, n: number) => {
    let i = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (i++ < n) await fn();
    }));
    return Math.round(n / ((performance.now() - t0) / 1000));
  };
  await run(direct, 3000);
  await run(via, 3000);
  const rd = await run(direct, 10_000);
  const rv = await run(via, 10_000);
  console.log(`${stream ? 'stream' : 'json'}: undici direct ${rd} req/s, through dispatch ${rv} req/s (${Math.round((rv / rd) * 100)} %)`);
  await d.close();
  await pool.close();
  await f.close();
}

await (mode === 'http' ? http() : cpu());
