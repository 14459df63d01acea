/**
 * What a production config costs per request, against the embedded default.
 *
 * The other gateway benchmarks load the embedded config: no virtual keys, counters in
 * memory. Production looks different: thousands of virtual keys under teams and
 * customers, each level with budgets and request/token rate limits, the counters in
 * Redis shared by every instance, the audit log in PostgreSQL, a dozen rules. This starts
 * the mock upstream and one compiled gateway per variant, each in its own process:
 *
 *   embedded     the embedded default (no keys, memory counters, audit off)
 *   keys         --keys virtual keys (each with a budget and request + token limits) under
 *                teams and customers that have budgets and limits too, 12 rules; memory counters
 *   redis        the same, counters in Redis (127.0.0.1:6379, a prefix of this run's own)
 *   production   the same, and the audit log in PostgreSQL (127.0.0.1:5432/test, a table of
 *                this run's own)
 *
 * Every request presents the next of the configured keys in turn. A shared 2-core machine
 * drifts by tens of percent within minutes, so the variants (and the upstream called
 * directly) are loaded in `--rounds` rounds of short slices, in a rotating order, and
 * medians are printed: CPU per request of the gateway process (every thread) at
 * saturation, then p50 at an even `--rate`, its difference from direct's in the same
 * round, and the gateway's own time (Server-Timing). Then, on a quiet pass of `--count`
 * sequential requests per variant, the Redis commands each request sends (MONITOR, this
 * run's prefix only; commands a script runs are not counted: they are no round trips).
 *
 * `--cpu-prof DIR` runs each gateway under `node --cpu-prof`, its profile written to
 * DIR/<variant> when the bench stops it (open it in Chrome DevTools).
 *
 * Usage: npm run bench:production [-- --keys 20000 --rounds 8 --seconds 1.5 --rate 500
 *        --count 300 --only embedded,production --cpu-prof DIR --a DIR --b DIR --port-base N]
 * (--a: build the variants from another checkout with dist/ built, as for bench:ab; --b:
 * each variant from both builds, `name@a` and `name@b`, in the same rounds, with the
 * per-round ratios b/a: a change smaller than the drift between runs.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { Pool } from 'undici';
import { cpuMicros, median, startBenchGateway } from './harness.js';
import { closedLoop, openLoop, type LoadSpec } from './loadgen.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const KEYS = Number(arg('keys', '20000'));
const ROUNDS = Number(arg('rounds', '8'));
const SECONDS = Number(arg('seconds', '1.5'));
const RATE = Number(arg('rate', '500'));
const COUNT = Number(arg('count', '300'));
const CPU_PROF = arg('cpu-prof', '');
const BUILD = resolve(arg('a', root));
/** `--b DIR`: every variant twice, from `--a`'s build (name@a) and this one (name@b), in the same rounds. */
const B_BUILD = process.argv.includes('--b') ? resolve(arg('b', root)) : '';
const REDIS_URL = 'redis://127.0.0.1:6379';
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const RUN = `sy_bench_prod_${process.pid}`;
const PREFIX = `${RUN}:`;
const TEAMS = Math.max(8, Math.round(KEYS / 40));
const CUSTOMERS = Math.max(4, Math.round(TEAMS / 10));

type Variant = 'embedded' | 'keys' | 'redis' | 'production';
const ALL: Variant[] = ['embedded', 'keys', 'redis', 'production'];
const variants = arg('only', ALL.join(',')).split(',') as Variant[];

const keyOf = (i: number) => `sk-sy-bench-${i}`;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** `--port-base N`: the first free of ports N, N+1, … (a machine with ports set aside per user); else any free one. */
const PORT_BASE = Number(arg('port-base', '0'));
let nextPort = PORT_BASE;
async function freePort(): Promise<number> {
  if (PORT_BASE > 0) {
    // A client socket may hold one of them for a while (its ephemeral port): skip it.
    while (!(await listenable(nextPort))) nextPort++;
    return nextPort++;
  }
  return listenable(0) as Promise<number>;
}

function listenable(port: number): Promise<number | false> {
  return new Promise((done) => {
    const s = net.createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => done(port));
    });
  });
}

/** 12 rules of the usual kinds: a budget guard, tiers, team and customer scopes, a header, a shadow trial. */
function rulesYaml(): string {
  const route = 'route: upstream/gpt-4o-mini';
  const rules = [
    `- {id: budget-guard, when: "budget_used > 95", ${route}, priority: 10}`,
    `- {id: premium, when: "tier == \\"premium\\" && endpoint != \\"embeddings\\"", ${route}, priority: 20}`,
    `- {id: batch-header, when: "headers[?\\"x-app\\"].orValue(\\"\\") == \\"batch\\"", ${route}, priority: 15}`,
    `- {id: long-prompts, when: "params.?input_tokens_estimate.orValue(0) > 20000", ${route}, mode: shadow, priority: 30}`,
    `- {id: big-outputs, when: "has(params.max_tokens) && params.max_tokens > 4000", ${route}, priority: 25}`,
    ...Array.from({ length: 4 }, (_, i) => `- {id: team-${i}, scope: {team: team-${i}}, when: "stream", ${route}, priority: 20}`),
    ...Array.from({ length: 3 }, (_, i) => `- {id: customer-${i}, scope: {customer: customer-${i}}, when: "model == \\"gpt-4o\\"", ${route}, priority: 20}`),
  ];
  return `rules:\n${rules.map((r) => `  ${r}`).join('\n')}\n`;
}

