/**
 * The shared contract every provider adapter passes (STYLE.md #6): request shape,
 * response parsing, stream decoding under any chunking, error classification.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamEvent } from '../../src/canonical.js';
import { UNTERMINATED } from '../../src/wire/sse.js';
import { adapterCases } from './cases.js';
import { HTML_502, coalesce, decodeAll, digest, randomChunks, richRequest, seeded } from './fixtures.js';

const STREAM_EXPECTED = {
  text: 'Hello, world',
  finish: 'tool_calls',
  usage: { inputTokens: 20, outputTokens: 10, cachedInputTokens: 5 },
  last: 'end',
  ordered: true,
};

for (const c of adapterCases()) {
  describe(`adapter contract: ${c.name}`, () => {
    describe('request', () => {
      it('builds the provider wire body for a rich request', () => {
        const spec = c.adapter.buildChatRequest(richRequest(c.richOverrides), c.target);
        assert.equal(spec.method, 'POST');
        assert.equal(spec.origin, c.origin);
        assert.equal(spec.path, c.path);
        for (const [k, v] of Object.entries(c.headers)) assert.equal(spec.headers[k], v, `header ${k}`);
        assert.deepEqual(JSON.parse(spec.body ?? ''), c.richBody);
      });

      it('uses the stream endpoint and flags for a stream request', () => {
        const spec = c.adapter.buildChatRequest(richRequest({ ...c.richOverrides, stream: true }), c.target);
        assert.equal(spec.path, c.streamPath);
        const body = JSON.parse(spec.body ?? '') as Record<string, unknown>;
        if (c.target.provider.type === 'anthropic') assert.equal(body.stream, true);
        else if (c.target.provider.type !== 'gemini') {
          assert.equal(body.stream, true);
          assert.deepEqual(body.stream_options, c.streamFields === undefined ? { include_usage: true } : c.streamFields.stream_options);
        }
      });

      it('maps every tool choice', () => {
        for (const [choice, wire] of c.toolChoices) {
          const body = JSON.parse(c.adapter.buildChatRequest(richRequest({ ...c.richOverrides, toolChoice: choice }), c.target).body ?? '') as Record<string, unknown>;
          assert.deepEqual(c.toolChoiceOf(body), wire, JSON.stringify(choice));
        }
      });

      it('sends no tool choice without tools, and carries configured extra headers', () => {
        const t = { ...c.target, provider: { ...c.target.provider, headers: { 'x-team': 'ml' } } };
        const spec = c.adapter.buildChatRequest(richRequest({ ...c.richOverrides, tools: undefined }), t);
        const body = JSON.parse(spec.body ?? '') as Record<string, unknown>;
        assert.equal(c.toolChoiceOf(body), undefined);
        assert.equal(spec.headers['x-team'], 'ml');
      });

      it('does not mutate the canonical request', () => {
        const req = richRequest(c.richOverrides);
        const before = structuredClone(req);
        c.adapter.buildChatRequest(req, c.target);
        assert.deepEqual(req, before);
      });
    });

    describe('response', () => {
      it('parses text, model and usage with cached tokens', () => {
        const res = c.adapter.parseChatResponse(c.textResponse, c.target);
        assert.equal(res.text, 'Hello, world');
        assert.equal(res.finishReason, 'stop');
        assert.deepEqual(res.toolCalls, []);
        assert.deepEqual(res.usage, { inputTokens: 20, outputTokens: 10, cachedInputTokens: 5 });
        assert.ok(res.id.length > 0);
        assert.ok(res.model.length > 0);
      });

      it('parses tool calls', () => {
        const res = c.adapter.parseChatResponse(c.toolResponse, c.target);
        assert.equal(res.text, 'Let me check.');
        assert.equal(res.finishReason, 'tool_calls');
        assert.equal(res.toolCalls.length, 1);
        assert.equal(res.toolCalls[0].id, c.toolCallId);
        assert.equal(res.toolCalls[0].name, 'get_weather');
        assert.deepEqual(JSON.parse(res.toolCalls[0].arguments), { city: 'Paris' });
      });

      it('maps every finish reason', () => {
        for (const [wire, canonical] of c.finishes) {
          assert.equal(c.adapter.parseChatResponse(c.finishResponse(wire), c.target).finishReason, canonical, wire);
        }
      });

      it('rejects a body that is not a response with SY_ERR_UPSTREAM_ERROR', () => {
        for (const bad of [null, 'text', 42, {}, { choices: 'x', content: 'x', candidates: 'x' }]) {
          assert.throws(() => c.adapter.parseChatResponse(bad, c.target), { code: 'SY_ERR_UPSTREAM_ERROR' });
        }
      });
    });

    describe('stream', () => {
      const whole = decodeAll(c.adapter.createStreamDecoder(c.target), [c.stream]);

      it('decodes the whole stream to the expected events', () => {
        const d = digest(whole);
        assert.deepEqual({ text: d.text, finish: d.finish, usage: d.usage, last: d.last, ordered: d.ordered }, STREAM_EXPECTED);
        assert.equal(d.id, c.streamStart.id);
        assert.equal(d.model, c.streamStart.model);
        assert.deepEqual(d.toolCalls, [{ id: c.streamStart.toolCallId, name: 'get_weather', args: { city: 'Paris' } }]);
        assert.equal(whole[0].type, 'start');
        assert.equal(whole.filter((e) => e.type === 'start').length, 1);
      });

      it('decodes the same events whatever the chunk boundaries (seeded)', () => {
        for (let seed = 1; seed <= 25; seed++) {
          const pieces = randomChunks(c.stream, seeded(seed), seed % 2 ? 7 : 64);
          const events = decodeAll(c.adapter.createStreamDecoder(c.target), pieces);
          assert.deepEqual(coalesce(events), coalesce(whole), `seed ${seed}`);
        }
      });

      it('decodes one character at a time', () => {
        const events = decodeAll(c.adapter.createStreamDecoder(c.target), [...c.stream]);
        assert.deepEqual(coalesce(events), coalesce(whole));
      });

      it('decodes CRLF line endings', () => {
        const events = decodeAll(c.adapter.createStreamDecoder(c.target), [c.stream.replaceAll('\n', '\r\n')]);
        assert.deepEqual(coalesce(events), coalesce(whole));
      });

      it('ends a stream cut before its terminator with an error, never with end', () => {
        const cut = c.stream.lastIndexOf(c.terminator);
        assert.ok(cut > 0);
        const rng = seeded(99);
        for (const at of [cut, 0, 1, ...Array.from({ length: 20 }, () => Math.floor(rng() * cut))]) {
          const events = decodeAll(c.adapter.createStreamDecoder(c.target), randomChunks(c.stream.slice(0, at), rng));
          const last = events[events.length - 1] as StreamEvent;
          assert.deepEqual(last, { type: 'error', message: UNTERMINATED }, `cut at ${at}`);
          assert.ok(!events.some((e) => e.type === 'end'), `cut at ${at}`);
        }
      });

      it('turns an in-stream error into an error event and stops', () => {
        const d = c.adapter.createStreamDecoder(c.target);
        const events = d.push(c.errorStream);
        const last = events[events.length - 1];
        assert.equal(last.type, 'error');
        assert.equal(last.type === 'error' && last.message, c.errorStreamMessage);
        assert.deepEqual(d.push(c.stream), []);
        assert.deepEqual(d.end(), []);
      });

      it('reports a chunk that is not JSON as an error', () => {
        const events = decodeAll(c.adapter.createStreamDecoder(c.target), ['data: {not json\n\n']);
        assert.equal(events[events.length - 1].type, 'error');
      });
    });

    describe('errors', () => {
      const classify = (status: number, body: string, headers: Record<string, string> = {}) => c.adapter.classifyError(status, headers, body);

      it('429 is rate_limited, with Retry-After in ms', () => {
        const info = classify(429, c.errorBody('rate'), { 'retry-after': '2' });
        assert.equal(info.kind, 'rate_limited');
        assert.equal(info.status, 429);
        assert.equal(info.retryAfterMs, 2000);
        assert.equal(info.message, (JSON.parse(c.errorBody('rate')) as { error: { message: string } }).error.message);
        assert.ok(info.providerCode);
      });

      it('retry-after-ms wins over retry-after', () => {
        assert.equal(classify(429, c.errorBody('rate'), { 'retry-after-ms': '1500', 'retry-after': '2' }).retryAfterMs, 1500);
      });

      it('500 is server_error, 529 is overloaded', () => {
        assert.equal(classify(500, c.errorBody('server')).kind, 'server_error');
        assert.equal(classify(503, c.errorBody('server')).kind, 'server_error');
        assert.equal(classify(529, c.errorBody('overloaded')).kind, 'overloaded');
      });

      it('401 and 403 are auth_error', () => {
        assert.equal(classify(401, c.errorBody('auth')).kind, 'auth_error');
        assert.equal(classify(403, c.errorBody('auth')).kind, 'auth_error');
      });

      it('400, 404, 413, 422 are client_error keeping status and message', () => {
        for (const status of [400, 404, 413, 422]) {
          const info = classify(status, c.errorBody('invalid'));
          assert.equal(info.kind, 'client_error');
          assert.equal(info.status, status);
          assert.equal(info.message, (JSON.parse(c.errorBody('invalid')) as { error: { message: string } }).error.message);
        }
      });

      it('an HTML 502 is server_error with a readable message', () => {
        const info = classify(502, HTML_502, { 'content-type': 'text/html' });
        assert.equal(info.kind, 'server_error');
        assert.equal(info.status, 502);
        assert.match(info.message, /502 Bad Gateway/);
        assert.ok(!info.message.includes('<'));
      });

      it('empty, truncated and plain-text bodies never throw', () => {
        assert.match(classify(503, '').message, /503/);
        assert.equal(classify(500, '{"error": {"mess').kind, 'server_error');
        assert.match(classify(500, 'upstream connect error').message, /upstream connect error/);
      });
    });

    if (c.embeddings) {
      const e = c.embeddings;
      it('embeddings: builds the request and parses the response in input order', () => {
        assert.ok(c.adapter.buildEmbeddingsRequest && c.adapter.parseEmbeddingsResponse);
        const spec = c.adapter.buildEmbeddingsRequest({ kind: 'embeddings', model: 'x', input: ['alpha', 'beta'], dimensions: 3 }, c.target);
        assert.equal(spec.path, e.path);
        assert.deepEqual(JSON.parse(spec.body ?? ''), e.body);
        const res = c.adapter.parseEmbeddingsResponse(e.response, c.target);
        assert.deepEqual(res.data, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
      });
    } else {
      it('has no embeddings API', () => {
        assert.equal(c.adapter.buildEmbeddingsRequest, undefined);
      });
    }
  });
}
