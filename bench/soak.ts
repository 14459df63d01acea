/**
 * Soak: does the gateway hold its memory under hours of mixed traffic? A leak a few bytes
 * per request long never shows in a test; it shows here as heap that grows after GC.
 *
 * Starts the wire fakes (bench/soak-fakes.ts) and a compiled gateway in front of them
 * (audit on, SQLite), then keeps `--concurrency` clients busy for `--minutes` with every
 * kind of request: each dialect to each provider, whole and streamed, tool calls, the
 * Responses API with and without kept answers and previous_response_id, with the built-in
 * apply_patch and shell tools, with tool search and tools declared in the input, in conversations (made, taken turns on by several clients
 * at once, added to, listed, deleted), and over a
 * WebSocket (warm-ups, turns sent as deltas, clients that leave), embeddings, token
 * counts, model lists, explain; clients that leave mid-stream; a provider that always
 * fails (its rule falls back), one that answers past the attempt timeout, one that cuts
 * streams; unknown keys, made-up model names, malformed and hostile bodies. Every 30 s it
 * prints the rate, RSS and heap in use. After the warm-up and at the end the gateway
 * writes a heap snapshot (which collects garbage first): the report compares the two, in
 * all and by kind of object, and gives RSS just before the first (writing one takes about
 * 200 MB the allocator keeps). It ends with each kind of request's statuses.
 *
 * Usage: npm run bench:soak -- [--minutes 10] [--concurrency 32] [--warmup 2] [--redis redis://127.0.0.1:6379] [--no-audit]
 * (--redis: counters and kept Responses answers in that Redis, under a prefix of their own;
 * --no-audit: the audit log off.)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { deletePrefix } from '../test/governance/helpers.js';
import { waitForHttp } from './harness.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: string): number => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i > 0 ? process.argv[i + 1] : dflt);
};
const MINUTES = arg('minutes', '10');
const CONCURRENCY = arg('concurrency', '32');
const WARMUP_MS = Math.min(arg('warmup', '2'), MINUTES / 2) * 60_000;
const REDIS = (() => {
  const i = process.argv.indexOf('--redis');
  return i > 0 ? process.argv[i + 1] : undefined;
})();
/** --no-audit: the audit log off, to tell its memory from the rest. */
const NO_AUDIT = process.argv.includes('--no-audit');
const PREFIX = `sy-soak-${process.pid}:`;
const ADMIN = 'soak-admin-token-0123456789';
const KEY = 'sk-sy-soak';

const dir = mkdtempSync(join(tmpdir(), 'sy-soak-'));
const fakes = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/soak-fakes.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
const up = JSON.parse(await new Promise<string>((done) => createInterface({ input: fakes.stdout! }).once('line', done))) as Record<string, string>;
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules/soak.yaml'), `rules:
  - {id: failing, when: 'model.startsWith("flaky-")', route: failing/flaky-1, fallbacks: [oa/gpt-4o-mini]}
  - {id: late, when: 'model.startsWith("slow-")', route: late/slow-1, fallbacks: [an/claude-haiku-4-5]}
`);
writeFileSync(join(dir, 'switchyard.yaml'), `
server: {allow_unauthenticated: true, admin_token: ${ADMIN}, response_items: {max_bytes: 1048576}}
logging: {level: error}
providers:
  oa: {type: openai, base_url: "${up.oa}/v1", models: ["gpt-*", "*codex*", "text-embedding-*"], keys: [{name: k, value: sk-oa}], options: {api: {"*codex*": responses}}}
  an: {type: anthropic, base_url: "${up.an}", models: ["claude-*"], keys: [{name: k, value: sk-an}]}
  gm: {type: gemini, base_url: "${up.gm}", models: ["gemini-*"], keys: [{name: k, value: sk-gm}]}
  failing: {type: openai, base_url: "${up.failing}/v1", weight: 0, models: ["flaky-*"], keys: [{name: k, value: sk-f}]}
  late: {type: openai, base_url: "${up.late}/v1", weight: 0, models: ["slow-*"], keys: [{name: k, value: sk-l}]}
  cut: {type: openai, base_url: "${up.cut}/v1", weight: 0, models: ["cut-*"], keys: [{name: k, value: sk-c}]}
  mock: {type: mock, weight: 0, models: ["*"], options: {latency_ms: 5, chunks: 4}}
