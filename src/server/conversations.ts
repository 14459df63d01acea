/**
 * OpenAI's Conversations API (`/v1/conversations`), kept by the gateway with its kept
 * answers (server.response_items: in Redis when governance.store is, else in this
 * process, for its `ttl` after a conversation's last change), per virtual key. A
 * conversation is created with items and metadata, read, updated and deleted; its items
 * are listed in pages, added, read and deleted. A Responses API request that names a
 * `conversation` is served with the conversation's items before its own input, on
 * whichever provider the router picks, and once answered its input and output are added.
 *
 * A conversation is one record (its metadata and items in order). Each change is made in
 * one step against the store (compare and swap in Redis), so two gateway processes
 * changing one conversation at the same moment both get their change kept; within a
 * process, changes to one conversation also go in the order they came, and a read waits
 * for those under way, so a turn sees the one before it.
 */
import { SwitchyardError } from '../errors.js';
import { parseResponsesPrefix } from '../wire/responses/intake.js';
import { badRequest, isRecord } from '../wire/validate.js';
import { newId } from './ids.js';
import { keptInput, resolveKept, spoken, ValueTooLarge, type ResponseItems } from './response-items.js';

/** A conversation as kept. */
interface ConversationRecord {
  created_at: number;
  metadata: Record<string, string>;
  items: Record<string, unknown>[];
}

/** Items a request may add at once, as OpenAI allows. */
const MAX_ADDED = 20;
const MAX_METADATA = 16;
const MAX_PAGE = 100;
/** Id prefixes of the items the gateway names, by type. */
const PREFIXES: Readonly<Record<string, string>> = {
  message: 'msg_', function_call: 'fc_', function_call_output: 'fco_', custom_tool_call: 'ctc_', custom_tool_call_output: 'ctco_', reasoning: 'rs_',
  apply_patch_call: 'apc_', apply_patch_call_output: 'apco_', shell_call: 'sh_', shell_call_output: 'sho_',
  web_search_call: 'ws_', tool_search_call: 'tsc_', tool_search_output: 'tso_', additional_tools: 'at_',
};

const recordKey = (id: string): string => `c:${id}`;

function conversationObject(id: string, c: ConversationRecord): Record<string, unknown> {
  return { id, object: 'conversation', created_at: c.created_at, metadata: c.metadata };
}

/** `metadata` as OpenAI takes it: up to 16 string values, keys up to 64 characters, values up to 512. */
function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw badRequest('metadata', '`metadata` must be an object of strings');
  const keys = Object.keys(value);
  if (keys.length > MAX_METADATA) throw badRequest('metadata', `\`metadata\` holds at most ${MAX_METADATA} keys`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = value[k];
    if (k.length > 64 || typeof v !== 'string' || v.length > 512) throw badRequest(`metadata.${k}`, `\`metadata.${k}\`: keys up to 64 characters, values strings up to 512`);
    out[k] = v;
  }
  return out;
}

/**
 * An item as a conversation keeps it, and lists and replays it: a message in its item
 * form (content as parts), and every item with an id. A compaction shows the user's
 * messages so too.
 */
export function keptItem(item: Record<string, unknown>): Record<string, unknown> {
  const type = typeof item.type === 'string' ? item.type : 'message';
  const id = typeof item.id === 'string' && item.id !== '' ? item.id : newId(PREFIXES[type] ?? 'item_');
  if (type !== 'message') return { ...item, id };
  const content = typeof item.content === 'string'
    ? [item.role === 'assistant' ? { type: 'output_text', text: item.content, annotations: [] } : { type: 'input_text', text: item.content }]
    : item.content;
  return { type: 'message', id, status: item.status ?? 'completed', role: item.role, content };
}

/**
 * An error naming `input[i]` (as the Responses intake and resolveKept name an item) that
 * names `field[i - offset]` instead; as it was when it names an item before `offset`, or none.
 */
function inField(e: unknown, field: string, offset: number): unknown {
  if (!(e instanceof SwitchyardError)) return e;
  const m = /^input\[(\d+)\](.*)$/.exec((e.details?.param as string | undefined) ?? '');
  if (m === null || Number(m[1]) < offset) return e;
  const at = `${field}[${Number(m[1]) - offset}]`;
  return new SwitchyardError(e.code, e.message.replaceAll(`input[${m[1]}]`, at), { status: e.status, details: { ...e.details, param: `${at}${m[2]}` } });
}

