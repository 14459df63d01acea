/** Reading a whole (non-streaming) upstream body, with a size cap. */
import type { Readable } from 'node:stream';

export class ResponseTooLargeError extends Error {
  readonly code = 'SY_DISPATCH_RESPONSE_TOO_LARGE';
  constructor(limit: number) {
    super(`upstream response exceeds upstream.max_response_bytes (${limit} bytes)`);
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * Collects `body` as UTF-8 text. Past `limit` bytes the body is destroyed (closing the
 * upstream socket) and the promise rejects with ResponseTooLargeError — or, with
 * `truncate`, resolves with what arrived so far (for error bodies, which are only read
 * for their message). `onChunk` runs per chunk (the idle timer).
 */
export function readBody(body: Readable, limit: number, truncate: boolean, onChunk?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const text = (): string => (chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    const finish = (err: unknown): void => {
      if (settled) return;
      settled = true;
      if (err === null) resolve(text());
      else reject(err);
    };
    body.on('data', (chunk: Buffer | string) => {
      if (settled) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (size + buf.length > limit) {
        if (truncate) {
          chunks.push(buf.subarray(0, limit - size));
          size = limit;
        }
        finish(truncate ? null : new ResponseTooLargeError(limit));
        body.destroy();
        return;
      }
      chunks.push(buf);
      size += buf.length;
      onChunk?.();
    });
    body.on('end', () => finish(null));
    body.on('error', (err) => finish(err));
    body.on('close', () => {
      if (!settled) finish(truncate ? null : new Error('upstream body closed before its end'));
    });
  });
}
