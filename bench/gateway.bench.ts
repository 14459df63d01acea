/**
 * How much does Switchyard add over calling the provider directly?
 *
 * Starts the mock upstream, a bare pass-through Node proxy (the floor), a minimal
 * node:http + undici proxy (the floor of own processing time: bench/undici-proxy.ts) and
 * Switchyard twice — audit off, and audit on with the embedded SQLite sink — each in its
 * own process, and loads all five in the same run: at saturation (closed loop) and at an
 * even rate (open loop), non-streaming and streaming.
 *
 * A shared 2-core machine drifts by tens of percent within minutes, so every
 * measurement is taken in `--rounds` rounds, the targets in a rotating order within
 * each round, and the medians are reported. Prints throughput, p50/p99 latency, added
 * latency over direct, the gateway's own processing time (Server-Timing, measured
 * inside the process), CPU per request of the process in the middle (all its threads),
 * streaming time to first byte and peak RSS — then the issues' targets as ratios.
 *
 * Own processing time is also taken at a second, higher even rate (`--warm-rate`,
 * non-streaming): at 500 req/s the process sleeps ~2 ms between requests and each one
 * runs on cold caches, which roughly triples the time of the same code.
 *
 * Usage: npm run bench:gateway [-- --seconds 3 --rounds 3 --rate 500 --warm-rate 2000 --concurrency 64]
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import net from 'node:net';
import { cpuMicros, median, peakRssMb, startBenchGateway } from './harness.js';
import { closedLoop, openLoop, type LoadResult, type LoadSpec } from './loadgen.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', '3'));
const ROUNDS = Number(arg('rounds', '3'));
const RATE = Number(arg('rate', '500'));
const WARM_RATE = Number(arg('warm-rate', '2000'));
const CONCURRENCY = Number(arg('concurrency', '64'));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const children: ChildProcess[] = [];
function start(script: string, args: string[], readyWhen: (msg: unknown) => boolean = () => true): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, script), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', (m) => { if (readyWhen(m)) resolve(child); });
  });
}

/** Starts the compiled gateway (as `npm start` runs it) against the mock upstream. */
async function startGateway(upPort: number, audit: boolean): Promise<{ url: string; pid: number }> {
  const gw = await startBenchGateway({ root, port: await freePort(), upstreamPort: upPort, audit });
  children.push(gw.process);
  return gw;
}

const fmt = (n: number | undefined, d = 2) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

interface Target { name: string; url: string; pid?: number }

/** One round's figures for one target in one mode. */
interface Sample { sat: LoadResult; paced: LoadResult; cpu: number; warm?: LoadResult }

