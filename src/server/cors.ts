/**
 * CORS, for browser clients (`server.cors_origins`): the OpenAI and Anthropic SDKs run in
 * a browser too, and a web app may call the gateway directly. Off unless origins are
 * configured. Credentials travel in headers (Authorization, x-api-key), never cookies,
 * so `Access-Control-Allow-Credentials` is never sent, and `*` is safe to answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RATE_LIMIT_HEADERS } from './rate-limit-headers.js';

/** What a browser script may read of a response besides the CORS-safelisted headers. */
const EXPOSED = [
  'x-request-id', 'x-switchyard-decision-id', 'x-switchyard-rule-id', 'x-switchyard-served-by',
  'x-switchyard-budget-remaining', 'x-switchyard-token-count', 'retry-after', 'x-should-retry', 'server-timing',
  ...RATE_LIMIT_HEADERS,
].join(', ');

const METHODS = 'GET, POST, DELETE, OPTIONS';

/** A comma-separated list of header names (RFC 9110 tokens), as a preflight asks. */
const HEADER_NAMES = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:[ \t]*,[ \t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/** Preflight answers may be cached this long, in seconds. */
const MAX_AGE = '600';

/**
 * For a request from an allowed origin, sets the CORS response headers; answers a
 * preflight itself (204) and returns true then. Any other request is left alone.
 */
export type CorsHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The handler for `origins`, or null when CORS is off. */
export function createCors(origins: readonly string[] | undefined): CorsHandler | null {
  if (origins === undefined || origins.length === 0) return null;
  const any = origins.includes('*');
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined || !(any || allowed.has(origin.toLowerCase()))) return false;
    if (any) res.setHeader('access-control-allow-origin', '*');
    else {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('access-control-allow-methods', METHODS);
      const asked = req.headers['access-control-request-headers'];
      if (asked !== undefined && HEADER_NAMES.test(asked.trim())) res.setHeader('access-control-allow-headers', asked.trim());
      res.setHeader('access-control-max-age', MAX_AGE);
      res.statusCode = 204;
      res.end();
      return true;
    }
    res.setHeader('access-control-expose-headers', EXPOSED);
    return false;
  };
}
