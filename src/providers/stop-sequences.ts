/**
 * Stop sequences a provider's API cannot take. A client of another dialect may send them
 * (an Anthropic client's eight stop sequences, an OpenAI client's `"\n"`), and the
 * provider would refuse the request naming its own field. The gateway refuses it first,
 * as the client's error, naming the client's field and the limit, and the setting that
 * leaves stop sequences out where the provider has one (options.drop_params).
 */
import type { ChatRequest } from '../canonical.js';
import { SwitchyardError } from '../errors.js';
import { drops } from './drop-params.js';
import type { AttemptTarget } from './types.js';

/** The client's name for its stop sequences. */
function clientField(req: ChatRequest): string {
  return req.clientBody?.dialect === 'anthropic' ? 'stop_sequences' : 'stop';
}

/**
 * Refuses `req` when it has more stop sequences than `limit`, the most `api` takes, unless
 * the target's provider drops `dropped` (the body field that carries them), when given.
 */
export function checkStopCount(req: ChatRequest, target: AttemptTarget, api: string, limit: number, dropped?: string): void {
  const n = req.stop?.length ?? 0;
  if (n <= limit || (dropped !== undefined && drops(target, dropped))) return;
  const param = clientField(req);
  const escape = dropped === undefined ? '' : ' (or have the provider drop them: options.drop_params)';
  throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${param}: ${api} takes at most ${limit} stop sequences, and this request has ${n}; send at most ${limit}${escape}`, { details: { param } });
}

/**
 * Refuses `req` when one of its stop sequences is empty or only whitespace, which Anthropic
 * refuses ("each stop sequence must contain non-whitespace") and OpenAI clients send
 * (`"\n"`, to stop at the end of a line), unless the target's provider drops `dropped`.
 */
export function checkStopText(req: ChatRequest, target: AttemptTarget, api: string, dropped: string): void {
  const stop = req.stop;
  if (stop === undefined || drops(target, dropped)) return;
  const i = stop.findIndex((s) => s.trim() === '');
  if (i < 0) return;
  const param = `${clientField(req)}[${i}]`;
  throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${param}: ${api} takes no stop sequence that is empty or only whitespace, and this one is ${JSON.stringify(stop[i])}; send stop sequences with other characters in them (or have the provider drop them: options.drop_params)`, { details: { param } });
}