governance:
  teams: [{id: t1, budgets: [{limit_usd: 100000, period: 1d}]}]
  virtual_keys:
    - {id: vk1, key_hash: "sha256:${createHash('sha256').update(KEY).digest('hex')}", team: t1, rate_limit: {requests: 1000000, per: 1m}}
${REDIS === undefined ? '' : `  store: {type: redis, url: "${REDIS}", prefix: "${PREFIX}"}`}
rules: {paths: [rules/]}
dispatch: {max_attempts: 3, retries_per_target: 0, timeouts: {attempt_ms: 800, idle_ms: 800, total_ms: 5000}}
audit: {enabled: ${!NO_AUDIT}, sinks: [{type: sqlite, path: audit.db}]}
`);
const port = 20000 + Math.floor(Math.random() * 20000);
const gw = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', join(root, 'bin/switchyard.js'), 'serve', '--config', join(dir, 'switchyard.yaml'), '--port', String(port)], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
await waitForHttp(`${base}/healthz`, 30_000);

const pool = new Pool(base, { connections: CONCURRENCY });
const statuses = new Map<string, Map<string, number>>();
const count = (kind: string, status: string): void => {
  const m = statuses.get(kind) ?? new Map<string, number>();
  statuses.set(kind, m.set(status, (m.get(status) ?? 0) + 1));
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const n = (max: number): number => Math.floor(Math.random() * max);
let seq = 0;
let lastKept: string | null = null;

/** One request; `leave`: read the first chunk, then hang up. Returns the body, or null. */
async function send(kind: string, path: string, body: unknown, headers: Record<string, string> = {}, leave = false, method = 'POST'): Promise<string | null> {
  const ac = new AbortController();
  try {
    const res = await pool.request({
      method, path, signal: ac.signal,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-request-id': `soak-${++seq}`, ...headers },
    });
    count(kind, String(res.statusCode));
    if (!leave) return await res.body.text();
    for await (const _chunk of res.body) break;
    ac.abort();
    return null;
  } catch (e) {
    if (!leave) count(kind, `error ${(e as Error).name}`);
    return null;
  }
}

/** Messages on `ws` until a response finishes or fails; rejects when the connection closes or 5 s pass first. */
function finished(ws: WebSocket): Promise<{ type: string; status?: number; response?: { id: string } }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('no answer within 5 s')), 5000);
    const onMessage = (data: WebSocket.RawData): void => {
      const m = JSON.parse(String(data)) as { type: string };
      if (['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(m.type)) done(null, m);
    };
    const onClose = (): void => done(new Error('closed'));
    const done = (err: Error | null, m?: { type: string }): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (err) reject(err);
      else resolve(m!);
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
  });
}

/**
 * A Responses WebSocket session as Codex runs one: sometimes a warm-up, then one to three
 * turns sent as only what is new with store: false; sometimes it leaves mid-answer.
 */
async function websocket(): Promise<void> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${KEY}` } });
  try {
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const model = pick(['gpt-4o-mini', 'gpt-5-codex', 'claude-haiku-4-5', 'gemini-2.5-flash']);
    let prev: string | null = null;
    if (Math.random() < 0.5) {
      ws.send(JSON.stringify({ type: 'response.create', model, generate: false, store: false, instructions: 'Be terse.', input: [{ role: 'developer', content: 'Context.' }] }));
      prev = (await finished(ws)).response?.id ?? null;
    }
    for (let turn = 1 + n(3); turn > 0; turn--) {
      ws.send(JSON.stringify({ type: 'response.create', model, store: false, input: user(`turn ${n(1e6)}`), ...(prev ? { previous_response_id: prev } : {}) }));
      if (Math.random() < 0.1) {
        await new Promise((resolve) => ws.once('message', resolve));
        count('websocket leaves mid-answer', 'left');
        return;
      }
      const last = await finished(ws);
      count('websocket turn', last.type === 'error' ? String(last.status) : last.type);
      prev = last.response?.id ?? null;
    }
  } catch (e) {
    count('websocket turn', `error ${(e as Error).message}`);
  } finally {
    ws.terminate();
  }
}

