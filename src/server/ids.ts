/** Request and decision ids. */
import { randomBytes } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Ids come from a pool of random bytes refilled in bulk: one crypto call per 512 ids.
let pool = Buffer.alloc(0);
let offset = 0;

/** 16 random bytes as 32 hex chars, prefixed. */
export function newId(prefix: string): string {
  if (offset + 16 > pool.length) {
    pool = randomBytes(16 * 512);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return prefix + id;
}

/** The client's `x-request-id` when it is a safe token, else a new id. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_ID.test(header) ? header : newId('req_');
}