/**
 * Checks that `items` after `before` still make a conversation a request could send, as
 * the Responses intake reads one, naming a bad item by its place in `field`.
 */
function check(before: readonly unknown[], items: readonly unknown[], field: string): void {
  try {
    parseResponsesPrefix({ model: 'conversation', input: [...before, ...items] });
  } catch (e) {
    throw inField(e, field, before.length);
  }
}

/**
 * A change refused because the conversation would be larger than the store keeps one: the
 * client's error, naming the limit (retrying cannot help), `field` being what it sent.
 */
function tooLarge(err: ValueTooLarge, field: string): SwitchyardError {
  return badRequest(field, `\`${field}\`: the conversation would take ${err.bytes} bytes, more than the ${err.limit} one may (server.response_items.max_bytes); it is left as it was`);
}

/**
 * Refuses `items` when one has the id of an item of the conversation (`before`), or of
 * one before it, as OpenAI does: items are listed (paged `after` an id), read and deleted
 * by their ids, so each names one item. Named by its place in `field`.
 */
function uniqueIds(before: readonly Record<string, unknown>[], items: readonly unknown[], field: string): void {
  const taken = new Set(before.map((item) => item.id));
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const id = isRecord(item) ? item.id : undefined;
    if (typeof id !== 'string' || id === '') continue;
    if (taken.has(id)) throw badRequest(`${field}[${i}].id`, `Duplicate item found with id ${id.slice(0, 100)}: the conversation holds it already, or \`${field}\` does before; remove the duplicate, or leave its id out`);
    taken.add(id);
  }
}

/** The items a request adds: a list of item objects, up to 20. */
function addedItems(value: unknown, field: string, required: boolean): Record<string, unknown>[] {
  if (value === undefined || value === null) {
    if (required) throw badRequest(field, `\`${field}\` is required: a list of items`);
    return [];
  }
  if (!Array.isArray(value)) throw badRequest(field, `\`${field}\` must be a list of items`);
  if (value.length > MAX_ADDED) throw badRequest(field, `\`${field}\`: at most ${MAX_ADDED} items at a time`);
  return value.map((item, i) => {
    if (!isRecord(item)) throw badRequest(`${field}[${i}]`, `\`${field}[${i}]\` must be an item object`);
    if (item.type === 'compaction_trigger') throw badRequest(`${field}[${i}].type`, `\`${field}[${i}].type\` "compaction_trigger" asks for an answer and is never kept: send it as the input of a Responses request naming the conversation`);
    return item;
  });
}

/** The conversation with a turn's items added, as kept (a `compaction_trigger` is not: see keptInput). */
function withAdded(c: ConversationRecord, items: readonly unknown[]): ConversationRecord {
  return { ...c, items: [...c.items, ...keptInput(items).filter(isRecord).map(keptItem)] };
}

export class Conversations {
  /** The change under way for each conversation in this process, which the next waits for. */
  private readonly changing = new Map<string, Promise<unknown>>();

  constructor(private readonly store: ResponseItems, private readonly clock: () => number) {}

  /** What the error messages say is kept. */
  private get kept(): string {
    return `conversations are kept for ${spoken(this.store.ttlMs)} after their last change, for the key that made them`;
  }

  /** The change under way for this conversation in this process, if any, to wait for. */
  private pending(scope: string, id: string): Promise<unknown> | undefined {
    return this.changing.get(`${scope}\u0000${id}`);
  }

  /** Runs `fn` once every earlier change of this conversation in this process is done. */
  private exclusive<T>(scope: string, id: string, fn: () => Promise<T>): Promise<T> {
    const key = `${scope}\u0000${id}`;
    const before = this.changing.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.changing.set(key, settled);
    void settled.then(() => {
      if (this.changing.get(key) === settled) this.changing.delete(key);
    });
    return run;
  }

  /**
   * Items a request adds, with their item references replaced by the items they name
   * (the caller's kept answers), as the conversation keeps them.
   */
  private async resolved(scope: string, items: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    try {
      const resolving = resolveKept(this.store, { input: items }, () => scope);
      return (resolving instanceof Promise ? await resolving : resolving).own as Record<string, unknown>[];
    } catch (e) {
      throw inField(e, 'items', 0);
    }
  }

