/**
 * Compressed upstream answers. The gateway asks for no content coding, but a provider or
 * a proxy in front of it may compress anyway (a missing Accept-Encoding allows any, RFC
 * 9110 §12.5.3), and a provider's configured `headers` may ask for one. gzip, deflate and
 * br (and zstd where Node has it) are decoded as the body arrives, so every size cap
 * after this point counts decoded bytes: a small body that inflates past
 * upstream.max_response_bytes is cut there, never held whole.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { headerValue, type Headers } from '../wire/upstream-error.js';

/** The code of an error from a body that does not decode as its Content-Encoding says. */
export const BAD_CODING = 'SY_UPSTREAM_BAD_CODING';

type Decoder = () => Transform;

/**
 * The most codings one body may be in, as curl caps them (CVE-2023-23916). Each coding
 * takes a decoder of its own: `gzip` listed 3,000 times, in a header of 15 kB, over a body
 * of 93 kB, held 130 MB and four minutes of decoding.
 */
export const MAX_CODINGS = 5;

/** Node ≥ 22.15 decodes zstd; older ones do not have it. */
const zstd = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;

/** Lenient flushing: a stream compressed per event (SYNC_FLUSH) decodes per event, and a body cut at a block boundary still ends. */
const LENIENT = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: () => zlib.createGunzip(LENIENT),
  'x-gzip': () => zlib.createGunzip(LENIENT),
  deflate: () => new Inflate(),
  br: () => zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }),
  zstd: zstd === undefined ? undefined : () => zstd(),
};

/**
 * HTTP's `deflate` is zlib-wrapped, but some servers send the raw stream: the first byte
 * tells them apart (a zlib header's low nibble is 8, for the deflate method).
 */
class Inflate extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.inner === null) {
      if (chunk.length === 0) return done();
      const wrapped = (chunk[0] & 0x0f) === 0x08;
      this.inner = wrapped ? zlib.createInflate(LENIENT) : zlib.createInflateRaw(LENIENT);
      this.inner.on('data', (d: Buffer) => this.push(d));
      this.inner.on('error', (err) => this.destroy(err));
    }
    this.inner.write(chunk, () => done());
  }

  override _flush(done: TransformCallback): void {
    if (this.inner === null) return done();
    this.inner.once('end', () => done());
    this.inner.end();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.inner?.destroy();
    done(err);
  }
}

/** A decoder for one content coding (lowercase), or undefined when the gateway has none for it. */
export function decoderFor(coding: string): Transform | undefined {
  return Object.hasOwn(DECODERS, coding) ? DECODERS[coding]?.() : undefined;
}

/** The codings the gateway decodes, for messages: `gzip, deflate, br` (and zstd where Node has it). */
export const DECODED_CODINGS = Object.keys(DECODERS).filter((c) => c !== 'x-gzip' && DECODERS[c] !== undefined);

/** The codings named by a Content-Encoding header, in the order they were applied (`identity` left out). */
export function contentCodings(headers: Headers): string[] {
  const v = headerValue(headers, 'content-encoding');
  if (v === undefined) return [];
  return v.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
}

/**
 * The body decoded, or the first coding the gateway cannot decode. Destroying the returned
 * stream destroys `body` (closing the upstream socket); an error of `body` (a cut, an
 * abort) comes out of it unchanged, and a body that does not decode fails it with
 * BAD_CODING.
 */
export function decodeBody(headers: Headers, body: Readable): { body: Readable } | { unsupported: string } {
  const codings = contentCodings(headers);
  if (codings.length === 0) return { body };
  if (codings.length > MAX_CODINGS) return { unsupported: `${codings.length} codings chained (more than ${MAX_CODINGS})` };
  const decoders: Transform[] = [];
  // Codings are listed in the order applied: the last one is undone first.
  for (let i = codings.length - 1; i >= 0; i--) {
    const decoder = decoderFor(codings[i]);
    if (decoder === undefined) return { unsupported: codings[i] };
    decoders.push(decoder);
  }
  // The pipeline hands an error of `body` on to every decoder; only an error a decoder
  // raises itself is the body's coding at fault.
  const passed = new Set<unknown>();
  body.on('error', (err) => passed.add(err));
  decoders.forEach((d, i) => {
    d.on('error', (err: Error & { code?: unknown }) => {
      if (passed.has(err)) return;
      passed.add(err);
      const coding = codings[codings.length - 1 - i];
      err.message = `upstream answer does not decode as ${coding} (content-encoding): ${err.message}`;
      err.code = BAD_CODING;
    });
  });
  const streams: (Readable | Transform)[] = [body, ...decoders];
  // Errors reach the caller as the last stream's 'error'; the callback only keeps an
  // unhandled rejection away.
  pipeline(streams as unknown as [Readable, Transform], () => {});
  return { body: decoders[decoders.length - 1] };
}
