/**
 * Responses API answers created with `store` (the default), kept for a while so later
 * requests can build on them, as OpenAI keeps them and clients rely on: each output item by
 * its id, for `{"type": "item_reference", "id": …}` (the Vercel AI SDK replays an earlier
 * answer's text and reasoning that way unless told `store: false`; a reasoning item
 * replayed by its id without its encrypted content gets the kept one's); and each answer's
 * record (its request's own input, its output, the answer it followed), for
 * `previous_response_id`, which then stands for the whole conversation before.
 *
 * Everything is scoped to the principal that got it (one key cannot read another's) and
 * held in this process (an LRU bounded in bytes), or in Redis when governance counters
 * are, so that every gateway process on it can resolve it.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors.js';
import { connectOnce, newRedis } from '../governance/stores/redis.js';
import { badRequest, isRecord } from '../wire/validate.js';

export interface ResponseItems {
  /** Milliseconds an entry is kept. */
  readonly ttlMs: number;
  /** Most bytes a value `change` keeps may take (its JSON and its key), or null when the store sets no bound. */
  readonly maxValueBytes: number | null;
  /**
   * Keeps each value under its key for `scope`, and the values under the keys `refresh`
   * (those the new ones build on) another TTL from now; resolves once they are kept, so
   * that an answer given out after it can be built on at once, from any process. Failures
   * are logged, never thrown.
   */
  put(scope: string, entries: readonly (readonly [string, unknown])[], refresh?: readonly string[]): Promise<void>;
  /** The values under these keys, each undefined when not kept (expired, evicted or never seen). */
  get(scope: string, keys: readonly string[]): Promise<(Record<string, unknown> | undefined)[]>;
  /**
   * Changes the value under `key` for `scope` in one step, even against other processes
   * sharing the store: `next` gets the value kept now (undefined when none) and returns
   * the value to keep, or null to forget it. It is called again when another process
   * changed the value meanwhile; what it throws is thrown. Resolves once the change is
   * kept; rejects when it could not be (with ValueTooLarge for a value over
   * `maxValueBytes`), and the value kept before stays.
   */
  change(scope: string, key: string, next: (current: Record<string, unknown> | undefined) => unknown): Promise<void>;
  close(): Promise<void>;
}

/** A value `change` was to keep takes more than the store holds in one (`maxValueBytes`). */
export class ValueTooLarge extends Error {
  constructor(readonly bytes: number, readonly limit: number) {
    super(`${bytes} bytes is more than the ${limit} server.response_items.max_bytes holds`);
    this.name = 'ValueTooLarge';
  }
}

/** Keys: an output item by its id, an answer's record by the answer's id. */
const itemKey = (id: string): string => `i:${id}`;
const recordKey = (id: string): string => `r:${id}`;

/** What is kept of an answer for `previous_response_id`. */
interface AnswerRecord {
  /** The answer it followed, if any. */
  prev: string | null;
  /** Its request's own input items (references resolved). */
  input: unknown[];
  output: unknown[];
}

