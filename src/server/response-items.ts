/**
 * The output items of Responses API answers, kept so a later request can refer to them
 * by id (`{"type": "item_reference", "id": …}`) instead of sending them again. OpenAI
 * keeps every response created with `store` (the default), and clients rely on it: the
 * Vercel AI SDK replays an earlier answer's text and reasoning as references unless told
 * `store: false`. The gateway keeps items for a while, never the conversation: each
 * request still brings its own input, and `previous_response_id` stays refused.
 *
 * Items are scoped to the principal that got them (one key cannot read another's) and
 * held in this process (an LRU bounded in bytes), or in Redis when governance counters
 * are, so that every gateway process on it can resolve them.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors.js';
import { badRequest, isRecord } from '../wire/validate.js';

export interface ResponseItems {
  /** Milliseconds an item is kept. */
  readonly ttlMs: number;
  /** Keeps a response's output items for `scope`; failures are logged, never thrown. */
  put(scope: string, items: readonly unknown[]): void;
  /** The items with these ids, each undefined when not kept (expired, evicted or never seen). */
  get(scope: string, ids: readonly string[]): Promise<(Record<string, unknown> | undefined)[]>;
  close(): Promise<void>;
}

/** An output item's id, when it has one worth keeping it by. */
function idOf(item: unknown): string | null {
  if (typeof item !== 'object' || item === null) return null;
  const id = (item as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : null;
}

function parsed(json: string | null | undefined): Record<string, unknown> | undefined {
  return typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : undefined;
}

/** In this process: an LRU over the items' JSON, bounded by its length. */
export class MemoryResponseItems implements ResponseItems {
  private readonly cache: LRUCache<string, string>;

  constructor(maxBytes: number, readonly ttlMs: number) {
    this.cache = new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (v, k) => v.length + k.length, ttl: ttlMs });
  }

  put(scope: string, items: readonly unknown[]): void {
    for (const item of items) {
      const id = idOf(item);
      if (id !== null) this.cache.set(`${scope}\u0000${id}`, JSON.stringify(item));
    }
  }

  get(scope: string, ids: readonly string[]): Promise<(Record<string, unknown> | undefined)[]> {
    return Promise.resolve(ids.map((id) => parsed(this.cache.get(`${scope}\u0000${id}`))));
  }

  close(): Promise<void> {
    this.cache.clear();
    return Promise.resolve();
  }
}

/** In Redis, one key per item (`<prefix>ri:<scope digest>:<id>`), expiring after the TTL. */
export class RedisResponseItems implements ResponseItems {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix: string, readonly ttlMs: number, private readonly logger: Logger) {
    const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    this.redis = new Client(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, connectTimeout: 2000, retryStrategy: (n) => Math.min(n * 200, 2000) });
    this.redis.on('error', () => { /* every call reports its own failure */ });
  }

  private key(scope: string, id: string): string {
    // The scope is a principal's id: digested, so no key name can be made to collide.
    return `${this.prefix}ri:${createHash('sha256').update(scope).digest('base64url').slice(0, 22)}:${id}`;
  }

  private connecting: Promise<void> | null = null;

  /** Connects on first use; callers meanwhile share the one attempt. */
  private async ready(): Promise<void> {
    if (this.connecting === null && this.redis.status === 'wait') {
      this.connecting = this.redis.connect().finally(() => {
        this.connecting = null;
      });
    }
    if (this.connecting !== null) await this.connecting;
  }

  put(scope: string, items: readonly unknown[]): void {
    const p = this.redis.pipeline();
    let n = 0;
    for (const item of items) {
      const id = idOf(item);
      if (id === null) continue;
      p.set(this.key(scope, id), JSON.stringify(item), 'PX', this.ttlMs);
      n++;
    }
    if (n === 0) return;
    this.ready().then(() => p.exec()).catch((err: Error) => {
      this.logger.warn({ err: err.message }, 'response items could not be kept in Redis: later references to them will be refused');
    });
  }

  async get(scope: string, ids: readonly string[]): Promise<(Record<string, unknown> | undefined)[]> {
    await this.ready();
    const values = await this.redis.mget(ids.map((id) => this.key(scope, id)));
    return values.map(parsed);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A TTL as the error messages say it: `24h`, `90m`, `45s`. */
function spoken(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

/**
 * A Responses API body with `input`'s item references replaced by the items they name,
 * or the body itself when it has none (then nothing is awaited). `scope` names the
 * caller; it is asked only when there are references. An id not kept is the client's
 * error, naming where it was referred to.
 */
export function withKeptItems(items: ResponseItems, body: unknown, scope: () => string): unknown {
  if (!isRecord(body) || !Array.isArray(body.input)) return body;
  const input = body.input as unknown[];
  let refs: number[] | null = null;
  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    if (isRecord(item) && item.type === 'item_reference') (refs ??= []).push(i);
  }
  return refs === null ? body : resolved(items, body, input, refs, scope());
}

async function resolved(items: ResponseItems, body: Record<string, unknown>, input: unknown[], refs: number[], scope: string): Promise<Record<string, unknown>> {
  const ids = refs.map((i) => {
    const id = (input[i] as Record<string, unknown>).id;
    if (typeof id !== 'string' || id === '') throw badRequest(`input[${i}].id`, `\`input[${i}].id\` must be the id of an item of an earlier answer`);
    return id;
  });
  let found: (Record<string, unknown> | undefined)[];
  try {
    found = await items.get(scope, ids);
  } catch (err) {
    throw new SwitchyardError('SY_ERR_UNAVAILABLE', `item references cannot be resolved now: the store of response items is unavailable (${(err as Error).message})`);
  }
  const out = input.slice();
  for (let k = 0; k < refs.length; k++) {
    const item = found[k];
    const at = `input[${refs[k]}]`;
    if (item === undefined) {
      throw badRequest(`${at}.id`, `\`${at}\`: item "${ids[k]}" is not known: answers' items are kept for ${spoken(items.ttlMs)}, for the key that got them; send the item itself instead (as with \`store: false\`)`);
    }
    out[refs[k]] = item;
  }
  return { ...body, input: out };
}
