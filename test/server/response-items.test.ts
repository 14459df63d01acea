/**
 * Kept Responses API answers (src/server/response-items.ts): the same contract in this
 * process and in Redis (scoped per caller, found by key, gone after the TTL), the memory
 * bound, and a body's item references and previous_response_id resolved from them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { keepAnswer, MemoryResponseItems, RedisResponseItems, resolveKept, ValueTooLarge, type ResponseItems } from '../../src/server/response-items.js';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from '../governance/helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const message = (id: string, text: string) => ({ type: 'message', id, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });
const reasoning = { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA' };
/** Entries keyed by the items' ids. */
const byId = (...items: { id: string }[]): [string, unknown][] => items.map((i) => [i.id, i]);
/** resolveKept, awaited when it must be. */
const resolve = async (items: ResponseItems, body: unknown, scope = 'vk') => resolveKept(items, body, () => scope);

/** A conversation of 2,000 characters grown past `items`' 4,096-byte bound is refused, naming the bound, and kept as it was. */
async function assertGrowthRefused(items: ResponseItems): Promise<void> {
  await items.change('s', 'c:conv', () => ({ items: ['x'.repeat(2000)] }));
  await assert.rejects(items.change('s', 'c:conv', (now) => ({ items: [...(now!.items as string[]), 'y'.repeat(2100)] })), (e: unknown) => {
    assert.ok(e instanceof ValueTooLarge);
    assert.equal(e.limit, 4096);
    assert.ok(e.bytes > 4096, String(e.bytes));
    return true;
  });
  assert.deepEqual(await items.get('s', ['c:conv']), [{ items: ['x'.repeat(2000)] }]);
}

function contract(name: string, make: (ttlMs: number) => Promise<{ items: ResponseItems; cleanup(): Promise<void> }>, opts: { skip?: string | false } = {}): void {
  describe(`${name}: kept response items`, { skip: opts.skip }, () => {
    it('finds items by id, per scope; ids never given out, and other scopes, find nothing', async () => {
      const { items, cleanup } = await make(60_000);
      try {
        await items.put('vk-a', byId(message('msg_1', 'Hello Ann'), reasoning));
        await items.put('vk-b', byId(message('msg_1', 'Hello Bob')));
        assert.deepEqual(await items.get('vk-a', ['msg_1', 'rs_1', 'msg_2']), [message('msg_1', 'Hello Ann'), reasoning, undefined]);
        assert.deepEqual(await items.get('vk-b', ['msg_1', 'rs_1']), [message('msg_1', 'Hello Bob'), undefined]);
        assert.deepEqual(await items.get('', ['msg_1']), [undefined], 'the anonymous caller is a scope of its own');
      } finally {
        await cleanup();
      }
    });

    it('change keeps, changes and forgets a value in one step; what it throws is thrown, and nothing is written', async () => {
      const { items, cleanup } = await make(60_000);
      try {
        await items.change('s', 'c:1', (now) => ({ n: now === undefined ? 1 : -1 }));
        await items.change('s', 'c:1', (now) => ({ n: (now!.n as number) + 1 }));
        assert.deepEqual(await items.get('s', ['c:1']), [{ n: 2 }]);
        await assert.rejects(items.change('s', 'c:1', () => { throw new Error('no'); }), /no/);
        assert.deepEqual(await items.get('s', ['c:1']), [{ n: 2 }]);
        assert.deepEqual(await items.get('t', ['c:1']), [undefined], 'another scope has its own');
        await items.change('s', 'c:1', () => null);
        assert.deepEqual(await items.get('s', ['c:1']), [undefined]);
        await items.change('s', 'c:1', (now) => ({ again: now === undefined }));
        assert.deepEqual(await items.get('s', ['c:1']), [{ again: true }]);
      } finally {
        await cleanup();
      }
    });

    it('keeps what a put refreshes another TTL from then: a chain lasts as long as its latest answer', async () => {
      const { items, cleanup } = await make(1000);
      try {
        await items.put('s', [['r:1', { n: 1 }]]);
        await sleep(600);
        await items.put('s', [['r:2', { n: 2 }]], ['r:1', 'r:never']);
        await sleep(600);
        assert.deepEqual(await items.get('s', ['r:1', 'r:2', 'r:never']), [{ n: 1 }, { n: 2 }, undefined], 'past its own TTL, kept by the refresh');
        await sleep(700);
        assert.deepEqual(await items.get('s', ['r:1', 'r:2']), [undefined, undefined]);
      } finally {
        await cleanup();
      }
    });

    it('forgets items after the TTL', async () => {
      const { items, cleanup } = await make(150);
      try {
        await items.put('s', byId(message('msg_t', 'soon gone')));
        assert.deepEqual(await items.get('s', ['msg_t']), [message('msg_t', 'soon gone')]);
        await sleep(400);
        assert.deepEqual(await items.get('s', ['msg_t']), [undefined]);
      } finally {
        await cleanup();
      }
    });
  });
}

