/**
 * SSE parser micro-benchmark: the parser sits under every streamed chunk of every
 * provider, so it is timed on the shapes a stream arrives in:
 * - one event per read: a live token stream, as undici hands it over;
 * - 16 KiB reads: a buffered or fast upstream, events cut anywhere;
 * - split events: every event straddles two reads;
 * - one long line: a single 8 MiB `data:` line in 64 KiB reads (linear, or not).
 * The token streams are 10,000 OpenAI chat chunks (about 200 bytes each).
 *
 *   npx tsx bench/sse.bench.ts [runs]
 *
 * Reports, per shape, the median and the lowest of `runs` timed runs (after warm-up; at
 * most 5 of the long line) in ms per 10,000 chunks (per line for the long one) and ns per
 * chunk. The median moves
 * with the machine's load by ±10 %; compare two builds on the same machine in one sitting.
 */
import { performance } from 'node:perf_hooks';
import { SseParser } from '../src/wire/sse.js';

const runs = Number(process.argv[2] ?? 30);
const N = 10_000;

const words = ['Hello', ' there', ',', ' this', ' is', ' a', ' streamed', ' reply', ' with', ' some', ' tokens', '.'];
const events: string[] = [];
for (let i = 0; i < N; i++) {
  const delta = { content: words[i % words.length] };
  events.push(`data: ${JSON.stringify({ id: 'chatcmpl-AbCdEf0123456789', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_abc123', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] })}\n\n`);
}
const whole = events.join('');

function cut(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const shapes: { name: string; pieces: string[]; per: number }[] = [
  { name: 'one event per read', pieces: events, per: N },
  { name: '16 KiB reads', pieces: cut(whole, 16 * 1024), per: N },
  { name: 'split events', pieces: events.flatMap((e, i) => [e.slice(0, 7 + (i % 150)), e.slice(7 + (i % 150))]), per: N },
  { name: 'one 8 MiB line, 64 KiB reads', pieces: cut(`data: {"x":"${'y'.repeat(8 * 1024 * 1024)}"}\n\n`, 64 * 1024), per: 1 },
];

function once(pieces: string[]): { ms: number; messages: number } {
  const p = new SseParser();
  let messages = 0;
  const t0 = performance.now();
  for (let i = 0; i < pieces.length; i++) messages += p.push(pieces[i]).length;
  messages += p.end().length;
  return { ms: performance.now() - t0, messages };
}

console.log(`SseParser, ${runs} runs per shape after warm-up (node ${process.version})`);
console.log(`${'shape'.padEnd(32)} ${'median ms'.padStart(10)} ${'min ms'.padStart(9)} ${'ns/chunk'.padStart(9)}`);
for (const s of shapes) {
  const warm = s.per === 1 ? 2 : 20;
  for (let i = 0; i < warm; i++) once(s.pieces);
  const times: number[] = [];
  for (let i = 0; i < (s.per === 1 ? Math.min(runs, 5) : runs); i++) {
    const r = once(s.pieces);
    if (r.messages !== s.per) throw new Error(`${s.name}: ${r.messages} messages, expected ${s.per}`);
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const perChunk = s.per === 1 ? '' : ((median * 1e6) / s.per).toFixed(0);
  console.log(`${s.name.padEnd(32)} ${median.toFixed(2).padStart(10)} ${times[0].toFixed(2).padStart(9)} ${perChunk.padStart(9)}`);
}
