/**
 * Large requests: a coding agent's turn carrying a screenshot sends tens of MB, most of it
 * one base64 string. While the provider answers, the gateway must hold the parsed request
 * and what it sends upstream, not further copies of them: each extra copy is another
 * body's worth of memory per request in flight.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const IMAGE_CHARS = 16 * MB;

/**
 * An OpenAI upstream that reads and discards a request's body, then holds its answer
 * until `release()`: the gateway's memory can be looked at while the request is in flight.
 */
interface HeldUpstream {
  url: string;
  /** Resolves with the body's size once the next request has been read whole. */
  held(): Promise<number>;
  release(): void;
  close(): Promise<void>;
}

async function startHeldUpstream(): Promise<HeldUpstream> {
  let onHeld: (size: number) => void = () => undefined;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; });
    req.on('end', () => {
      waiting.push(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o',
          choices: [{ index: 0, message: { role: 'assistant', content: 'a screenshot' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
        }));
      });
      onHeld(size);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => new Promise((r) => { onHeld = r; }),
    release: () => { for (const w of waiting.splice(0)) w(); },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let e2e: E2EGateway;
let up: HeldUpstream;

before(async () => {
  up = await startHeldUpstream();
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    providers: { oa: { type: 'openai', base_url: `${up.url}/v1`, keys: [{ name: 'k', value: 'sk-up' }] } },
  });
}, HOOK);

after(async () => {
  up?.release();
  await e2e?.close();
  await up?.close();
}, HOOK);

/** POSTs `payload` as is (raw() would copy it, and the copy would count as the gateway's). */
function post(url: string, payload: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(payload.length) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    r.setTimeout(60_000, () => r.destroy(new Error('timed out')));
    r.on('error', reject);
    r.end(payload);
  });
}

/**
 * A chat request carrying a screenshot, as bytes. Built in a function of its own: its JSON
 * text would otherwise stay in the caller's frame and count as held.
 */
function screenshotRequest(): Buffer {
  return Buffer.from(JSON.stringify({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'What does this screenshot show?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${'iVBORw0KGgo'.repeat(IMAGE_CHARS / 11)}` } },
    ] }],
  }));
}

/** What the process holds after a full collection, in bytes: the JS heap and Buffers apart. */
function held(): { heap: number; buffers: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

describe('a large request in flight', SUITE, () => {
  /** Sends a chat request carrying a screenshot; what the process holds before, and while the upstream holds the answer. */
  async function inFlight(): Promise<{ payload: Buffer; before: { heap: number; buffers: number }; during: { heap: number; buffers: number } }> {
    const payload = screenshotRequest();
    const before = held();
    const heldUp = up.held();
    const answer = post(`${e2e.url}/v1/chat/completions`, payload);
    const sent = await heldUp;
    assert.ok(sent > IMAGE_CHARS, `the upstream got ${sent} bytes`);
    const during = held();
    up.release();
    const res = await answer;
    assert.equal(res.status, 200, res.text);
    return { payload, before, during };
  }

  test('holds its body once as Buffers: the bytes read from the client are let go once parsed', async () => {
    const { payload, before, during } = await inFlight();
    // What is sent upstream is one Buffer of about the body's size (undici's); the
    // client's bytes, kept until the answer, made it two.
    const buffers = during.buffers - before.buffers;
    assert.ok(buffers < 1.5 * payload.length, `${(buffers / MB).toFixed(1)} MB of Buffers held for a ${(payload.length / MB).toFixed(1)} MB request`);
  });

  test('holds the upstream request once, encoded, beside the parsed one', async () => {
    const { payload, before, during } = await inFlight();
    // The parsed image is one string on the heap; the request sent upstream is one Buffer.
    // Its JSON text, kept with the attempt besides, made the heap hold the image twice.
    const heap = during.heap - before.heap;

    assert.ok(heap < 1.5 * payload.length, `${(heap / MB).toFixed(1)} MB of heap held for a ${(payload.length / MB).toFixed(1)} MB request`);
  });
});