  private notFound(id: string): SwitchyardError {
    return new SwitchyardError('SY_ERR_NOT_FOUND', `Conversation with id '${id}' not found: ${this.kept}.`, { status: 404, details: { param: 'conversation_id' } });
  }

  private async load(scope: string, id: string): Promise<ConversationRecord> {
    let found;
    try {
      [found] = await this.store.get(scope, [recordKey(id)]);
    } catch (err) {
      throw new SwitchyardError('SY_ERR_UNAVAILABLE', `conversations cannot be read now: their store is unavailable (${(err as Error).message})`);
    }
    if (found === undefined) throw this.notFound(id);
    return found as unknown as ConversationRecord;
  }

  /**
   * Changes a conversation, in order with this process's other changes to it, and in one
   * step against the store: `next` gets it as kept now (404 when there is none) and returns
   * it changed, or null to delete it; it may be called again if another process changed it
   * meanwhile. Resolves to what `next` returned last. A change that would make it too large
   * is refused naming `field`.
   */
  private modify(scope: string, id: string, next: (c: ConversationRecord) => ConversationRecord | null, field = 'items'): Promise<ConversationRecord | null> {
    return this.exclusive(scope, id, async () => {
      let result: ConversationRecord | null = null;
      try {
        await this.store.change(scope, recordKey(id), (current) => {
          if (current === undefined) throw this.notFound(id);
          result = next(current as unknown as ConversationRecord);
          return result;
        });
      } catch (err) {
        if (err instanceof SwitchyardError) throw err;
        if (err instanceof ValueTooLarge) throw tooLarge(err, field);
        throw new SwitchyardError('SY_ERR_UNAVAILABLE', `the conversation could not be changed now: ${(err as Error).message}`);
      }
      return result;
    });
  }

  /** `POST /v1/conversations`. */
  async create(scope: string, body: unknown): Promise<Record<string, unknown>> {
    const b = isRecord(body) ? body : {};
    const added = await this.resolved(scope, addedItems(b.items, 'items', false));
    check([], added, 'items');
    uniqueIds([], added, 'items');
    const id = newId('conv_');
    const c: ConversationRecord = { created_at: Math.floor(this.clock() / 1000), metadata: metadataOf(b.metadata), items: added.map(keptItem) };
    try {
      await this.store.change(scope, recordKey(id), () => c);
    } catch (err) {
      if (err instanceof ValueTooLarge) throw tooLarge(err, 'items');
      throw new SwitchyardError('SY_ERR_UNAVAILABLE', `the conversation could not be kept: ${(err as Error).message}`);
    }
    return conversationObject(id, c);
  }

  /** `GET /v1/conversations/{id}`. */
  async get(scope: string, id: string): Promise<Record<string, unknown>> {
    await this.pending(scope, id);
    return conversationObject(id, await this.load(scope, id));
  }

  /** `POST /v1/conversations/{id}`: new metadata. */
  update(scope: string, id: string, body: unknown): Promise<Record<string, unknown>> {
    const b = isRecord(body) ? body : {};
    if (b.metadata === undefined) throw badRequest('metadata', '`metadata` is required: the conversation\'s new metadata');
    const metadata = metadataOf(b.metadata);
    return this.modify(scope, id, (c) => ({ ...c, metadata }), 'metadata').then((c) => conversationObject(id, c!));
  }

  /** `DELETE /v1/conversations/{id}`. */
  delete(scope: string, id: string): Promise<Record<string, unknown>> {
    return this.modify(scope, id, () => null).then(() => ({ id, object: 'conversation.deleted', deleted: true }));
  }