const CHAT_MODELS = ['gpt-4o-mini', 'claude-haiku-4-5', 'gemini-2.5-flash', 'mock/m1', 'gpt-5-codex', 'flaky-1', 'slow-1'];
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
/** Conversations in use, with their turns so far; several clients take turns on one at once. */
const conversations = new Map<string, number>();
const AUTH = { authorization: `Bearer ${KEY}` };

/**
 * A conversation's life: made with an item, turns on it (whole or streamed, on any
 * provider), items added and listed; after 30 turns it is deleted, and a new one made.
 */
async function conversation(): Promise<void> {
  if (conversations.size < 12) {
    const made = await send('conversation create', '/v1/conversations', { items: user('hi'), metadata: { soak: 'yes' } }, AUTH);
    try {
      conversations.set((JSON.parse(made ?? '') as { id: string }).id, 0);
    } catch { /* an error answer */ }
    return;
  }
  const id = pick([...conversations.keys()]);
  const turns = (conversations.get(id) ?? 0) + 1;
  conversations.set(id, turns);
  if (turns > 30) {
    conversations.delete(id);
    await send('conversation delete', `/v1/conversations/${id}`, undefined, AUTH, false, 'DELETE');
    return;
  }
  const r = Math.random();
  if (r < 0.6) await send('conversation turn', '/v1/responses', { model: pick(['gpt-4o-mini', 'gpt-5-codex', 'claude-haiku-4-5']), conversation: id, input: `turn ${n(1e6)}`, stream: Math.random() < 0.5 }, AUTH);
  else if (r < 0.8) await send('conversation add items', `/v1/conversations/${id}/items`, { items: user('more') }, AUTH);
  else await send('conversation list items', `/v1/conversations/${id}/items?limit=5`, undefined, AUTH, false, 'GET');
}

