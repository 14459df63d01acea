/**
 * Router micro-benchmark: decide() with 10, 100 and 1,000 rules spread over three
 * scopes (global, team, virtual key), against the naive baseline (every rule evaluated
 * in order, no index, no cache) at the same rule counts.
 *
 *   npm run bench:router
 *
 * Reports medians of per-call times (process.hrtime.bigint, after warm-up); each figure
 * is the lowest of three such medians, so a burst of load from other processes on the
 * machine does not pass for the router's cost:
 * - cached shape: the shape cache is warm (memo hits where rules read stable inputs);
 * - memo hit: requests whose candidate rules read only stable inputs;
 * - shape miss: every call computes its candidate list and plan (shape cache of 1);
 * - naive: every enabled rule checked for scope and evaluated, in order;
 * and the compile time (parse, type-check, analyze, resolve targets; best of 7) per rule count.
 * Then the router build (createRouter: index, choosers; best of 7) for 1,000 and 4,000
 * header canaries that all name one model, the shape a per-value canary policy takes, and
 * decide() over 100 and 1,000 such canaries with no memo, the header read plainly and
 * with a default (orValue): each rule's guard, not its CEL program, should decide.
 * Targets (issue 2): cached p50 ≤ 2 µs, shape miss p50 ≤ 20 µs at 1,000 rules,
 * compile of 1,000 rules ≤ 500 ms.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import type { LoadedConfig } from '../src/config/types.js';
import type { RoutingContext } from '../src/decision.js';
import { compileRuleBundle, createRouter, type Router, type RuleBundle } from '../src/rules/index.js';
import { seededRandom as prng } from '../src/balance/seeded.js';

const TEAMS = 10;
const VKS = 30;
const MODELS = 50;


function configYaml(): string {
  const teams = Array.from({ length: TEAMS }, (_, i) => `    - {id: team-${i}, customer: cust-${i % 3}, tier: ${i % 2 ? 'premium' : 'standard'}}`).join('\n');
  const vks = Array.from({ length: VKS }, (_, i) => `    - {id: vk-${i}, team: team-${i % TEAMS}, key_hash: "sha256:${'0'.repeat(62)}${String(i).padStart(2, '0')}"}`).join('\n');
  return `providers:
  openai: {type: openai, weight: 40, models: ["gpt-*", "m-*"], keys: [{name: oa-1, value: k1, weight: 0.7}, {name: oa-2, value: k2, weight: 0.3}]}
  anthropic: {type: anthropic, weight: 30, models: ["claude-*", "m-*"], keys: [{name: an-1, value: k3}]}
  gemini: {type: gemini, weight: 20, models: ["gemini-*", "m-*"], keys: [{name: ge-1, value: k4}]}
  groq: {type: openai-compatible, base_url: "https://api.groq.com/openai/v1", weight: 10, models: ["llama-*", "m-*"], keys: [{name: gr-1, value: k5}]}
governance:
  customers: [{id: cust-0}, {id: cust-1}, {id: cust-2}]
  teams:
${teams}
  virtual_keys:
${vks}
routing: {shape_cache_size: SHAPES, decision_cache_size: MEMO}
rules: {paths: [rules/]}
`;
}

const TARGETS = ['openai/gpt-4o', 'anthropic/claude-sonnet-4', 'gemini/gemini-2.5-pro', 'groq/llama-3.3-70b-versatile'];

/** N rules, a third per scope, with the condition shapes real policies use. */
function rulesYaml(n: number, rand: () => number): string {
  const out: string[] = ['rules:'];
  for (let i = 0; i < n; i++) {
    const scope = i % 3 === 0 ? 'global' : i % 3 === 1 ? `{team: team-${i % TEAMS}}` : `{virtual_key: vk-${i % VKS}}`;
    const m = Math.floor(rand() * MODELS);
    const kind = rand();
    let when: string;
    if (kind < 0.4) when = `model == "m-${m}" && headers["x-tier"] == "t-${i % 7}"`;
    else if (kind < 0.7) when = `headers["x-feature"] == "f-${i % 13}" && params.max_tokens > ${1000 + (i % 9) * 500}`;
    else if (kind < 0.9) when = `tier == "premium" && endpoint == "chat" && model in ["m-${m}", "m-${(m + 1) % MODELS}"]`;
    else when = `budget_used > ${50 + (i % 50)} && model == "m-${m}"`;
    out.push(`  - id: r${i}`, `    scope: ${scope}`, `    priority: ${Math.floor(rand() * 100)}`, `    when: '${when}'`, `    route: ${TARGETS[i % TARGETS.length]}`, `    fallbacks: [${TARGETS[(i + 1) % TARGETS.length]}]`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * N global canaries on one model, one per header value; `optional`: the header read with
 * a default (`headers[?"x-canary"].orValue("")`), as the README writes a header that may
 * be missing.
 */
function canariesYaml(n: number, optional = false): string {
  const read = optional ? 'headers[?"x-canary"].orValue("")' : 'headers["x-canary"]';
  const out: string[] = ['rules:'];
  for (let i = 0; i < n; i++) out.push(`  - id: canary-${i}`, `    when: 'model == "gpt-4o" && ${read} == "c-${i}"'`, `    route: ${TARGETS[i % TARGETS.length]}`);
  return `${out.join('\n')}\n`;
}

function setup(n: number, shapes: number, memo: number, rules = rulesYaml(n, prng(n))): { dir: string; config: LoadedConfig } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'switchyard.yaml'), configYaml().replace('SHAPES', String(shapes)).replace('MEMO', String(memo)));
  writeFileSync(join(dir, 'rules', 'bench.yaml'), rules);
  const { config, issues } = loadConfig({ path: join(dir, 'switchyard.yaml'), env: {} });
  if (!config) throw new Error(issues.map((i) => i.message).join('\n'));
  return { dir, config };
}

