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
  // Already the output of this function (the routing context's headers, stored again in the event).
  if (Stripped.has(headers)) return headers as Record<string, string>;
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = allowedName(name);
    if (lower === null) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  Stripped.mark(out);
  return out;
}

/** A constructor that returns the object it is given: what Stripped stamps its field on. */
class Given {
  constructor(o: object) {
    return o;
  }
}

/**
 * The objects stripCredentialHeaders returned: stripping them again would return an equal
 * copy. The mark is a private field, which a subclass's constructor adds to whatever its
 * base constructor returned, here a plain object: Object.keys, JSON, spread and
 * deepStrictEqual do not see it, a copy does not carry it, and adding it costs a property
 * store where adding to a WeakSet costs a few hundred ns, on every request.
 */
class Stripped extends Given {
  readonly #stripped = true;

  /** Marks `o`, an object not marked yet. */
  static mark(o: object): void {
    new Stripped(o);
  }

  static has(o: object): boolean {
    return #stripped in o;
  }
}

/** Header name → its lowercase form, or null for a credential; the names a gateway sees repeat. */
const NAMES = new Map<string, string | null>();
const NAMES_MAX = 1024;

function allowedName(name: string): string | null {
  let v = NAMES.get(name);
  if (v === undefined) {
    v = isCredentialHeader(name) ? null : name.toLowerCase();
    if (NAMES.size < NAMES_MAX) NAMES.set(name, v);
  }
  return v;
}