function configYaml(variant: Variant, port: number, upPort: number, dir: string): string {
  const upstream = `upstream: {type: openai-compatible, base_url: "http://127.0.0.1:${upPort}/v1", options: {auth: none}, models: ["*"]}`;
  if (variant === 'embedded') {
    return `server: {port: ${port}, allow_unauthenticated: true}\nlogging: {level: error}\nproviders:\n  ${upstream}\naudit: {enabled: false}\n`;
  }
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'bench.yaml'), rulesYaml());
  const big = '{limit_usd: 1000000, period: 1M}';
  const lines = [
    `server: {port: ${port}}`,
    'logging: {level: error}',
    `providers:\n  ${upstream}`,
    'rules: {paths: [rules/]}',
    variant === 'production'
      ? `audit: {enabled: true, sinks: [{type: postgres, url: "${PG_URL}", table: ${RUN}}]}`
      : 'audit: {enabled: false}',
    'governance:',
    variant === 'keys' ? '  store: {type: memory}' : `  store: {type: redis, url: "${REDIS_URL}", prefix: "${PREFIX}"}`,
    '  customers:',
    ...Array.from({ length: CUSTOMERS }, (_, i) => `    - {id: customer-${i}, budgets: [${big}]}`),
    '  teams:',
    ...Array.from({ length: TEAMS }, (_, i) => `    - {id: team-${i}, customer: customer-${i % CUSTOMERS}, tier: ${i % 2 ? 'standard' : 'premium'}, budgets: [{limit_usd: 100000, period: 1d}], rate_limit: {requests: 1000000, per: 1m}}`),
    '  virtual_keys:',
    ...Array.from({ length: KEYS }, (_, i) => `    - {id: vk-${i}, key_hash: "sha256:${sha(keyOf(i))}", team: team-${i % TEAMS}, budgets: [{limit_usd: 10000, period: 1M}], rate_limit: {requests: 100000, tokens: 100000000, per: 1m}}`),
  ];
  return `${lines.join('\n')}\n`;
}

interface Target { name: string; url: string; pid?: number; keyed: boolean; process?: ChildProcess }

