/**
 * OpenAI's Conversations API through the gateway, driven by the official `openai` SDK
 * (`client.conversations`, `client.conversations.items`) as the OpenAI Agents SDK's
 * OpenAIConversationsSession drives it: a conversation created with items and metadata,
 * read, updated and deleted; its items listed in pages both ways, added, read and
 * deleted; Responses API requests naming it, served by different providers, each seeing
 * the turns before and adding its own; per-key scoping; refusals naming the field; the
 * API turned off with the kept answers; and a conversation shared by two gateways on
 * Redis, changed through both at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { hashKey } from '../../src/governance/index.js';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { raw, sleep, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake;
let e2e: E2EGateway;
let client: OpenAI;
const KEY = 'sk-sy-conv-one';
const OTHER = 'sk-sy-conv-two';

const providers = (): Record<string, unknown> => ({
  oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-oa' }] },
  an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-up-an' }] },
});
const keys = { virtual_keys: [{ id: 'vk-one', key_hash: hashKey(KEY) }, { id: 'vk-two', key_hash: hashKey(OTHER) }] };

before(async () => {
  [oa, an] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' })]);
  e2e = await startE2E({ dispatch: { retries_per_target: 0, max_attempts: 1 }, providers: providers(), governance: keys });
  client = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: KEY, maxRetries: 0 });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close()]);
}, HOOK);

/** A message item's text, whatever its part type. */
const textOf = (item: any): string => item.content.map((p: any) => p.text).join('');

