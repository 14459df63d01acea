/** Which client headers may go upstream. */

/** Hop-by-hop (RFC 9110 §7.6.1) and framing headers: they describe one connection, not the request. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect', 'http2-settings',
]);

/** Client credentials of every dialect we accept, and the gateway's own: never forwarded. */
const CREDENTIALS = new Set([
  'authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-switchyard-key', 'x-switchyard-admin-token',
  'cookie', 'set-cookie',
]);

/**
 * The codings the upstream may compress with are the gateway's to choose: it decodes the
 * answer (src/dispatch/encoding.ts) and encodes its own for the client. A client's list
 * (`gzip, deflate, br, zstd`) would invite codings the gateway cannot decode. The body it
 * sends is its own too: a client's compressed body is decoded (src/server/body-coding.ts),
 * and the one sent upstream is not in the client's coding.
 */
const GATEWAY_OWNED = new Map([
  ['accept-encoding', 'the gateway decodes the provider\'s answer itself and chooses which codings it accepts'],
  ['content-encoding', 'the gateway decodes a compressed request body and sends the provider a body of its own'],
]);

/** Whether a header name can never be forwarded, whatever the allowlist says. */
export function isForbiddenUpstream(name: string): boolean {
  return HOP_BY_HOP.has(name) || CREDENTIALS.has(name) || GATEWAY_OWNED.has(name);
}

/** Why a header listed in upstream.forward_headers is never forwarded; undefined when it is. */
export function neverForwardedBecause(name: string): string | undefined {
  const owned = GATEWAY_OWNED.get(name);
  if (owned !== undefined) return owned;
  if (isForbiddenUpstream(name)) return 'credentials and hop-by-hop headers never go upstream (a provider\'s key comes from its config)';
  return undefined;
}

/**
 * Builds a forwarding list once (at config load): lowercased, with hop-by-hop headers and
 * credentials removed even when an operator listed them.
 */
export function compileForwardHeaders(allowlist: readonly string[] | undefined): readonly string[] {
  const out: string[] = [];
  for (const h of allowlist ?? []) {
    const name = h.toLowerCase();
    if (!isForbiddenUpstream(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The client headers to send upstream: only those on the allowlist, never hop-by-hop
 * headers, headers the client's `Connection` header names, or credentials. Node lowercases
 * incoming header names; multi-valued headers are joined with `, `.
 *
 * @example
 * upstreamHeaders(req.headers, ['x-request-id', 'authorization'])
 * // → { 'x-request-id': 'abc' }   (authorization is a credential: never forwarded)
 */
export function upstreamHeaders(
  clientHeaders: Record<string, string | string[] | undefined>,
  allowlist: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (allowlist.length === 0) return out;
  const connection = clientHeaders.connection;
  const named = connection === undefined ? '' : (Array.isArray(connection) ? connection.join(',') : connection).toLowerCase();
  for (let i = 0; i < allowlist.length; i++) {
    const name = allowlist[i];
    if (isForbiddenUpstream(name)) continue;
    const v = clientHeaders[name];
    if (v === undefined) continue;
    if (named !== '' && named.split(',').some((t) => t.trim() === name)) continue;
    out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