const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const user = (text: string) => [{ role: 'user', content: text }];
const OPS: (() => Promise<unknown>)[] = [
  () => send('chat', '/v1/chat/completions', { model: pick(CHAT_MODELS), messages: [{ role: 'system', content: 'Be terse.' }, ...user(`hello ${n(1e6)}`)], max_tokens: 50 }),
  () => send('chat stream', '/v1/chat/completions', { model: pick(CHAT_MODELS), stream: true, messages: user('hello'), max_tokens: 50 }),
  () => send('chat tools', '/v1/chat/completions', { model: pick(CHAT_MODELS), messages: user('weather?'), tools: [weather] }),
  () => send('stream cut upstream', '/v1/chat/completions', { model: 'cut/cut-1', stream: true, messages: user('hello') }),
  () => send('client leaves a stream', '/v1/chat/completions', { model: pick(['gpt-4o-mini', 'claude-haiku-4-5', 'slow-1', 'mock/m']), stream: true, messages: user('hello') }, {}, true),
  () => send('anthropic', '/anthropic/v1/messages', { model: pick(['claude-haiku-4-5', 'gpt-4o-mini', 'gemini-2.5-flash']), max_tokens: 100, messages: user('hi') }, ANTHROPIC),
  () => send('anthropic stream', '/anthropic/v1/messages', { model: pick(['claude-haiku-4-5', 'gpt-4o-mini', 'gemini-2.5-flash']), stream: true, max_tokens: 100, messages: user('hi') }, ANTHROPIC),
  () => send('count tokens', '/anthropic/v1/messages/count_tokens', { model: pick(['claude-haiku-4-5', 'gpt-4o-mini']), messages: user('hi') }, ANTHROPIC),
  async () => {
    const prev = Math.random() < 0.3 ? lastKept : null;
    const text = await send('responses', '/v1/responses', { model: pick(['gpt-4o-mini', 'gpt-5-codex', 'claude-haiku-4-5']), input: `hello ${n(1e6)}`, store: Math.random() < 0.5, ...(prev ? { previous_response_id: prev } : {}) }, { authorization: `Bearer ${KEY}` });
    try {
      const r = JSON.parse(text ?? '') as { id?: string; store?: boolean };
      if (r.store === true && r.id) lastKept = r.id;
    } catch { /* an error answer */ }
  },
  () => send('responses stream', '/v1/responses', { model: pick(['gpt-4o-mini', 'gpt-5-codex', 'gemini-2.5-flash']), input: 'hi', stream: true, store: false }),
  () => send('responses built-in tools', '/v1/responses', {
    model: pick(['gpt-4o-mini', 'gpt-5-codex', 'claude-haiku-4-5']), stream: Math.random() < 0.5, store: false, tools: [{ type: 'apply_patch' }, { type: 'shell' }],
    input: [...user('fix it'), { type: 'apply_patch_call', call_id: 'c1', operation: { type: 'create_file', path: 'a.txt', diff: '+a' }, status: 'completed' }, { type: 'apply_patch_call_output', call_id: 'c1', status: 'completed', output: 'Created a.txt' }],
  }),
  () => send('responses tool search', '/v1/responses', {
    model: pick(['gpt-5.4-codex', 'gpt-4o-mini', 'claude-haiku-4-5']), stream: Math.random() < 0.5, store: false,
    tools: [{ type: 'function', name: 'get_weather', parameters: weather.function.parameters, defer_loading: true }, { type: 'tool_search', execution: pick(['server', 'client']) }],
    input: [{ type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'clock', description: 'Time.', tools: [{ type: 'function', name: 'sleep', parameters: { type: 'object', properties: {} } }] }] }, ...user('weather?')],
  }),
  conversation,
  websocket,
  () => send('embeddings', '/v1/embeddings', { model: pick(['text-embedding-3-small', 'mock/e']), input: ['a', 'b'] }),
  () => send('virtual key', '/v1/chat/completions', { model: 'gpt-4o-mini', messages: user('x') }, { authorization: `Bearer ${KEY}` }),
  () => send('unknown key', '/v1/chat/completions', { model: 'gpt-4o-mini', messages: user('x') }, { authorization: `Bearer sk-sy-wrong-${n(1e9)}` }),
  () => send('made-up model a glob admits', '/v1/chat/completions', { model: `gpt-made-up-${n(1e9)}`, messages: user('x') }),
  () => send('unknown model', '/v1/chat/completions', { model: `nope-${n(1e9)}`, messages: user('x') }),
  () => send('malformed JSON', '/v1/chat/completions', '{"model": "gpt-4o-mini", "messages": ['),
  () => send('deep JSON', '/v1/chat/completions', `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`),
  () => send('__proto__ key', '/v1/chat/completions', '{"model":"gpt-4o-mini","__proto__":{"x":1},"messages":[{"role":"user","content":"x"}]}'),
  () => send('model list', '/v1/models', undefined, {}, false, 'GET'),
  () => send('explain', '/admin/explain', { request: { model: pick(CHAT_MODELS) } }, { authorization: `Bearer ${ADMIN}` }),
];