contract('memory', async (ttlMs) => {
  const items = new MemoryResponseItems(1 << 20, ttlMs);
  return { items, cleanup: () => items.close() };
});

contract('Redis', async (ttlMs) => {
  const prefix = uniquePrefix('items');
  const items = new RedisResponseItems(REDIS_URL, prefix, ttlMs, pino({ level: 'silent' }), 1 << 20);
  return {
    items,
    cleanup: async () => {
      await items.close();
      await deletePrefix(prefix);
    },
  };
}, { skip: REDIS_SKIP });

describe('kept response items', () => {
  it('in memory, keep within their byte bound, the least recently used dropped first; what change keeps, answers never push out', async () => {
    const items = new MemoryResponseItems(4096, 60_000);
    await items.change('s', 'c:conv', () => ({ items: ['x'.repeat(400)] }));
    for (let i = 0; i < 20; i++) await items.put('s', byId(message(`msg_${i}`, 'x'.repeat(400))));
    assert.deepEqual(await items.get('s', ['c:conv']), [{ items: ['x'.repeat(400)] }], 'a conversation outlives 8000 bytes of answers');
    const found = await items.get('s', Array.from({ length: 20 }, (_v, i) => `msg_${i}`));
    const kept = found.map((f, i) => (f === undefined ? -1 : i)).filter((i) => i >= 0);
    assert.ok(kept.length > 0 && kept.length < 20, `kept ${kept.length}`);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_v, k) => 20 - kept.length + k), 'the latest are kept');
  });

  it('in memory, a change to a value larger than max_bytes is refused, naming the limit, and the value kept before stays', async () => {
    await assertGrowthRefused(new MemoryResponseItems(4096, 60_000));
  });

  it('in Redis too, a change to a value larger than max_bytes is refused, naming the limit, and the value kept before stays', { skip: REDIS_SKIP }, async () => {
    // Every read of a conversation is parsed whole: one grown without end would take the gateway down.
    const prefix = uniquePrefix('items-bound');
    const items = new RedisResponseItems(REDIS_URL, prefix, 60_000, pino({ level: 'silent' }), 4096);
    try {
      await assertGrowthRefused(items);
    } finally {
      await items.close();
      await deletePrefix(prefix);
    }
  });

  it('in Redis, a store that cannot be reached fails the lookup (the caller answers 503) and never a put', { skip: REDIS_SKIP }, async () => {
    const items = new RedisResponseItems('redis://127.0.0.1:1', 'sy:', 60_000, pino({ level: 'silent' }), 1 << 20);
    try {
      await items.put('s', byId(message('msg_x', 'lost')));
      await assert.rejects(items.get('s', ['msg_x']));
    } finally {
      await items.close();
    }
  });

  it('in Redis, changes racing from two processes are each kept: a change made from a value since changed is made again', { skip: REDIS_SKIP }, async () => {
    const prefix = uniquePrefix('items');
    const [a, b] = [0, 1].map(() => new RedisResponseItems(REDIS_URL, prefix, 60_000, pino({ level: 'silent' }), 1 << 20));
    try {
      let calls = 0;
      const add = (items: ResponseItems, n: number) => items.change('s', 'c:list', (now) => {
        calls++;
        return { seen: [...((now?.seen as number[] | undefined) ?? []), n] };
      });
      // Each process makes its changes one after another, as Conversations does, both at once.
      await Promise.all([a, b].map(async (items, k) => {
        for (let n = k; n < 40; n += 2) await add(items, n);
      }));
      const [kept] = await a.get('s', ['c:list']);
      assert.deepEqual([...(kept!.seen as number[])].sort((x, y) => x - y), Array.from({ length: 40 }, (_, n) => n));
      assert.ok(calls > 40, `some changes raced and were made again (${calls} calls for 40 changes)`);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await deletePrefix(prefix);
    }
  });

  it('a body with item references gets the items in their places; one with neither references nor a previous response is returned as is', async () => {
    const items = new MemoryResponseItems(1 << 20, 3_600_000);
    await keepAnswer(items, 'vk', { id: 'resp_1', output: [reasoning, message('msg_1', 'Hello')] }, [{ role: 'user', content: 'Hi' }], null);
    const plain = { model: 'm', input: [{ role: 'user', content: 'Hi' }] };
    let asked = 0;
    const same = resolveKept(items, plain, () => { asked++; return 'vk'; });
    assert.ok(!(same instanceof Promise));
    assert.equal(same.body, plain);
    assert.deepEqual(same.own, plain.input);
    assert.deepEqual(resolveKept(items, { model: 'm', input: 'Hi' }, () => 'vk'), { body: { model: 'm', input: 'Hi' }, own: [{ type: 'message', role: 'user', content: 'Hi' }], prev: null });
    assert.equal(asked, 0, 'the caller is not looked up when nothing is');
    const body = { model: 'm', input: [{ role: 'user', content: 'Hi' }, { type: 'item_reference', id: 'rs_1' }, { type: 'item_reference', id: 'msg_1' }, { role: 'user', content: 'Again' }] };
    const out = await resolve(items, body);
    assert.deepEqual((out.body as typeof body).input, [body.input[0], reasoning, message('msg_1', 'Hello'), body.input[3]]);
    assert.deepEqual(out.own, (out.body as typeof body).input);
    assert.equal(body.input[1].type, 'item_reference', 'the client body is left as it was');
    await assert.rejects(resolve(items, body, 'other'), { code: 'SY_ERR_BAD_REQUEST', message: /`input\[1\]`: item "rs_1" is not known: answers are kept for 1h, for the key that got them/ });
    await assert.rejects(resolve(items, { input: [{ type: 'item_reference' }] }), { code: 'SY_ERR_BAD_REQUEST', message: /input\[0\]\.id/ });
    const refused = () => Promise.reject(new Error('ECONNREFUSED'));
    const down = { ttlMs: 1, maxValueBytes: null, put: () => Promise.resolve(), get: refused, change: refused, close: () => Promise.resolve() };
    await assert.rejects(resolve(down, body), { code: 'SY_ERR_UNAVAILABLE', message: /ECONNREFUSED/ });
  });

  it('a reasoning item replayed by id without its encrypted content gets the kept one\'s, as OpenAI looks a kept item up by id; otherwise it stands as sent', async () => {
    const items = new MemoryResponseItems(1 << 20, 3_600_000);
    await keepAnswer(items, 'vk', { id: 'resp_1', output: [reasoning, { type: 'reasoning', id: 'rs_2', summary: [] }, message('msg_1', 'Hello')] }, [{ role: 'user', content: 'Hi' }], null);
    const shown = { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Thought' }] };
    const others = [
      { type: 'reasoning', id: 'rs_2', summary: [] },
      { type: 'reasoning', id: 'rs_never', summary: [] },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'the client\'s own' },
    ];
    const body = { model: 'm', input: [{ role: 'user', content: 'Hi' }, shown, ...others, message('msg_1', 'Hello')] };
    const out = await resolve(items, body);
    assert.deepEqual((out.body as typeof body).input, [body.input[0], { ...shown, encrypted_content: 'gAAAA' }, ...others, body.input[5]]);
    assert.deepEqual(out.own, (out.body as typeof body).input, 'kept with the answer as resolved');
    assert.deepEqual(body.input[1], shown, 'the client body is left as it was');
    // Another key's, or a store that cannot be reached: as sent, not refused (the item needs no lookup).
    assert.deepEqual(((await resolve(items, body, 'other')).body as typeof body).input, body.input);
    const refused = () => Promise.reject(new Error('ECONNREFUSED'));
    const down = { ttlMs: 1, maxValueBytes: null, put: () => Promise.resolve(), get: refused, change: refused, close: () => Promise.resolve() };
    assert.deepEqual(((await resolve(down, body)).body as typeof body).input, body.input);
  });

  it('previous_response_id stands for the conversation before: each answer\'s own input and output, oldest first', async () => {
    const items = new MemoryResponseItems(1 << 20, 3_600_000);
    const q1 = { role: 'user', content: 'Hi, I am Ann' };
    await keepAnswer(items, 'vk', { id: 'resp_1', output: [message('msg_1', 'Hello Ann')] }, [q1], null);
    const q2 = { role: 'user', content: 'Weather?' };
    const call = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'weather', arguments: '{}' };
    await keepAnswer(items, 'vk', { id: 'resp_2', output: [call] }, [q2], 'resp_1');
    const result = { type: 'function_call_output', call_id: 'call_1', output: 'Sunny' };
    const out = await resolve(items, { model: 'm', previous_response_id: 'resp_2', input: [result], instructions: 'Be brief' });
    assert.deepEqual(out.body, { model: 'm', instructions: 'Be brief', input: [q1, message('msg_1', 'Hello Ann'), q2, call, result] });
    assert.deepEqual(out.own, [result], 'only its own input is kept with its answer');
    assert.equal(out.prev, 'resp_2');
    await assert.rejects(resolve(items, { model: 'm', previous_response_id: 'resp_2', input: 'x' }, 'other'), { code: 'SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', message: /Previous response with id 'resp_2' not found/ });
    // A bad id, or an input to build on that is not one, is refused as such.
    await assert.rejects(resolve(items, { model: 'm', previous_response_id: 7, input: 'x' }), { code: 'SY_ERR_BAD_REQUEST', message: /previous_response_id/ });
    for (const input of [undefined, 42]) {
      const bad = await resolve(items, { model: 'm', previous_response_id: 'resp_2', input });
      assert.deepEqual(bad, { body: { model: 'm', input }, own: [], prev: null }, 'left for the intake to refuse');
    }
    // A chain with a gap is refused as a whole, naming the answer that is gone.
    await keepAnswer(items, 'vk', { id: 'resp_4', output: [] }, [q1], 'resp_3');
    await assert.rejects(resolve(items, { model: 'm', previous_response_id: 'resp_4', input: 'x' }), { code: 'SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', message: /'resp_3' not found/ });
  });
});
