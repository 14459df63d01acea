/**
 * Two gateways side by side: is B cheaper than A? For a change whose effect is a few
 * percent, which a whole `bench:gateway` run on a shared 2-core machine cannot show (its
 * speed drifts by tens of percent within minutes).
 *
 * Starts one mock upstream and two compiled gateways, A and B (two builds, or one build
 * with two audit settings), then loads them in turn in short closed-loop slices,
 * alternating which goes first. Each pair of slices runs in the same phase of the
 * machine, so the ratio B/A of each pair is what is compared; the medians are printed,
 * with every pair's ratio so the spread is visible. CPU per request is the gateway process's
 * (every thread: audit writer and GC included), read from /proc.
 *
 * A build of another commit: `git worktree add /tmp/base HEAD~1 && cd /tmp/base &&
 * ln -s "$OLDPWD/node_modules" . && npm run build`, then `--a /tmp/base`.
 *
 * Each pair also loads both at an even --rate for the gateway's own processing time
 * (Server-Timing) and the client's p50, which a lighter request path shows first.
 *
 * Usage: npm run bench:ab -- [--a DIR] [--b DIR] [--audit on|off] [--audit-a on|off] [--audit-b on|off] [--pairs 20]
 *        [--seconds 1.5] [--rate 500] [--stream] [--sink-a 'flush_interval_ms: 25'] [--sink-b '...']
 * (DIR defaults to this checkout; --sink-* adds fields to that side's SQLite sink.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { cpuMicros, median, peakRssMb, startBenchGateway } from './harness.js';
import { closedLoop, openLoop } from './loadgen.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const A_DIR = resolve(arg('a', root));
const B_DIR = resolve(arg('b', root));
const AUDIT = arg('audit', 'on') !== 'off';
const AUDIT_A = arg('audit-a', AUDIT ? 'on' : 'off') !== 'off';
const AUDIT_B = arg('audit-b', AUDIT ? 'on' : 'off') !== 'off';
const PAIRS = Number(arg('pairs', '20'));
const SECONDS = Number(arg('seconds', '1.5'));
const STREAM = process.argv.includes('--stream');
const RATE = Number(arg('rate', '500'));

const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

interface Side { name: string; url: string; pid: number }

async function startGateway(name: string, dir: string, port: number, upstreamPort: number, sink: string, audit: boolean): Promise<Side> {
  const gw = await startBenchGateway({ root: dir, port, upstreamPort, audit, sink });
  children.push(gw.process);
  gw.process.once('exit', (code) => { if (code !== null && code !== 0) console.error(`gateway ${name} exited with ${code}`); });
  return { name, url: gw.url, pid: gw.pid };
}

async function main() {
  const upPort = 20_000 + Math.floor(Math.random() * 20_000);
  const up = fork(join(root, 'bench/mock-upstream.ts'), [String(upPort)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(up);
  await new Promise((r) => up.once('message', r));
  const a = await startGateway('A', A_DIR, upPort + 1, upPort, arg('sink-a', ''), AUDIT_A);
  const b = await startGateway('B', B_DIR, upPort + 2, upPort, arg('sink-b', ''), AUDIT_B);
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream: STREAM, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64 });
  const spec = (s: Side) => ({ url: s.url, path: '/v1/chat/completions', body, stream: STREAM });
  for (const s of [a, b]) await closedLoop(spec(s), 16, 2);

  const slice = async (s: Side) => {
    const c0 = cpuMicros(s.pid);
    const r = await closedLoop(spec(s), 64, SECONDS);
    const cpu = (cpuMicros(s.pid) - c0) / Math.max(1, r.ok);
    const paced = await openLoop(spec(s), RATE, SECONDS);
    return { rps: r.rps, cpu, own: (paced.serverTimingP50 ?? NaN) * 1000, p50: paced.p50, errors: r.errors + paced.errors };
  };
  const rows: { a: Awaited<ReturnType<typeof slice>>; b: Awaited<ReturnType<typeof slice>> }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const first = i % 2 === 0 ? a : b;
    const r1 = await slice(first);
    const r2 = await slice(first === a ? b : a);
    rows.push(first === a ? { a: r1, b: r2 } : { a: r2, b: r1 });
  }

  const cpuRatios = rows.map((r) => r.b.cpu / r.a.cpu);
  const rpsRatios = rows.map((r) => r.b.rps / r.a.rps);
  const errors = rows.reduce((n, r) => n + r.a.errors + r.b.errors, 0);
  console.log(`\nA: ${A_DIR}${arg('sink-a', '') ? ` (sink: ${arg('sink-a', '')})` : ''}\nB: ${B_DIR}${arg('sink-b', '') ? ` (sink: ${arg('sink-b', '')})` : ''}`);
  console.log(`audit A ${AUDIT_A ? 'on' : 'off'}, B ${AUDIT_B ? 'on' : 'off'}, ${STREAM ? 'streaming' : 'non-streaming'}, ${PAIRS} pairs of ${SECONDS} s slices at 64 connections, then at ${RATE} req/s\n`);
  console.log(`CPU per request  A ${median(rows.map((r) => r.a.cpu)).toFixed(0)} µs   B ${median(rows.map((r) => r.b.cpu)).toFixed(0)} µs   B/A median ${median(cpuRatios).toFixed(3)}`);
  console.log(`throughput       A ${median(rows.map((r) => r.a.rps)).toFixed(0)} req/s   B ${median(rows.map((r) => r.b.rps)).toFixed(0)} req/s   B/A median ${median(rpsRatios).toFixed(3)}`);
  console.log(`own p50 @${RATE}/s  A ${median(rows.map((r) => r.a.own)).toFixed(1)} µs   B ${median(rows.map((r) => r.b.own)).toFixed(1)} µs   B/A median ${median(rows.map((r) => r.b.own / r.a.own)).toFixed(3)}`);
  console.log(`p50 @${RATE}/s      A ${median(rows.map((r) => r.a.p50)).toFixed(3)} ms   B ${median(rows.map((r) => r.b.p50)).toFixed(3)} ms   B/A median ${median(rows.map((r) => r.b.p50 / r.a.p50)).toFixed(3)}`);
  console.log(`peak RSS         A ${peakRssMb(a.pid).toFixed(0)} MB   B ${peakRssMb(b.pid).toFixed(0)} MB`);
  console.log(`errors           ${errors}`);
  console.log(`CPU B/A per pair ${cpuRatios.map((x) => x.toFixed(2)).join(' ')}`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
}
process.exit(0);