function compile(config: LoadedConfig): RuleBundle {
  const { bundle, issues } = compileRuleBundle(config);
  if (!bundle) throw new Error(issues.map((i) => `${i.location?.line}: ${i.message}`).join('\n'));
  return bundle;
}

function requests(count: number, rand: () => number, opts: { stableOnly?: boolean } = {}): RoutingContext[] {
  const now = new Date('2025-06-01T12:00:00Z');
  return Array.from({ length: count }, () => {
    const vk = Math.floor(rand() * VKS);
    const team = vk % TEAMS;
    return {
      headers: { 'x-tier': `t-${Math.floor(rand() * 7)}`, 'x-feature': `f-${Math.floor(rand() * 13)}`, 'content-type': 'application/json' },
      tier: team % 2 ? 'premium' : 'standard',
      team: `team-${team}`,
      customer: `cust-${team % 3}`,
      virtual_key: `vk-${vk}`,
      model: opts.stableOnly ? `m-${MODELS + Math.floor(rand() * 5)}` : rand() < 0.8 ? `m-${Math.floor(rand() * MODELS)}` : 'gpt-4o',
      provider: '',
      endpoint: 'chat',
      stream: false,
      params: { max_tokens: Math.floor(rand() * 6000), messages: 3 },
      budget_used: rand() * 100,
      tokens_used: 0,
      requests_used: 0,
      now,
    };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Lowest of three medians of per-call nanoseconds of `decide` over `pool`. */
function measure(router: Router, pool: readonly RoutingContext[], rounds: number, warm = 5): number {
  return Math.min(medianOnce(router, pool, rounds, warm), medianOnce(router, pool, rounds, 0), medianOnce(router, pool, rounds, 0));
}

/** Median per-call nanoseconds of `decide` over `pool`, after `warm` warm-up passes. */
function medianOnce(router: Router, pool: readonly RoutingContext[], rounds: number, warm: number): number {
  const rng = prng(7);
  for (let w = 0; w < warm; w++) for (const ctx of pool) router.decide(ctx, { draw: rng() });
  const times: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (const ctx of pool) {
      const draw = rng();
      const t0 = process.hrtime.bigint();
      const d = router.decide(ctx, { draw });
      const t1 = process.hrtime.bigint();
      sink += d.targets.length;
      times.push(Number(t1 - t0));
    }
  }
  if (sink < 0) console.log(sink);
  return median(times);
}

function fmt(ns: number): string {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1000).toFixed(2)} µs`;
}

interface Row {
  rules: number;
  compileMs: number;
  cached: number;
  memoHit: number;
  miss: number;
  naive: number;
}

function bench(n: number): Row {
  const fast = setup(n, 10000, 10000);
  compile(fast.config); // warm the CEL environment and the JIT
  const compileTimes: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    compile(fast.config);
    compileTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const bundle = compile(fast.config);
  const pool = requests(2000, prng(42));
  const stablePool = requests(2000, prng(43), { stableOnly: true });
  const cached = measure(createRouter(bundle), pool, 5);
  const memoHit = measure(createRouter(bundle), stablePool, 5);
  const naive = measure(createRouter(bundle, { naive: true }), pool, 1, 1);

  // Shape misses: a one-entry shape cache and no memo, requests cycling through distinct shapes.
  const missSetup = setup(n, 1, 0);
  const missRouter = createRouter(compile(missSetup.config));
  const missPool = pool.filter((c, i) => i === 0 || c.virtual_key !== pool[i - 1].virtual_key || c.model !== pool[i - 1].model);
  const miss = measure(missRouter, missPool, 2, 1);
  rmSync(fast.dir, { recursive: true, force: true });
  rmSync(missSetup.dir, { recursive: true, force: true });
  return { rules: n, compileMs: Math.min(...compileTimes), cached, memoHit, miss, naive };
}

bench(10); // warm the JIT for every code path before measuring
const rows = [10, 100, 1000].map(bench);
const table = [
  ['rules', 'compile', 'cached p50', 'memo-hit p50', 'shape-miss p50', 'naive p50', 'naive/cached', 'naive/miss'],
  ...rows.map((r) => [
    String(r.rules), `${r.compileMs.toFixed(1)} ms`, fmt(r.cached), fmt(r.memoHit), fmt(r.miss), fmt(r.naive),
    `${(r.naive / r.cached).toFixed(1)}×`, `${(r.naive / r.miss).toFixed(1)}×`,
  ]),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
console.log(`router decide() — Node ${process.version}, ${TEAMS} teams, ${VKS} virtual keys, rules split global/team/virtual key`);
for (const row of table) console.log(row.map((v, c) => v.padStart(widths[c])).join('  '));

/** Best of 7 createRouter times (ms) over a bundle of `n` one-model canaries. */
function buildTime(n: number): number {
  const s = setup(n, 10000, 10000, canariesYaml(n));
  const bundle = compile(s.config);
  createRouter(bundle);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    createRouter(bundle);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  rmSync(s.dir, { recursive: true, force: true });
  return Math.min(...times);
}
console.log(`\nrouter build (createRouter), header canaries on one model: ${[1000, 4000].map((n) => `${n.toLocaleString('en')} rules ${buildTime(n).toFixed(1)} ms`).join(' · ')}`);

/**
 * decide() p50 over `n` canaries with no decision memo (a header value seen once is the
 * common case: request ids, user ids), for requests on their model with a header value
 * none of them names.
 */
function canaryDecide(n: number, optional: boolean): number {
  const s = setup(n, 10000, 0, canariesYaml(n, optional));
  const router = createRouter(compile(s.config));
  const pool = requests(500, prng(44)).map((c, i) => ({ ...c, model: 'gpt-4o', headers: { ...c.headers, 'x-canary': `other-${i}` } }));
  const t = measure(router, pool, 4);
  rmSync(s.dir, { recursive: true, force: true });
  return t;
}
console.log(`decide() p50, header canaries on one model, no memo, header read plainly / with orValue: ${[100, 1000].map((n) => `${n.toLocaleString('en')} rules ${fmt(canaryDecide(n, false))} / ${fmt(canaryDecide(n, true))}`).join(' · ')}`);

const big = rows[rows.length - 1];
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
console.log(`\ntargets at 1,000 rules: cached p50 ≤ 2 µs: ${verdict(big.cached <= 2000)} · shape miss p50 ≤ 20 µs: ${verdict(big.miss <= 20000)} · compile ≤ 500 ms: ${verdict(big.compileMs <= 500)}`);
