/**
 * Request bodies sent in a content coding. Some clients compress what they send: the Codex
 * CLI sends its Responses requests in zstd, and HTTP libraries can gzip a large body. The
 * gateway decodes gzip, deflate and br (and zstd where Node has it) as the body arrives, so
 * the body limit counts decoded bytes: a small body that inflates past it is refused 413,
 * never held whole. A coding the gateway does not decode is refused 415 (RFC 9110 §15.5.16).
 */
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { SwitchyardError } from '../errors.js';
import { contentCodings, decoderFor, DECODED_CODINGS, MAX_CODINGS } from '../dispatch/encoding.js';
import type { Headers } from '../wire/upstream-error.js';

/** A request body's decoders, chained: the raw body goes into `input`, the decoded one comes out of `output`. */
export interface BodyDecoder {
  input: Transform;
  output: Readable;
  /** Frees the decoders (a body abandoned part way). */
  destroy(): void;
}

/**
 * The decoder for a request's Content-Encoding; null when the body is not encoded (none,
 * or `identity`), or the error to refuse it with. A body that does not decode fails
 * `output` with a 400 SwitchyardError naming the coding.
 */
export function bodyDecoder(headers: Headers): BodyDecoder | SwitchyardError | null {
  const codings = contentCodings(headers);
  if (codings.length === 0) return null;
  if (codings.length > MAX_CODINGS) {
    return new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `The request body's Content-Encoding chains ${codings.length} codings: the gateway decodes at most ${MAX_CODINGS}; send the body in one.`);
  }
  const chain: Transform[] = [];
  // Codings are listed in the order applied: the last one is undone first.
  for (let i = codings.length - 1; i >= 0; i--) {
    const decoder = decoderFor(codings[i]);
    if (decoder === undefined) {
      for (const d of chain) d.destroy();
      return new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `The request body's Content-Encoding ${codings[i]} is not one the gateway decodes: send the body uncompressed, or in ${DECODED_CODINGS.join(', ')}.`);
    }
    chain.push(decoder);
  }
  // The decoded body comes out of a stream of its own, so that a decoder's failure reaches
  // the reader as the one error that names the coding.
  const output = new PassThrough();
  // A body nobody reads (a request refused before its body is parsed) may still fail to
  // decode: its error is dropped, not thrown.
  output.on('error', () => undefined);
  chain.forEach((d, i) => {
    d.pipe(chain[i + 1] ?? output);
    d.on('error', () => {
      if (output.destroyed) return;
      for (const other of chain) other.destroy();
      output.destroy(new SwitchyardError('SY_ERR_BAD_REQUEST', `The request body does not decode as ${codings[codings.length - 1 - i]}, as its Content-Encoding says.`));
    });
  });
  return {
    input: chain[0],
    output,
    destroy: () => {
      for (const d of chain) d.destroy();
      output.destroy();
    },
  };
}
