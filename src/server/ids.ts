/** Request and decision ids. */
import { randomBytes } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Ids come from a pool of random bytes refilled in bulk: one crypto call per 512 ids.
let pool = Buffer.alloc(0);
let offset = 0;
// Byte → two hex digits, and the time part of the last id: Buffer#toString('hex') and
// Number#toString(16) each cost more than the rest of the id together.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let lastMs = -1;
let lastMsHex = '';

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
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastMsHex = now.toString(16).padStart(12, '0');
  }
  const p = pool;
  const o = offset;
  offset += 10;
  return prefix + lastMsHex + HEX[p[o]] + HEX[p[o + 1]] + HEX[p[o + 2]] + HEX[p[o + 3]] + HEX[p[o + 4]]
    + HEX[p[o + 5]] + HEX[p[o + 6]] + HEX[p[o + 7]] + HEX[p[o + 8]] + HEX[p[o + 9]];
}

/** The client's `x-request-id` when it is a safe token, else a new id. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_ID.test(header) ? header : newId('req_');
}