/** What the gateway has in use now: RSS from /proc, heap from its metrics (not collected first). */
/** The gateway's resident memory now, in MB. */
function rssMb(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

async function usage(): Promise<string> {
  const rss = rssMb();
  const text = await (await fetch(`${base}/metrics`)).text();
  const heap = Number(/switchyard_process_nodejs_heap_size_used_bytes (\d+)/.exec(text)?.[1] ?? NaN) / 1048576;
  const external = Number(/switchyard_process_nodejs_external_memory_bytes (\d+)/.exec(text)?.[1] ?? NaN) / 1048576;
  return `rss ${rss.toFixed(0)} MB, heap in use ${heap.toFixed(1)} MB, external ${external.toFixed(1)} MB`;
}

/** Has the gateway write a heap snapshot (after a full GC); returns its file once written. */
async function snapshot(): Promise<string> {
  const before = new Set(readdirSync(dir));
  gw.kill('SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // The loop is blocked while the snapshot is written: an answer means it is done.
    if (file !== undefined && (await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) return join(dir, file);
  }
}

/** Objects in a heap snapshot by kind (`type:constructor`): count and bytes. */
function kinds(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [width, iType, iName, iSize] = [fields.length, fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]];
    const name = type === 'object' || type === 'closure' ? s.strings[s.nodes[i + iName]] : '';
    const k = name ? `${type}:${name}` : type;
    const e = out.get(k) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize];
    out.set(k, e);
  }
  return out;
}

const started = Date.now();
const end = started + MINUTES * 60_000;
let done = 0;
const workers = Array.from({ length: CONCURRENCY }, async () => {
  while (Date.now() < end) {
    await pick(OPS)();
    done++;
  }
});
console.log(`Soak: ${MINUTES} min, ${CONCURRENCY} clients, gateway pid ${gw.pid} in ${dir}\n`);
let warm: string | null = null;
// Writing a heap snapshot takes about 200 MB of native memory, which the allocator keeps:
// RSS after the first snapshot says more about the snapshot than about the gateway.
let rssBeforeSnapshot = NaN;
while (Date.now() < end) {
  await new Promise((r) => setTimeout(r, Math.min(30_000, Math.max(0, end - Date.now()))));
  const s = (Date.now() - started) / 1000;
  console.log(`${s.toFixed(0).padStart(5)} s  ${String(done).padStart(9)} requests  ${(done / s).toFixed(0).padStart(5)}/s  ${await usage()}`);
  if (warm === null && Date.now() - started >= WARMUP_MS && end - Date.now() > 60_000) {
    rssBeforeSnapshot = rssMb();
    warm = await snapshot();
  }
}
if (warm === null) rssBeforeSnapshot = rssMb();
await Promise.all(workers);
const last = await snapshot();
gw.kill('SIGTERM');
fakes.kill();
await pool.close();
// Kept answers would stay a day in Redis.
if (REDIS !== undefined) await deletePrefix(PREFIX, REDIS);

if (warm !== null) {
  const [a, b] = [kinds(warm), kinds(last)];
  const total = (m: Map<string, { bytes: number }>) => [...m.values()].reduce((t, e) => t + e.bytes, 0) / 1e6;
  console.log(`\nHeap after GC: ${total(a).toFixed(1)} MB after the warm-up, ${total(b).toFixed(1)} MB at the end (RSS before the first snapshot: ${rssBeforeSnapshot.toFixed(0)} MB)`);
  const grew = [...b].map(([k, e]) => ({ k, count: e.count - (a.get(k)?.count ?? 0), bytes: e.bytes - (a.get(k)?.bytes ?? 0) }))
    .filter((g) => g.bytes > 50_000).sort((x, y) => y.bytes - x.bytes).slice(0, 10);
  for (const g of grew) console.log(`  ${(g.bytes / 1e3).toFixed(0).padStart(8)} kB  ${String(g.count).padStart(8)} objects  ${g.k}`);
  if (grew.length === 0) console.log('  no kind of object grew by more than 50 kB');
}
console.log('\nStatuses by kind of request:');
for (const [kind, m] of [...statuses].sort()) console.log(`  ${kind.padEnd(30)} ${[...m].map(([st, c]) => `${st} ×${c}`).join(', ')}`);
console.log(`\nThe gateway's directory (config, audit.db, snapshots): ${dir}`);
process.exit(0);
