/**
 * Requests Node's HTTP parser refuses before any route sees them: headers over its limit,
 * a request line or header that is not HTTP, a bad Content-Length, a request that never
 * arrived in full. They are answered like every other refusal, in the dialect of the path
 * (when the request line could be read) with a stable code, and the connection is closed.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { SwitchyardError, renderError } from '../errors.js';
import { dialectOf } from './dialect.js';
import { newId } from './ids.js';

interface ClientError extends Error {
  code?: string;
  /** The bytes the parser stopped at (parser errors only; a Buffer, though fastify's type says otherwise). */
  rawPacket?: unknown;
}

/** The path of the request line at the start of `raw`, if it holds one. */
function pathOf(raw: unknown): string {
  if (!Buffer.isBuffer(raw)) return '';
  const line = raw.toString('latin1', 0, Math.min(raw.length, 4096));
  const m = /^[A-Z]{3,10} (\/\S*) HTTP\/\d/.exec(line);
  return m ? m[1] : '';
}

function clientErrorOf(err: ClientError): SwitchyardError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new SwitchyardError('SY_ERR_HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts (16 KB in all).');
    case 'HPE_INVALID_EOF_STATE':
      // Node says only "Parse Error": the client closed its side before the body's end.
      return new SwitchyardError('SY_ERR_BAD_REQUEST', 'The request is not well-formed HTTP/1.1: the connection was closed before the body ended.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SwitchyardError('SY_ERR_REQUEST_TIMEOUT', 'The request did not arrive in full in time.');
    default: {
      const reason = err.message.replace(/^Parse Error:\s*/, '');
      return new SwitchyardError('SY_ERR_BAD_REQUEST', `The request is not well-formed HTTP/1.1: ${reason}.`);
    }
  }
}

/** fastify's clientErrorHandler: one answer, if the socket can still take it, then close. */
export function answerClientError(err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way on this connection (a pipelined request went bad behind
  // it) must not be interleaved with another: Node's own handler checks the same.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean; req?: { url?: string } } | null })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    const e = clientErrorOf(err);
    // The parser may stop past the request line (a chunked body cut short, or broken
    // framing): the bytes it stopped at are the body's, and the request being served on
    // the connection is the one the client sent.
    const path = pathOf(err.rawPacket) || (current?.req?.url ?? '');
    const body = JSON.stringify(renderError(dialectOf(path), e));
    socket.write(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${newId('req_')}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