describe('/v1/conversations', SUITE, () => {
  test('create, read, update and delete a conversation; its items listed in pages, added, read and deleted', async () => {
    const conv = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hi, I am Ann' }], metadata: { topic: 'intro' } });
    assert.match(conv.id, /^conv_/);
    assert.equal(conv.object, 'conversation');
    assert.deepEqual(conv.metadata, { topic: 'intro' });
    assert.ok(Math.abs(conv.created_at - Date.now() / 1000) < 60);
    assert.deepEqual(await client.conversations.retrieve(conv.id), conv);
    assert.deepEqual((await client.conversations.update(conv.id, { metadata: { topic: 'names' } })).metadata, { topic: 'names' });

    const added = await client.conversations.items.create(conv.id, {
      items: [
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello Ann' }] } as any,
        { role: 'user', content: 'What is my name?' },
        { type: 'message', role: 'assistant', content: 'Ann.' } as any,
      ],
    });
    assert.equal(added.data.length, 3);
    for (const item of added.data) assert.match((item as any).id, /^msg_/);
    // Newest first by default, as OpenAI lists them.
    const page = await client.conversations.items.list(conv.id, { limit: 2 });
    assert.deepEqual(page.data.map(textOf), ['Ann.', 'What is my name?']);
    assert.equal(page.has_more, true);
    const all: string[] = [];
    for await (const item of client.conversations.items.list(conv.id, { order: 'asc', limit: 3 })) all.push(textOf(item));
    assert.deepEqual(all, ['Hi, I am Ann', 'Hello Ann', 'What is my name?', 'Ann.']);
    const first = (await client.conversations.items.list(conv.id, { order: 'asc' })).data[0] as any;
    assert.deepEqual([first.type, first.role, first.status, first.content], ['message', 'user', 'completed', [{ type: 'input_text', text: 'Hi, I am Ann' }]]);
    assert.deepEqual(await client.conversations.items.retrieve(first.id, { conversation_id: conv.id }), first);
    const left = await client.conversations.items.delete(first.id, { conversation_id: conv.id });
    assert.equal(left.id, conv.id);
    assert.equal((await client.conversations.items.list(conv.id)).data.length, 3);

    const deleted = await client.conversations.delete(conv.id);
    assert.deepEqual(deleted, { id: conv.id, object: 'conversation.deleted', deleted: true });
    await assert.rejects(client.conversations.retrieve(conv.id), (e: any) => e.status === 404 && e.code === 'SY_ERR_NOT_FOUND');
  });

  test('responses.create with a conversation: each turn sees the ones before, on whichever provider serves it, and adds its own', async () => {
    const conv = await client.conversations.create({ items: [{ type: 'message', role: 'developer', content: 'Be brief.' }] });
    oa.reset();
    const one = await client.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'Hi, I am Ann' });
    assert.deepEqual((one as any).conversation, { id: conv.id });
    assert.deepEqual(oa.last().body.messages.map((m: any) => [m.role, m.content]), [['system', 'Be brief.'], ['user', 'Hi, I am Ann']]);
    an.reset();
    // The next turn on Claude, streamed, naming the conversation the other way.
    const stream = client.responses.stream({ model: 'an/claude-sonnet-4', conversation: { id: conv.id }, input: [{ role: 'user', content: 'What is my name?' }] });
    const two = await stream.finalResponse();
    assert.equal(two.status, 'completed');
    assert.deepEqual(an.last().body.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
    assert.equal(an.last().body.system, 'Be brief.');
    const items = [];
    for await (const item of client.conversations.items.list(conv.id, { order: 'asc' })) items.push(item as any);
    assert.deepEqual(items.map((i) => `${i.role}:${textOf(i)}`), ['developer:Be brief.', 'user:Hi, I am Ann', 'assistant:hello from oa', 'user:What is my name?', 'assistant:hello from an']);
    assert.equal(items[2].id, one.output[0].id, 'an answer\'s items keep their ids');
  });

  test('an item reference in a turn is kept as the item it names: the conversation goes on after that answer is gone', async () => {
    const gw = await startE2E({ server: { response_items: { ttl: '1s' } }, dispatch: { retries_per_target: 0, max_attempts: 1 }, providers: providers(), governance: keys });
    try {
      const brief = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const outside = await brief.responses.create({ model: 'oa/gpt-4o', input: 'Outside the conversation' });
      const said = outside.output[0] as any;
      const conv = await brief.conversations.create({});
      await brief.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: [{ type: 'item_reference', id: said.id }, { role: 'user', content: 'next' }] });
      const kept = (await brief.conversations.items.list(conv.id, { order: 'asc' })).data as any[];
      assert.deepEqual(kept.map((i) => [i.type, i.id, i.content === undefined ? null : textOf(i)]), [['message', said.id, 'hello from oa'], ['message', kept[1].id, 'next'], ['message', kept[2].id, 'hello from oa']]);
      await sleep(600);
      await brief.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'added later' }] });
      // The answer referred to is gone by now; the conversation, changed since, is not.
      await sleep(600);
      oa.reset();
      await brief.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'again' });
      assert.deepEqual(oa.last().body.messages.map((m: any) => m.content), ['hello from oa', 'next', 'hello from oa', 'added later', 'again']);
    } finally {
      await gw.close();
    }
  });

  test('a compaction turn adds its compaction item, not the trigger that asked for it: the next turn and the next add go on', async () => {
    const conv = await client.conversations.create({ items: [{ role: 'user', content: 'Fix the failing test' }, { type: 'message', role: 'assistant', content: 'Looking at it.' } as any] });
    const compacted = await client.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: [{ type: 'compaction_trigger' }] as any });
    assert.deepEqual(compacted.output.map((i) => i.type), ['compaction']);
    const items = await client.conversations.items.list(conv.id, { order: 'asc' });
    assert.deepEqual(items.data.map((i) => i.type), ['message', 'message', 'compaction']);
    const next = await client.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'Go on' });
    assert.equal(next.status, 'completed');
    await client.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'noted' }] });
  });

  test('item ids are unique within a conversation: a duplicate is refused, as OpenAI does, and paging through the items ends', async () => {
    const item = (id: string, text: string) => ({ type: 'message' as const, id, role: 'user' as const, content: text });
    await assert.rejects(client.conversations.create({ items: [item('msg_a', 'a'), item('msg_dup', 'b'), item('msg_dup', 'c')] }), (e: any) => e.status === 400 && e.param === 'items[2].id' && /Duplicate item found with id msg_dup/.test(e.message));
    const conv = await client.conversations.create({ items: [item('msg_a', 'a'), item('msg_b', 'b')] });
    await assert.rejects(client.conversations.items.create(conv.id, { items: [item('msg_c', 'c'), item('msg_a', 'again')] }), (e: any) => e.status === 400 && e.param === 'items[1].id');
    // A turn that replays the conversation's last answer, ids and all, goes nowhere.
    const turn = await client.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'c' });
    const sent = oa.history.length;
    await assert.rejects(client.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: [...turn.output, { role: 'user', content: 'd' }] as any }), (e: any) => e.status === 400 && e.param === 'input[0].id');
    assert.equal(oa.history.length, sent, 'not sent upstream');
    const seen: string[] = [];
    for await (const i of client.conversations.items.list(conv.id, { limit: 2 })) {
      seen.push((i as any).id);
      if (seen.length > 10) break;
    }
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen).size, 4);
  });

  test('items added by reference are kept as the items they name; one not kept is refused saying so', async () => {
    const answer = await client.responses.create({ model: 'oa/gpt-4o', input: 'Hi' });
    const said = answer.output[0] as any;
    const conv = await client.conversations.create({ items: [{ type: 'item_reference', id: said.id } as any] });
    await client.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'Again' }, { type: 'item_reference', id: said.id } as any] }).then(
      () => assert.fail('a duplicate id'),
      (e: any) => assert.equal(e.param, 'items[1].id'),
    );
    const items = (await client.conversations.items.list(conv.id, { order: 'asc' })).data as any[];
    assert.deepEqual(items.map((i) => [i.type, i.id, textOf(i)]), [['message', said.id, 'hello from oa']]);
    for (const add of [() => client.conversations.create({ items: [{ type: 'item_reference', id: 'msg_nope' } as any] }), () => client.conversations.items.create(conv.id, { items: [{ type: 'item_reference', id: 'msg_nope' } as any] })]) {
      await assert.rejects(add(), (e: any) => {
        assert.deepEqual([e.status, e.param], [400, 'items[0].id']);
        assert.match(e.message, /`items\[0\]`: item "msg_nope" is not known: answers are kept for 24h/);
        return true;
      });
    }
    await assert.rejects(client.conversations.items.create(conv.id, { items: [{ type: 'compaction_trigger' } as any] }), (e: any) => e.status === 400 && e.param === 'items[0].type' && /never kept/.test(e.message));
  });

  test('refusals name what is wrong; another key sees none of this key\'s conversations', async () => {
    const conv = await client.conversations.create({});
    const kept = await client.responses.create({ model: 'oa/gpt-4o', input: 'hi' });
    await assert.rejects(client.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, previous_response_id: kept.id, input: 'hi' }), (e: any) => e.status === 400 && e.param === 'previous_response_id');
    await assert.rejects(client.responses.create({ model: 'oa/gpt-4o', conversation: 'conv_nope', input: 'hi' }), (e: any) => e.status === 404 && e.code === 'SY_ERR_NOT_FOUND');
    await assert.rejects(client.responses.create({ model: 'oa/gpt-4o', conversation: 7 as any, input: 'hi' }), (e: any) => e.status === 400 && e.param === 'conversation');
    const many = Array.from({ length: 21 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
    await assert.rejects(client.conversations.items.create(conv.id, { items: many }), (e: any) => e.status === 400 && e.param === 'items');
    await assert.rejects(client.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'ok' }, { type: 'bogus_item' } as any] }), (e: any) => e.status === 400 && e.param === 'items[1].type');
    await assert.rejects(client.conversations.create({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }), (e: any) => e.status === 400 && e.param === 'metadata');
    await assert.rejects(client.conversations.items.list(conv.id, { limit: 500 }), (e: any) => e.status === 400 && e.param === 'limit');
    await assert.rejects(client.conversations.items.retrieve('msg_nope', { conversation_id: conv.id }), (e: any) => e.status === 404 && e.param === 'item_id');
    assert.equal((await client.conversations.items.list(conv.id)).data.length, 0, 'a refused request adds nothing');
    const other = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: OTHER, maxRetries: 0 });
    await assert.rejects(other.conversations.retrieve(conv.id), (e: any) => e.status === 404);
    await assert.rejects(other.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'hi' }), (e: any) => e.status === 404);
    const anonymous = await raw(e2e.url, `/openai/v1/conversations/${conv.id}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'SY_ERR_UNAUTHORIZED');
  });
});

describe('/v1/conversations held to server.response_items.max_bytes', SUITE, () => {
  test('a change that would take a conversation past the limit is refused naming it, and the conversation stays as it was; a turn is refused before it goes upstream, or, when only its answer does not fit, answered with conversation: null', async () => {
    const gw = await startE2E({ server: { response_items: { max_bytes: 8000 } }, dispatch: { retries_per_target: 0, max_attempts: 1 }, providers: providers(), governance: keys });
    try {
      const small = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const conv = await small.conversations.create({ items: [{ role: 'user', content: 'a'.repeat(3000) }], metadata: { keep: 'me' } });
      await small.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'b'.repeat(3000) }] });
      await assert.rejects(small.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'c'.repeat(3000) }] }), (e: any) => {
        assert.deepEqual([e.status, e.param], [400, 'items']);
        assert.match(e.message, /more than the 8000 one may \(server\.response_items\.max_bytes\)/);
        return true;
      });
      assert.deepEqual((await small.conversations.retrieve(conv.id)).metadata, { keep: 'me' });
      assert.deepEqual((await small.conversations.items.list(conv.id, { order: 'asc' })).data.map((i) => textOf(i)[0]), ['a', 'b']);

      // A turn whose input does not fit goes nowhere.
      const sent = oa.history.length;
      await assert.rejects(small.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'd'.repeat(3000) }), (e: any) => e.status === 400 && e.param === 'input' && /max_bytes/.test(e.message));
      assert.equal(oa.history.length, sent, 'not sent upstream');
      // One whose answer does not fit is answered, and says it was not added; the conversation stays as it was.
      for (const stream of [false, true]) {
        oa.enqueue({ text: 'e'.repeat(3000) });
        const turn = { model: 'oa/gpt-4o', conversation: conv.id, input: 'Go on' };
        const answer = stream ? await small.responses.stream(turn).finalResponse() : await small.responses.create(turn);
        assert.equal(answer.output_text, 'e'.repeat(3000));
        assert.equal(answer.conversation, null, stream ? 'streamed' : 'whole');
        assert.equal((await small.conversations.items.list(conv.id)).data.length, 2);
      }
    } finally {
      await gw.close();
    }
  });
});

describe('/v1/conversations as the Python SDK calls it', SUITE, () => {
  test('a JSON content type with no body (on every request, a DELETE\'s too) is served: no body is none', async () => {
    const json = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const made = await raw(e2e.url, '/v1/conversations', { method: 'POST', headers: json, body: '' });
    assert.equal(made.status, 200, made.text);
    const id = made.json.id;
    const added = await raw(e2e.url, `/v1/conversations/${id}/items`, { method: 'POST', headers: json, body: { items: [{ role: 'user', content: 'hi' }] } });
    const unnamed = await raw(e2e.url, `/v1/conversations/${id}`, { method: 'POST', headers: json, body: '' });
    assert.equal(unnamed.status, 400);
    assert.equal(unnamed.json.error.param, 'metadata', 'a body a route needs is still asked for by name');
    const dropped = await raw(e2e.url, `/v1/conversations/${id}/items/${added.json.data[0].id}`, { method: 'DELETE', headers: json });
    assert.equal(dropped.status, 200, dropped.text);
    const gone = await raw(e2e.url, `/v1/conversations/${id}`, { method: 'DELETE', headers: json });
    assert.deepEqual(gone.json, { id, object: 'conversation.deleted', deleted: true });
  });
});

describe('/v1/conversations with kept answers off', SUITE, () => {
  test('the API answers 404 saying why, and a request naming a conversation is a 400', async () => {
    const gw = await startE2E({ server: { allow_unauthenticated: true, response_items: { enabled: false } }, providers: providers() });
    try {
      const off = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(off.conversations.create({}), (e: any) => e.status === 404 && /server\.response_items/.test(e.message));
      await assert.rejects(off.responses.create({ model: 'oa/gpt-4o', conversation: 'conv_x', input: 'hi' }), (e: any) => e.status === 400 && e.param === 'conversation' && /server\.response_items/.test(e.message));
    } finally {
      await gw.close();
    }
  });
});

describe('/v1/conversations on Redis', { ...SUITE, skip: REDIS_SKIP }, () => {
  test('a conversation made through one gateway goes on through another; items added through both at once are all kept', async () => {
    const prefix = uniquePrefix('conv');
    const config = { dispatch: { retries_per_target: 0, max_attempts: 1 }, providers: providers(), governance: { ...keys, store: { type: 'redis', url: REDIS_URL, prefix } } };
    const [a, b] = await Promise.all([startE2E(config), startE2E(config)]);
    try {
      const viaA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const viaB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const conv = await viaA.conversations.create({ items: [{ role: 'user', content: 'Hi, I am Ann' }] });
      await viaA.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'Remember that.' });
      oa.reset();
      await viaB.responses.create({ model: 'oa/gpt-4o', conversation: conv.id, input: 'What is my name?' });
      assert.deepEqual(oa.last().body.messages.map((m: any) => m.role), ['user', 'user', 'assistant', 'user']);
      assert.equal((await viaB.conversations.items.list(conv.id)).data.length, 5);
      // Items added through both gateways at once are all kept.
      const said = Array.from({ length: 12 }, (_, n) => `note ${n}`);
      await Promise.all(said.map((text, n) => (n % 2 === 0 ? viaA : viaB).conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: text }] })));
      const all = await viaA.conversations.items.list(conv.id, { limit: 100, order: 'asc' });
      assert.deepEqual(all.data.slice(5).map(textOf).sort(), [...said].sort());
      await viaB.conversations.delete(conv.id);
      await assert.rejects(viaA.conversations.retrieve(conv.id), (e: any) => e.status === 404);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await deletePrefix(prefix);
    }
  });

  test('a turn is added before its answer reaches the client: turns alternating between gateways each see the one before, in order', async () => {
    const prefix = uniquePrefix('conv');
    const config = { dispatch: { retries_per_target: 0, max_attempts: 1 }, providers: providers(), governance: { ...keys, store: { type: 'redis', url: REDIS_URL, prefix } } };
    const [a, b] = await Promise.all([startE2E(config), startE2E(config)]);
    // Writes that take a while, as on a busy Redis.
    for (const gw of [a, b]) {
      const items = gw.gw.runtime.responseItems!;
      const change = items.change.bind(items);
      items.change = async (scope, key, next) => {
        await new Promise((r) => setTimeout(r, 50));
        return change(scope, key, next);
      };
    }
    try {
      const via = [a, b].map((gw) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 }));
      const conv = await via[0].conversations.create({});
      for (let i = 0; i < 4; i++) {
        oa.reset();
        // Two whole answers, then two streamed.
        const turn = { model: 'oa/gpt-4o', conversation: conv.id, input: `turn ${i}` };
        if (i < 2) await via[i % 2].responses.create(turn);
        else await via[i % 2].responses.stream(turn).finalResponse();
        assert.equal(oa.last().body.messages.length, 2 * i + 1, `turn ${i} saw the turns before it`);
      }
      const items = await via[1].conversations.items.list(conv.id, { order: 'asc', limit: 100 });
      assert.deepEqual(items.data.map((item) => `${(item as any).role}:${textOf(item)}`), [0, 1, 2, 3].flatMap((i) => [`user:turn ${i}`, 'assistant:hello from oa']));
    } finally {
      await Promise.all([a.close(), b.close()]);
      await deletePrefix(prefix);
    }
  });
});
