/** Request and decision ids. */
import { randomBytes } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Ids come from a pool of random bytes refilled in bulk: one crypto call per 512 ids.
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Prefix, then the time in milliseconds (12 hex chars), then 10 random bytes (20 hex).
 * Time first makes ids sort by creation, so the audit store's unique indexes on them
 * grow by appends instead of inserts at random pages.
 */
export function newId(prefix: string): string {
  if (offset + 10 > pool.length) {
    pool = randomBytes(10 * 512);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 10);
  offset += 10;
  return prefix + Date.now().toString(16).padStart(12, '0') + id;
}

/** The client's `x-request-id` when it is a safe token, else a new id. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_ID.test(header) ? header : newId('req_');
}
