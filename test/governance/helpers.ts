/** Shared test helpers: a fake clock, Redis availability, unique prefixes. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.SY_TEST_REDIS_URL ?? '';
export const REDIS_SKIP: string | false = REDIS_URL ? false : 'Redis not available at 127.0.0.1:6379';

export function uniquePrefix(tag: string): string {
  return `sytest:${tag}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await r.quit();
  }
}

export class FakeClock {
  constructor(public now: number) {}
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
  set(iso: string): void {
    this.now = Date.parse(iso);
  }
}
