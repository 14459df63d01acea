/**
 * A target whose provider cannot take the request as it is (its adapter refuses to build
 * it: more stop sequences than OpenAI takes, a whitespace-only one for Anthropic, no
 * embeddings API) is passed over without a call, recorded `unsupported_request`, and the
 * plan moves on, whatever fallback_on says. It takes nothing on the way: no admission, no
 * attempt of max_attempts. When no target can take it, the first refusal is the answer.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ChatRequest } from '../../src/canonical.js';
import { DispatchError, type FallbackAdmission } from '../../src/dispatch/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, embeddingsRequest, plan, provider, rejection, signal, target } from './helpers.js';

let a: FakeUpstream;
let b: FakeUpstream;
let c: FakeUpstream;

before(async () => {
  [a, b, c] = await Promise.all([
    startFakeUpstream({ name: 'a' }),
    startFakeUpstream({ name: 'b' }),
    startFakeUpstream({ name: 'c', format: 'anthropic' }),
  ]);
});
after(async () => {
  await Promise.all([a, b, c].map((f) => f.close()));
});
beforeEach(() => {
  for (const f of [a, b, c]) {
    f.reset();
    f.setDefault('ok');
  }
});

/** OpenAI takes at most 4 stop sequences; an OpenAI-compatible server, any number. */
const FIVE_STOPS: ChatRequest = { ...chatRequest(), stop: ['1', '2', '3', '4', '5'] };

function providers() {
  return {
    openai: provider('a', { url: a.url }),
    compat: provider('b', { type: 'openai-compatible', url: b.url }),
    anthropic: provider('c', { type: 'anthropic', url: c.url }),
  };
}

class Moves implements FallbackAdmission {
  readonly moves: string[] = [];
  moveTo(t: { provider: string; model: string }): void {
    this.moves.push(`${t.provider}/${t.model}`);
  }
}

const rows = (attempts: { provider: string; status: number; fallback_reason: string | null }[]) => attempts.map((x) => [x.provider, x.status, x.fallback_reason]);

describe('a target whose provider cannot take the request', () => {
  it('is passed over without a call, and the next target serves, whatever fallback_on says', async () => {
    const { openai, compat } = providers();
    const d = dispatcher({ providers: [openai, compat] });
    const r = await d.chat(FIVE_STOPS, plan(target(openai), [target(compat)], []), { signal: signal() });
    assert.deepEqual(r.served, { provider: 'b', model: 'gpt-test', key: 'b-key' });
    assert.deepEqual(rows(r.attempts), [['a', 0, 'unsupported_request'], ['b', 200, null]]);
    assert.match(r.attempts[0].error!, /^stop: OpenAI's chat completions API takes at most 4 stop sequences, and this request has 5/);
    assert.equal(r.attempts[0].latency_ms, 0);
    assert.equal(a.calls, 0);
    assert.deepEqual(JSON.parse(b.requests[0].body).stop, FIVE_STOPS.stop);
    await d.close();
  });

  it('takes no admission and no attempt of max_attempts', async () => {
    const { openai, compat, anthropic } = providers();
    const d = dispatcher({ providers: [openai, compat, anthropic], dispatch: { max_attempts: 2, retries_per_target: 0 } });
    c.setDefault('status:500');
    const admission = new Moves();
    const r = await d.chat(FIVE_STOPS, plan(target(anthropic), [target(openai), target(compat)]), { signal: signal(), admission });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(rows(r.attempts), [['c', 500, 'server_error'], ['a', 0, 'unsupported_request'], ['b', 200, null]]);
    assert.deepEqual(admission.moves, ['b/gpt-test'], 'the admission never moved to the provider that could not take it');
    await d.close();
  });

  it('no target can take it: the first refusal is the answer, 400 naming the field, and every refusal is recorded', async () => {
    const { openai, anthropic } = providers();
    const d = dispatcher({ providers: [openai, anthropic] });
    const req: ChatRequest = { ...chatRequest(), stop: ['\n', '2', '3', '4', '5'] };
    const e = await rejection<DispatchError>(d.chat(req, plan(target(openai), [target(anthropic)]), { signal: signal() }));
    assert.ok(e instanceof DispatchError);
    assert.equal(e.code, 'SY_ERR_BAD_REQUEST');
    assert.equal(e.status, 400);
    assert.match(e.message, /^stop: OpenAI's chat completions API takes at most 4 stop sequences/);
    assert.deepEqual(e.details, { param: 'stop' });
    assert.deepEqual(rows(e.attempts), [['a', 0, 'unsupported_request'], ['c', 0, 'unsupported_request']]);
    assert.match(e.attempts[1].error!, /^stop\[0\]: Anthropic takes no stop sequence that is empty or only whitespace/);
    assert.equal(a.calls + c.calls, 0);
    await d.close();
  });

  it('a target that could take it and failed gives the answer, not the refusal', async () => {
    const { openai, compat } = providers();
    const d = dispatcher({ providers: [openai, compat], dispatch: { retries_per_target: 0 } });
    b.setDefault('status:500');
    const e = await rejection<DispatchError>(d.chat(FIVE_STOPS, plan(target(openai), [target(compat)]), { signal: signal() }));
    assert.equal(e.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.match(e.message, /^b\/gpt-test: /);
    assert.deepEqual(rows(e.attempts), [['a', 0, 'unsupported_request'], ['b', 500, null]]);
    await d.close();
  });

  it('embeddings: a provider without an embeddings API passes the request on', async () => {
    const { anthropic, compat } = providers();
    const d = dispatcher({ providers: [anthropic, compat] });
    const r = await d.embeddings(embeddingsRequest(), plan(target(anthropic, 'embed-test'), [target(compat, 'embed-test')]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(rows(r.attempts), [['c', 0, 'unsupported_request'], ['b', 200, null]]);
    assert.match(r.attempts[0].error!, /has no embeddings API/);
    await d.close();
  });
});