  /** `GET /v1/conversations/{id}/items`: a page, newest first unless `order=asc`, after the item `after`. */
  async listItems(scope: string, id: string, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    const order = query.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw badRequest('order', '`order` must be asc or desc');
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw badRequest('limit', `\`limit\` must be a whole number from 1 to ${MAX_PAGE}`);
    await this.pending(scope, id);
    const items = (await this.load(scope, id)).items;
    const all = order === 'asc' ? items : [...items].reverse();
    let start = 0;
    if (query.after !== undefined) {
      const at = all.findIndex((item) => item.id === query.after);
      if (at < 0) throw badRequest('after', `\`after\`: the conversation has no item "${String(query.after).slice(0, 100)}"`);
      start = at + 1;
    }
    const data = all.slice(start, start + limit);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < all.length };
  }

  /** `POST /v1/conversations/{id}/items`: the items added, as kept. */
  async addItems(scope: string, id: string, body: unknown): Promise<Record<string, unknown>> {
    const added = await this.resolved(scope, addedItems(isRecord(body) ? body.items : undefined, 'items', true));
    let kept: Record<string, unknown>[] = [];
    return this.modify(scope, id, (c) => {
      check(c.items, added, 'items');
      uniqueIds(c.items, added, 'items');
      kept = added.map(keptItem);
      return { ...c, items: [...c.items, ...kept] };
    }).then(() => ({ object: 'list', data: kept, first_id: kept[0]?.id ?? null, last_id: kept.at(-1)?.id ?? null, has_more: false }));
  }

  /** `GET /v1/conversations/{id}/items/{item_id}`. */
  async getItem(scope: string, id: string, itemId: string): Promise<Record<string, unknown>> {
    await this.pending(scope, id);
    const item = (await this.load(scope, id)).items.find((i) => i.id === itemId);
    if (item === undefined) throw new SwitchyardError('SY_ERR_NOT_FOUND', `Item with id '${itemId}' not found in conversation '${id}'.`, { status: 404, details: { param: 'item_id' } });
    return item;
  }

  /** `DELETE /v1/conversations/{id}/items/{item_id}`: the conversation. */
  deleteItem(scope: string, id: string, itemId: string): Promise<Record<string, unknown>> {
    return this.modify(scope, id, (c) => {
      const at = c.items.findIndex((i) => i.id === itemId);
      if (at < 0) throw new SwitchyardError('SY_ERR_NOT_FOUND', `Item with id '${itemId}' not found in conversation '${id}'.`, { status: 404, details: { param: 'item_id' } });
      return { ...c, items: c.items.filter((_, i) => i !== at) };
    }).then((c) => conversationObject(id, c!));
  }

  /**
   * A Responses API body naming a `conversation`: the conversation's items before its own
   * input, and the conversation's id; null when it names none. `own` is its input as the
   * conversation will keep it: item references replaced by the items they name, looked up
   * in `items` (the kept answers, or a WebSocket's), so that the conversation never
   * depends on an answer that expires before it. Waits for this process's changes to the
   * conversation, so a turn sees the one before it. A conversation its input alone would
   * make too large is refused here, before the request goes upstream.
   */
  async resolve(scope: string, body: unknown, items: ResponseItems): Promise<{ body: Record<string, unknown>; id: string; own: unknown[] } | null> {
    if (!isRecord(body) || body.conversation === undefined || body.conversation === null) return null;
    const given = body.conversation;
    const id = typeof given === 'string' ? given : isRecord(given) && typeof given.id === 'string' ? given.id : null;
    if (id === null || id === '') throw badRequest('conversation', '`conversation` must be a conversation id, or {"id": ...}');
    if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
      throw badRequest('previous_response_id', '`previous_response_id` and `conversation` cannot be used together: a conversation already holds what came before');
    }
    await this.pending(scope, id);
    const c = await this.load(scope, id);
    const { conversation: _, ...rest } = body;
    const input = rest.input === undefined ? [] : typeof rest.input === 'string' ? [{ role: 'user', content: rest.input }] : rest.input;
    // Anything but a list is left for the intake to name.
    if (!Array.isArray(input)) return { body: rest, id, own: [] };
    const resolving = resolveKept(items, { input }, () => scope);
    const own = (resolving instanceof Promise ? await resolving : resolving).own;
    uniqueIds(c.items, own, 'input');
    const limit = this.store.maxValueBytes;
    if (limit !== null) {
      const bytes = JSON.stringify(withAdded(c, own)).length;
      if (bytes > limit) throw tooLarge(new ValueTooLarge(bytes, limit), 'input');
    }
    return { body: { ...rest, input: [...c.items, ...own] }, id, own };
  }

  /**
   * Adds an answered request's own input and its output to the conversation it named.
   * Refused (400, and the conversation left as it was) when they would make it too large.
   */
  append(scope: string, id: string, input: readonly unknown[], output: readonly unknown[]): Promise<void> {
    return this.modify(scope, id, (c) => {
      // Checked again: another turn may have added one of them since.
      uniqueIds(c.items, [...input, ...output], 'input');
      return withAdded(c, [...input, ...output]);
    }, 'input').then(() => undefined);
  }
}