const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** Redis commands sent per request (not counting those scripts run), over `n` sequential requests. */
async function redisCommandsPerRequest(redis: Redis, spec: LoadSpec, n: number): Promise<number> {
  const monitor = await redis.monitor();
  let commands = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && args.some((a) => a.startsWith(PREFIX))) commands++;
  });
  const pool = new Pool(spec.url, { connections: 1 });
  for (let i = 0; i < n; i++) {
    const headers = typeof spec.headers === 'function' ? spec.headers() : spec.headers;
    const res = await pool.request({ method: 'POST', path: spec.path, body: spec.body, headers: { 'content-type': 'application/json', ...headers } });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${spec.url} answered ${res.statusCode}`);
  }
  await pool.close();
  // Settlement follows the answer: give the last ones time to arrive.
  await new Promise((r) => setTimeout(r, 300));
  monitor.disconnect();
  return commands / n;
}

async function main() {
  // Every port chosen before any connection is open (one could take a chosen one as its own).
  const upPort = await freePort();
  const builds: { v: Variant; name: string; dir: string }[] = B_BUILD
    ? variants.flatMap((v) => [{ v, name: `${v}@a`, dir: BUILD }, { v, name: `${v}@b`, dir: B_BUILD }])
    : variants.map((v) => ({ v, name: v, dir: BUILD }));
  const ports: number[] = [];
  for (const _ of builds) ports.push(await freePort());
  const up = fork(join(root, 'bench/mock-upstream.ts'), [String(upPort)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(up);
  await new Promise((r) => up.once('message', r));

  const targets: Target[] = [{ name: 'direct', url: `http://127.0.0.1:${upPort}`, keyed: false }];
  for (const [n, { v, name, dir: build }] of builds.entries()) {
    const port = ports[n];
    const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF, name)}`] : [];
    const t0 = performance.now();
    const gw = await startBenchGateway({ root: build, port, upstreamPort: upPort, audit: v === 'production', config: (dir) => configYaml(v, port, upPort, dir), execArgv: prof });
    children.push(gw.process);
    console.error(`${name}: up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    targets.push({ name, url: gw.url, pid: gw.pid, keyed: v !== 'embedded', process: gw.process });
  }

  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64 });
  let next = 0;
  const spec = (t: Target): LoadSpec => ({
    url: t.url, path: '/v1/chat/completions', body,
    headers: t.keyed ? () => ({ authorization: `Bearer ${keyOf(next++ % KEYS)}` }) : undefined,
  });
  for (const t of targets) await closedLoop(spec(t), 16, 2);

  interface Sample { cpu: number; rps: number; p50: number; own: number; errors: number }
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const c0 = t.pid ? cpuMicros(t.pid) : 0;
      const sat = await closedLoop(spec(t), 64, SECONDS);
      const cpu = t.pid ? (cpuMicros(t.pid) - c0) / Math.max(1, sat.ok) : NaN;
      const paced = await openLoop(spec(t), RATE, SECONDS);
      samples.set(t.name, [...(samples.get(t.name) ?? []), { cpu, rps: sat.rps, p50: paced.p50, own: (paced.serverTimingP50 ?? NaN) * 1000, errors: sat.errors + paced.errors }]);
    }
  }

  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const redis = new Client(REDIS_URL);
  const commands = new Map<string, number>();
  for (const t of targets) if (t.pid) commands.set(t.name, await redisCommandsPerRequest(redis, spec(t), COUNT));

  const direct = samples.get('direct')!;
  const fmt = (n: number, d: number) => (Number.isNaN(n) ? '-' : n.toFixed(d));
  console.log(`\nProduction config vs embedded — ${KEYS} keys, ${TEAMS} teams, ${CUSTOMERS} customers, 12 rules; ${ROUNDS} rounds of ${SECONDS} s slices; medians (min–max of the per-round figures)\n`);
  console.log('variant      | cpu µs/req          | peak req/s | p50 @rate ms | added p50 ms           | own p50 µs          | redis cmds/req | errors');
  console.log('-------------|---------------------|-----------:|-------------:|------------------------|---------------------|---------------:|------:');
  const spread = (xs: number[], d: number) => `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})`;
  for (const t of targets) {
    const s = samples.get(t.name)!;
    const added = s.map((x, r) => x.p50 - direct[r].p50);
    console.log([
      t.name.padEnd(12),
      (t.pid ? spread(s.map((x) => x.cpu), 0) : '-').padEnd(19),
      fmt(median(s.map((x) => x.rps)), 0).padStart(10),
      fmt(median(s.map((x) => x.p50)), 3).padStart(12),
      (t.pid ? spread(added, 3) : '-').padEnd(22),
      (t.pid ? spread(s.map((x) => x.own), 1) : '-').padEnd(19),
      (t.pid ? fmt(commands.get(t.name) ?? NaN, 2) : '-').padStart(14),
      String(s.reduce((n, x) => n + x.errors, 0)).padStart(6),
    ].join(' | '));
  }
  // Paired per round against the embedded variant: the cost of each production feature.
  const base = samples.get(B_BUILD ? 'embedded@b' : 'embedded');
  if (base) {
    console.log('\nPer round, against embedded in the same round (median):');
    for (const t of targets) {
      if (!t.pid || t.name.startsWith('embedded')) continue;
      const s = samples.get(t.name)!;
      console.log(`  ${t.name.padEnd(11)} cpu ×${median(s.map((x, r) => x.cpu / base[r].cpu)).toFixed(2)}, +${median(s.map((x, r) => x.cpu - base[r].cpu)).toFixed(0)} µs/req; p50 +${median(s.map((x, r) => x.p50 - base[r].p50)).toFixed(3)} ms; own +${median(s.map((x, r) => x.own - base[r].own)).toFixed(1)} µs`);
    }
  }

  if (B_BUILD) {
    console.log('\nPer round, b against a in the same round (median of the ratios; min–max):');
    for (const v of variants) {
      const a = samples.get(`${v}@a`)!;
      const b = samples.get(`${v}@b`)!;
      const ratio = (f: (x: Sample) => number) => spread(b.map((x, r) => f(x) / f(a[r])), 3);
      console.log(`  ${v.padEnd(11)} cpu ×${ratio((x) => x.cpu)}; peak req/s ×${ratio((x) => x.rps)}; own ×${ratio((x) => x.own)}; p50 ×${ratio((x) => x.p50)}`);
    }
  }

  // Stop the gateways (the profiled one writes its profile as it exits); the rest is cleanup().
  await Promise.all(targets.map((t) => (t.process ? stopped(t.process) : undefined)));
  await redis.quit();
  if (CPU_PROF) console.log(`\nCPU profiles: ${resolve(CPU_PROF)}/<variant>`);
}

/** Removes this run's Redis keys and audit tables, whether it finished or not. */
async function cleanup(): Promise<void> {
  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const redis = new Client(REDIS_URL);
  let cursor = '0';
  do {
    const [c, found] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = c;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
  await redis.quit();
  if (!variants.includes('production')) return;
  const { Client: Pg } = createRequire(import.meta.url)('pg') as typeof import('pg');
  const pg = new Pg(PG_URL);
  await pg.connect();
  const tables = await pg.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE '${RUN}%'`);
  for (const row of tables.rows as { tablename: string }[]) await pg.query(`DROP TABLE IF EXISTS "${row.tablename}" CASCADE`);
  await pg.end();
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  await cleanup().catch((e: unknown) => console.error('cleanup failed:', e));
}
process.exit(0);
