/**
 * Which request headers may appear in an audit event. Credentials never do: the named
 * ones below, and any header whose name mentions a token, secret, key, password,
 * auth or cookie.
 */
const CREDENTIAL_HEADERS = new Set([
  'authorization', 'proxy-authorization', 'x-api-key', 'x-switchyard-key', 'api-key',
  'x-goog-api-key', 'cookie', 'set-cookie',
]);
const CREDENTIAL_NAME = /token|secret|key|passw|auth|cookie/i;

/** True for a header name that may carry a credential. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_HEADERS.has(lower) || CREDENTIAL_NAME.test(lower);
}

/**
 * Headers with lowercase names and every credential removed. The server should build
 * the `headers` CEL variable with this same function: the audit event stores that
 * variable for replay, and it must equal what the rules saw.
 */
export function stripCredentialHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isCredentialHeader(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