/** An item's id, when it has one worth keeping it by. */
function idOf(item: unknown): string | null {
  if (typeof item !== 'object' || item === null) return null;
  const id = (item as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * What of a request's input is kept with its answer, for the conversation after it: all
 * but a `compaction_trigger`, which asks for this answer (a compaction) and is no part of
 * that conversation; kept, it would come before the next turn's input, where the intake
 * refuses it.
 */
export function keptInput(input: readonly unknown[]): unknown[] {
  return input.filter((item) => !(isRecord(item) && item.type === 'compaction_trigger'));
}

/**
 * Keeps an answer (the response object a Responses client got): its output items by id,
 * and its record. `own`: its request's own input items; `prev`: the answer it followed;
 * `chain`: the answers it builds on (Resolved.chain), whose records are kept another TTL
 * from now, so that a chain lasts as long as its latest answer. Resolves once it is kept
 * (never rejects: see ResponseItems.put).
 */
export function keepAnswer(items: ResponseItems, scope: string, answer: Record<string, unknown>, own: unknown[], prev: string | null, chain: readonly string[] = []): Promise<void> {
  const output = Array.isArray(answer.output) ? answer.output as unknown[] : [];
  const entries: [string, unknown][] = [];
  for (const item of output) {
    const id = idOf(item);
    if (id !== null) entries.push([itemKey(id), item]);
  }
  if (typeof answer.id === 'string') entries.push([recordKey(answer.id), { prev, input: keptInput(own), output } satisfies AnswerRecord]);
  return items.put(scope, entries, chain.map(recordKey));
}

function parsed(json: string | null | undefined): Record<string, unknown> | undefined {
  return typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : undefined;
}

/**
 * In this process: LRUs over the entries' JSON, bounded by its length. What `change`
 * keeps (conversations, which a client made and expects to find) is held apart from
 * what `put` keeps (every answer's items), each within `maxBytes`, so that a busy
 * gateway's answers never push a conversation out.
 */
export class MemoryResponseItems implements ResponseItems {
  private readonly cache: LRUCache<string, string>;
  private readonly changed: LRUCache<string, string>;

  readonly maxValueBytes: number;

  constructor(maxBytes: number, readonly ttlMs: number) {
    this.maxValueBytes = maxBytes;
    const options = { maxSize: maxBytes, sizeCalculation: (v: string, k: string) => v.length + k.length, ttl: ttlMs };
    this.cache = new LRUCache<string, string>(options);
    this.changed = new LRUCache<string, string>(options);
  }

  put(scope: string, entries: readonly (readonly [string, unknown])[], refresh: readonly string[] = []): Promise<void> {
    for (const [key, value] of entries) this.cache.set(`${scope}\u0000${key}`, JSON.stringify(value));
    for (const key of refresh) this.cache.get(`${scope}\u0000${key}`, { updateAgeOnGet: true });
    return Promise.resolve();
  }

  get(scope: string, keys: readonly string[]): Promise<(Record<string, unknown> | undefined)[]> {
    return Promise.resolve(keys.map((key) => {
      const k = `${scope}\u0000${key}`;
      return parsed(this.cache.get(k) ?? this.changed.get(k));
    }));
  }

  change(scope: string, key: string, next: (current: Record<string, unknown> | undefined) => unknown): Promise<void> {
    // One process, one thread: nothing runs between the read and the write.
    const k = `${scope}\u0000${key}`;
    try {
      const value = next(parsed(this.changed.get(k)));
      if (value === null) {
        this.changed.delete(k);
        return Promise.resolve();
      }
      const json = JSON.stringify(value);
      // Refused before it is set: an LRU given a value larger than it holds drops the one it
      // kept under that key, which would lose the whole conversation.
      const bytes = json.length + k.length;
      if (bytes > this.maxValueBytes) return Promise.reject(new ValueTooLarge(bytes, this.maxValueBytes));
      this.changed.set(k, json);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  close(): Promise<void> {
    this.cache.clear();
    this.changed.clear();
    return Promise.resolve();
  }
}

/** Times a change is made again because another process changed the value first. */
const MAX_RACES = 16;

/**
 * Compare and swap: KEYS[1] takes ARGV[2] (or is deleted when it is empty) for ARGV[3]
 * ms, if it still holds ARGV[1] (empty: no value). Kept values are JSON, never empty.
 */
const SWAP = `local now = redis.call('GET', KEYS[1])
if (now == false and ARGV[1] ~= '') or (now ~= false and now ~= ARGV[1]) then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

/**
 * In Redis, one key per entry (`<prefix>ri:<scope digest>:<key>`), expiring after the TTL.
 * What `change` keeps (a conversation, which grows by each turn) is held to
 * `maxValueBytes`, as in a process: every read of it is parsed whole by the gateway, so a
 * conversation grown without end by one key would take the process down.
 */
export class RedisResponseItems implements ResponseItems {
  private readonly redis: Redis;
  private readonly ready: () => Promise<void> | void;

  constructor(url: string, private readonly prefix: string, readonly ttlMs: number, private readonly logger: Logger, readonly maxValueBytes: number) {
    this.redis = newRedis(url);
    this.ready = connectOnce(this.redis);
    this.redis.on('error', () => { /* every call reports its own failure */ });
  }

  private key(scope: string, id: string): string {
    // The scope is a principal's id: digested, so no key name can be made to collide.
    return `${this.prefix}ri:${createHash('sha256').update(scope).digest('base64url').slice(0, 22)}:${id}`;
  }

  async put(scope: string, entries: readonly (readonly [string, unknown])[], refresh: readonly string[] = []): Promise<void> {
    if (entries.length === 0 && refresh.length === 0) return;
    const p = this.redis.pipeline();
    for (const [key, value] of entries) p.set(this.key(scope, key), JSON.stringify(value), 'PX', this.ttlMs);
    for (const key of refresh) p.pexpire(this.key(scope, key), this.ttlMs);
    try {
      await this.ready();
      const results = await p.exec();
      const failed = results?.find(([err]) => err !== null)?.[0];
      if (failed) throw failed;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'an answer could not be kept in Redis: later references to it will be refused');
    }
  }

  async get(scope: string, keys: readonly string[]): Promise<(Record<string, unknown> | undefined)[]> {
    await this.ready();
    const values = await this.redis.mget(keys.map((key) => this.key(scope, key)));
    return values.map(parsed);
  }

  async change(scope: string, key: string, next: (current: Record<string, unknown> | undefined) => unknown): Promise<void> {
    await this.ready();
    const k = this.key(scope, key);
    // Optimistic: the new value is written only if the key still holds what it was made from.
    for (let race = 0; race < MAX_RACES; race++) {
      const before = await this.redis.get(k);
      const value = next(parsed(before));
      const json = value === null ? '' : JSON.stringify(value);
      if (json.length > this.maxValueBytes) throw new ValueTooLarge(json.length, this.maxValueBytes);
      const done = await this.redis.eval(SWAP, 1, k, before ?? '', json, this.ttlMs);
      if (done === 1) return;
      // Another process won: let it go on a moment, so that many do not keep colliding.
      await new Promise((r) => setTimeout(r, Math.random() * 2 ** Math.min(race, 6)));
    }
    throw new Error(`other gateway processes changed it ${MAX_RACES} times while this change was being made`);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * A Responses WebSocket's items: its latest answer, kept in the connection whatever
 * `store` said, as OpenAI keeps it, so that a client may send only what is new with
 * `previous_response_id` and still have nothing stored; in front of the kept answers.
 * Its record holds the whole conversation up to that answer, so it needs no chain.
 */
export class ConnectionItems implements ResponseItems {
  /** `stored`: it was also kept with `store`, where other connections and requests find it. */
  private latest: { key: string; record: AnswerRecord; items: Map<string, unknown>; stored: boolean } | null = null;

  constructor(private readonly shared: ResponseItems | null) {}

  get ttlMs(): number {
    return this.shared?.ttlMs ?? 0;
  }

  get maxValueBytes(): number | null {
    return this.shared?.maxValueBytes ?? null;
  }

  /**
   * `answer` was sent for the request resolved as `kept`: it is now the connection's
   * latest. `stored`: it was also kept with `store`.
   */
  remember(answer: Record<string, unknown>, kept: Resolved, stored: boolean): void {
    if (typeof answer.id !== 'string') return;
    const output = Array.isArray(answer.output) ? answer.output as unknown[] : [];
    const input = keptInput(kept.prev === null ? kept.own : (kept.body as { input: unknown[] }).input);
    const items = new Map<string, unknown>();
    for (const item of output) {
      const id = idOf(item);
      if (id !== null) items.set(itemKey(id), item);
    }
    this.latest = { key: recordKey(answer.id), record: { prev: null, input, output }, items, stored };
  }

  /**
   * What the record of an answer kept with `store` holds for the request resolved as
   * `kept`, made on this connection: its own input and the answer it followed; but when
   * that answer is this connection's alone (`store: false`), which no other connection or
   * request can find, the whole conversation before it instead, and no link to follow.
   */
  link(kept: Resolved): { own: unknown[]; prev: string | null; chain?: readonly string[] } {
    const latest = this.latest;
    if (kept.prev === null || latest === null || latest.stored || latest.key !== recordKey(kept.prev)) return kept;
    return { own: (kept.body as { input: unknown[] }).input, prev: null };
  }

  put(scope: string, entries: readonly (readonly [string, unknown])[], refresh?: readonly string[]): Promise<void> {
    return this.shared === null ? Promise.resolve() : this.shared.put(scope, entries, refresh);
  }

  change(scope: string, key: string, next: (current: Record<string, unknown> | undefined) => unknown): Promise<void> {
    return this.shared === null ? Promise.reject(new Error('answers are not kept')) : this.shared.change(scope, key, next);
  }

  async get(scope: string, keys: readonly string[]): Promise<(Record<string, unknown> | undefined)[]> {
    const latest = this.latest;
    const found = keys.map((k) => (latest === null ? undefined : k === latest.key ? latest.record : latest.items.get(k)) as Record<string, unknown> | undefined);
    const missing: number[] = [];
    for (let i = 0; i < found.length; i++) if (found[i] === undefined) missing.push(i);
    if (missing.length > 0 && this.shared !== null) {
      const more = await this.shared.get(scope, missing.map((i) => keys[i]));
      for (let k = 0; k < missing.length; k++) found[missing[k]] = more[k];
    }
    return found;
  }

  close(): Promise<void> {
    this.latest = null;
    return Promise.resolve();
  }
}

/** What the error messages say is kept. */
function keptFor(items: ResponseItems): string {
  const shared = items.ttlMs > 0 ? `answers are kept for ${spoken(items.ttlMs)}, for the key that got them` : null;
  if (!(items instanceof ConnectionItems)) return shared ?? 'answers are not kept';
  return shared === null ? 'this connection keeps only its latest answer' : `${shared}, and this connection its latest`;
}

/** A TTL as the error messages say it: `24h`, `90m`, `45s`. */
export function spoken(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

/** Longest chain of answers `previous_response_id` may stand for. */
const MAX_CHAIN = 1000;

/** A Responses API body ready to parse, and what keeping its answer needs. */
export interface Resolved {
  body: unknown;
  /** The request's own input items, references resolved (a string input as a user message). */
  own: unknown[];
  /** The answer it follows (`previous_response_id`), or null. */
  prev: string | null;
  /** With `prev`: the answers it builds on, newest first (`prev`, the one before it, ...). */
  chain?: readonly string[];
}

/**
 * A Responses API body with `input`'s item references replaced by the items they name,
 * and with the conversation `previous_response_id` stands for before its own input.
 * Resolves at once (nothing awaited) when there is neither. `scope` names the caller; it
 * is asked only when something must be looked up. What is not kept is the client's
 * error, naming where it was referred to.
 */
export function resolveKept(items: ResponseItems, body: unknown, scope: () => string): Resolved | Promise<Resolved> {
  if (!isRecord(body)) return { body, own: [], prev: null };
  const given = body.previous_response_id;
  if (given !== undefined && given !== null && (typeof given !== 'string' || given === '')) throw badRequest('previous_response_id', '`previous_response_id` must be the id of an earlier answer');
  const input = body.input;
  if (typeof input !== 'string' && !Array.isArray(input)) {
    // Nothing to build on: the intake says what is wrong with `input`.
    const { previous_response_id: _, ...rest } = body;
    return { body: rest, own: [], prev: null };
  }
  const prev = typeof given === 'string' ? given : null;
  const own = typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input as unknown[];
  let refs: number[] | null = null;
  let reasoning: number[] | null = null;
  for (let i = 0; i < own.length; i++) {
    const item = own[i];
    if (!isRecord(item)) continue;
    if (item.type === 'item_reference') (refs ??= []).push(i);
    else if (replayedReasoning(item)) (reasoning ??= []).push(i);
  }
  if (refs === null && reasoning === null && prev === null) return { body, own, prev };
  return resolved(items, body, own, refs ?? [], reasoning ?? [], prev, scope());
}

/**
 * A reasoning item replayed by its id without its encrypted content, as the OpenAI Agents
 * SDK replays an answer's items: when the gateway kept the item, its encrypted content (an
 * OpenAI model's reasoning, or Claude's signed thinking, sealed) is looked up, as OpenAI
 * looks up a kept item by its id.
 */
function replayedReasoning(item: Record<string, unknown>): boolean {
  return item.type === 'reasoning' && typeof item.id === 'string' && item.id !== '' && (item.encrypted_content === undefined || item.encrypted_content === null);
}

async function resolved(items: ResponseItems, body: Record<string, unknown>, input: unknown[], refs: number[], reasoning: number[], prev: string | null, scope: string): Promise<Resolved> {
  const kept = keptFor(items);
  const lookup = async (keys: string[]): Promise<(Record<string, unknown> | undefined)[]> => {
    try {
      return await items.get(scope, keys);
    } catch (err) {
      throw new SwitchyardError('SY_ERR_UNAVAILABLE', `earlier answers cannot be looked up now: their store is unavailable (${(err as Error).message})`);
    }
  };
  const ids = refs.map((i) => {
    const id = (input[i] as Record<string, unknown>).id;
    if (typeof id !== 'string' || id === '') throw badRequest(`input[${i}].id`, `\`input[${i}].id\` must be the id of an item of an earlier answer`);
    return id;
  });
  const own = input.slice();
  if (ids.length > 0) {
    const found = await lookup(ids.map(itemKey));
    for (let k = 0; k < refs.length; k++) {
      const item = found[k];
      const at = `input[${refs[k]}]`;
      if (item === undefined) throw badRequest(`${at}.id`, `\`${at}\`: item "${ids[k]}" is not known: ${kept}; send the item itself instead (as with \`store: false\`)`);
      own[refs[k]] = item;
    }
  }
  if (reasoning.length > 0) {
    // Not kept (another key's, expired, or never given out here), or not to be looked up
    // now: the item stands as sent.
    const found = await items.get(scope, reasoning.map((i) => itemKey((input[i] as { id: string }).id))).catch(() => []);
    for (let k = 0; k < reasoning.length; k++) {
      const sealed = found[k]?.encrypted_content;
      if (typeof sealed === 'string' && sealed !== '') own[reasoning[k]] = { ...(input[reasoning[k]] as Record<string, unknown>), encrypted_content: sealed };
    }
  }
  if (prev === null) return { body: { ...body, input: own }, own, prev };
  // The answers before, newest first: each one's input and output, in order.
  const chain: AnswerRecord[] = [];
  const links: string[] = [];
  for (let id: string | null = prev; id !== null;) {
    if (chain.length === MAX_CHAIN) throw badRequest('previous_response_id', `\`previous_response_id\`: the conversation is longer than ${MAX_CHAIN} answers; send it in \`input\``);
    const [record] = await lookup([recordKey(id)]);
    if (record === undefined) {
      throw new SwitchyardError('SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', `Previous response with id '${id}' not found: ${kept}; send the whole conversation in \`input\` instead`, { details: { param: 'previous_response_id' } });
    }
    chain.push(record as unknown as AnswerRecord);
    links.push(id);
    id = (record as unknown as AnswerRecord).prev;
  }
  const history: unknown[] = [];
  for (let i = chain.length - 1; i >= 0; i--) history.push(...chain[i].input, ...chain[i].output);
  const { previous_response_id: _, ...rest } = body;
  return { body: { ...rest, input: [...history, ...own] }, own, prev, chain: links };
}
