/**
 * The fake OpenAI upstream every benchmark loads, in its own process, with OpenAI's random
 * `x-request-id` on every answer (so the audit log indexes a provider id per request, as in
 * production). Usage: tsx bench/mock-upstream.ts <port> [chunk_delay_ms]
 */
import { startMockServer } from '../src/providers/mock/server.js';

const port = Number(process.argv[2] ?? 0);
const chunkDelay = Number(process.argv[3] ?? 0);
const server = await startMockServer({ port, host: '127.0.0.1', options: { chunks: 8, chunk_delay_ms: chunkDelay }, requestIds: true });
process.send?.({ ready: server.url });
