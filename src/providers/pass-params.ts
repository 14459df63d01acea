/**
 * A provider's `options.pass_params` (see config/pass-params.ts), resolved once per provider:
 * the client's fields it names go into the upstream body as sent.
 */
import type { ChatRequest, Dialect } from '../canonical.js';
import { GATEWAY_FIELDS } from '../config/pass-params.js';
import { perSettings } from '../wire/http.js';
import type { AttemptTarget } from './types.js';

const passed = perSettings((s): readonly string[] => {
  const given = s.options.pass_params;
  // The config check refuses anything but a list of fields the gateway does not build.
  if (!Array.isArray(given)) return [];
  const own = GATEWAY_FIELDS[s.type === 'anthropic' ? 'anthropic' : 'openai'];
  return given.filter((f): f is string => typeof f === 'string' && !own.has(f));
});

/** `body` with the fields of the client's body that the target's provider passes, from a client of `dialect`. */
export function withPassed(body: Record<string, unknown>, req: ChatRequest, target: AttemptTarget, dialect: Dialect): Record<string, unknown> {
  if (target.provider.options.pass_params === undefined) return body;
  const names = passed(target.provider);
  const client = req.clientBody;
  if (names.length === 0 || client === undefined || client.dialect !== dialect) return body;
  for (const name of names) {
    const v = client.fields[name];
    if (v !== undefined && !(name in body)) body[name] = v;
  }
  return body;
}
