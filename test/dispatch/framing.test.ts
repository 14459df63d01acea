/**
 * Stream requests answered with something that is not a stream, as providers and the
 * proxies in front of them send it: what the attempt records, how it is classed for
 * fallback, and that the provider's own words survive.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ResolvedProvider } from '../../src/config/types.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, plan, provider, scriptedUpstream, signal, target } from './helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let scripted: Awaited<ReturnType<typeof scriptedUpstream>>;
let url: string;
let handler: Handler;
let fallback: FakeUpstream;

before(async () => {
  scripted = await scriptedUpstream((req, res) => handler(req, res));
  url = scripted.url;
  fallback = await startFakeUpstream({ name: 'b' });
});
after(async () => {
  await scripted.close();
  await fallback.close();
});
beforeEach(() => fallback.reset());

function answer(status: number, headers: Record<string, string>, body: string): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

function upstream(type: 'openai' | 'anthropic' | 'gemini'): ResolvedProvider {
  if (type !== 'gemini') return provider('a', { url, type });
  return { ...provider('a', { url }), type: 'gemini', baseUrl: url, config: { type: 'gemini' } } as ResolvedProvider;
}

async function firstAttempt(p: ResolvedProvider): Promise<[number, string | null, string | null]> {
  const pb = provider('b', { url: fallback.url });
  const d = dispatcher({ providers: [p, pb], dispatch: { retries_per_target: 0 } });
  const r = await d.chat(chatRequest(true), plan(target(p), [target(pb)]), { signal: signal() });
  assert.equal(r.kind, 'stream');
  if (r.kind === 'stream') for await (const _ of r.rest) { /* drain */ }
  assert.deepEqual(r.attempts.map((x) => [x.provider, x.status]), [['a', 200], ['b', 200]], 'the fallback serves');
  await d.close();
  const a = r.attempts[0];
  return [a.status, a.fallback_reason, a.error ?? null];
}

describe('a stream request answered 200 with a body that is not SSE', () => {
  const SSE = { 'content-type': 'text/event-stream' };
  for (const [type, body, kind, said] of [
    ['openai', { error: { message: 'Rate limit reached for gpt-4o', type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' } }, 'rate_limited', 'Rate limit reached for gpt-4o'],
    ['anthropic', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'overloaded', 'Overloaded'],
    ['gemini', [{ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }], 'rate_limited', 'Resource has been exhausted (e.g. check quota).'],
    ['openai', { error: { message: 'model is loading', type: 'server_error' } }, 'server_error', 'model is loading'],
  ] as const) {
    it(`${type}: a JSON error labelled text/event-stream keeps its message and class (${kind})`, async () => {
      handler = answer(200, SSE, JSON.stringify(body, null, 2));
      assert.deepEqual(await firstAttempt(upstream(type)), [200, kind, `upstream answered a stream request with a body that is not SSE: ${said}`]);
    });
  }

  it('an HTML page without a content-type: its title, server_error', async () => {
    handler = answer(200, {}, '<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head><body>challenge</body></html>');
    assert.deepEqual(await firstAttempt(upstream('openai')), [200, 'server_error', 'upstream answered a stream request with a body that is not SSE: upstream returned HTTP 200 with an HTML body: Just a moment...']);
  });

  it('an SSE stream cut inside its first event is still a stream cut short', async () => {
    handler = answer(200, SSE, 'data: {"id":"c","choices":[{"delta":{"content":"Hi"}');
    assert.deepEqual(await firstAttempt(upstream('openai')), [200, 'stream_error', 'upstream stream error before any content: upstream stream ended without terminator']);
  });
});