async function main() {
  const [upPort, proxyPort, floorPort] = [await freePort(), await freePort(), await freePort()];
  await start('bench/mock-upstream.ts', [String(upPort)], (m) => typeof m === 'object' && m !== null && 'ready' in m);
  const proxy = await start('bench/bare-proxy.ts', [String(proxyPort), `http://127.0.0.1:${upPort}`], (m) => m === 'ready');
  const floor = await start('bench/undici-proxy.ts', [String(floorPort), `http://127.0.0.1:${upPort}`], (m) => m === 'ready');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const [off, on] = [await startGateway(upPort, false), await startGateway(upPort, true)];

  const targets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${upPort}` },
    { name: 'bare proxy', url: `http://127.0.0.1:${proxyPort}`, pid: proxy.pid },
    { name: 'undici proxy', url: `http://127.0.0.1:${floorPort}`, pid: floor.pid },
    { name: 'switchyard, audit off', ...off },
    { name: 'switchyard, audit on', ...on },
  ];
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64 });
  const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64 });
  const spec = (url: string, stream: boolean): LoadSpec => ({ url, path: '/v1/chat/completions', body: stream ? streamBody : body, stream });

  // Warm up every path (JIT, connection pools) before measuring.
  for (const t of targets) {
    await closedLoop(spec(t.url, false), 16, 1.5);
    await closedLoop(spec(t.url, true), 16, 1);
  }

  const modes = [['non-stream', false], ['stream', true]] as const;
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [mode, stream] of modes) {
      // Rotate the order so no target always runs first (or right after the heaviest one).
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const cpu0 = t.pid ? cpuMicros(t.pid) : 0;
        const sat = await closedLoop(spec(t.url, stream), CONCURRENCY, SECONDS);
        const cpu = t.pid ? (cpuMicros(t.pid) - cpu0) / Math.max(1, sat.ok) : NaN;
        const paced = await openLoop(spec(t.url, stream), RATE, SECONDS);
        // Own time at the warm rate, for the processes that report it.
        const warm = !stream && t.pid !== undefined && t.name !== 'bare proxy' ? await openLoop(spec(t.url, false), WARM_RATE, SECONDS) : undefined;
        const key = `${mode} ${t.name}`;
        samples.set(key, [...(samples.get(key) ?? []), { sat, paced, cpu, warm }]);
      }
    }
  }

  /** Median over rounds of one figure; `added` figures are paired with direct's in the same round. */
  const med = (mode: string, name: string, pick: (s: Sample, round: number) => number | undefined) =>
    median((samples.get(`${mode} ${name}`) ?? []).map((s, i) => pick(s, i) ?? NaN));
  const direct = (mode: string, round: number) => samples.get(`${mode} direct`)![round];

  console.log(`\nSwitchyard gateway benchmark — ${ROUNDS} rounds of ${SECONDS}s per run, saturation at ${CONCURRENCY} connections, paced at ${RATE} req/s; medians over rounds\n`);
  console.log('run                              | peak req/s | p50 ms | p99 ms | @rate p50 | @rate p99 | ttfb p50 | added p50 | own p50 µs | cpu µs/req | errors');
  console.log('---------------------------------|-----------:|-------:|-------:|----------:|----------:|---------:|----------:|-----------:|-----------:|------:');
  for (const [mode] of modes) {
    for (const t of targets) {
      const errors = (samples.get(`${mode} ${t.name}`) ?? []).reduce((n, s) => n + s.sat.errors + s.paced.errors, 0);
      const cols = [
        fmt(med(mode, t.name, (s) => s.sat.rps), 0).padStart(10),
        fmt(med(mode, t.name, (s) => s.sat.p50)).padStart(6),
        fmt(med(mode, t.name, (s) => s.sat.p99)).padStart(6),
        fmt(med(mode, t.name, (s) => s.paced.p50)).padStart(9),
        fmt(med(mode, t.name, (s) => s.paced.p99)).padStart(9),
        fmt(med(mode, t.name, (s) => s.paced.ttfbP50)).padStart(8),
        (t.name === 'direct' ? '-' : fmt(med(mode, t.name, (s, r) => s.paced.p50 - direct(mode, r).paced.p50), 3)).padStart(9),
        fmt(med(mode, t.name, (s) => (s.paced.serverTimingP50 ?? NaN) * 1000), 1).padStart(10),
        fmt(med(mode, t.name, (s) => s.cpu), 0).padStart(10),
        String(errors),
      ];
      console.log(`${`${mode} ${t.name}`.padEnd(33)}| ${cols.join(' | ')}`);
    }
  }

  const check = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const peak = (name: string) => med('non-stream', name, (s) => s.sat.rps);
  const added = (name: string) => med('non-stream', name, (s, r) => s.paced.p50 - direct('non-stream', r).paced.p50);
  const addedBare = added('bare proxy');
  const ownAt = (name: string, warm: boolean) => med('non-stream', name, (s) => ((warm ? s.warm : s.paced)?.serverTimingP50 ?? NaN) * 1000);
  const ownFloor = ownAt('undici proxy', false);
  const warmFloor = ownAt('undici proxy', true);
  console.log('\nIssue 3 targets, as ratios from this run (non-streaming unless named):');
  for (const name of ['switchyard, audit off', 'switchyard, audit on']) {
    const ratio = peak(name) / peak('bare proxy');
    const own = ownAt(name, false);
    const warmOwn = ownAt(name, true);
    const ttfb = med('stream', name, (s, r) => (s.paced.ttfbP50 ?? NaN) - (direct('stream', r).paced.ttfbP50 ?? NaN));
    const rss = peakRssMb(targets.find((t) => t.name === name)!.pid!);
    console.log(`  ${name}:`);
    console.log(`    peak throughput vs bare proxy:    ${(ratio * 100).toFixed(1)} %  (target ≥ 70 %: ${check(ratio >= 0.7)})`);
    console.log(`    added p50 at ${RATE} req/s:          ${added(name).toFixed(3)} ms vs bare ${addedBare.toFixed(3)} ms  (target ≤ bare + 0.1 ms: ${check(added(name) <= addedBare + 0.1)})`);
    console.log(`    internal processing p50:          ${own.toFixed(1)} µs at ${RATE} req/s vs undici proxy ${ownFloor.toFixed(1)} µs  (target ≤ 40 µs: ${check(own <= 40)})`);
    console.log(`                                      ${warmOwn.toFixed(1)} µs at ${WARM_RATE} req/s vs undici proxy ${warmFloor.toFixed(1)} µs  (target ≤ 40 µs: ${check(warmOwn <= 40)})`);
    console.log(`    streaming TTFB over direct (p50): ${ttfb.toFixed(3)} ms  (target ≤ +1 ms: ${check(ttfb <= 1)})`);
    console.log(`    peak RSS:                         ${rss.toFixed(0)} MB  (target ≤ 200 MB: ${check(rss <= 200)})`);
  }
  // Issue 6: the latency a client sees at the paced rate, audit on against audit off, paired by round.
  const p50Ratio = median((samples.get('non-stream switchyard, audit on') ?? []).map((s, r) =>
    s.paced.p50 / samples.get('non-stream switchyard, audit off')![r].paced.p50 - 1));
  console.log('\nIssue 6 target:');
  console.log(`  p50 at ${RATE} req/s, audit on vs off:   ${p50Ratio >= 0 ? '+' : ''}${(p50Ratio * 100).toFixed(1)} %  (target ≤ 5 %: ${check(p50Ratio <= 0.05)})`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
}
process.exit(0);
