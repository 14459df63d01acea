/** OpenAI-format error answers (OpenAI, Azure, OpenAI-compatible servers) → UpstreamErrorInfo. */
import type { UpstreamErrorInfo } from '../../providers/types.js';
import { classifyHttpError, durationMs, headerValue, type Headers } from '../upstream-error.js';

/**
 * What OpenAI says to a request with reasoning for a model that does not reason: a
 * reasoning effort, the ask for encrypted reasoning, or replayed reasoning items (a
 * conversation a rule or a fallback moved from gpt-5 to gpt-4.1, say).
 */
const REASONING_REFUSED = /Reasoning input items can only be provided|'reasoning(?:_effort|\.effort)' is not supported with this model|Encrypted content is not supported with this model/;

/** Appended to that refusal: the setting that makes the gateway send such a model no reasoning. */
export const REASONING_NONE_HINT = ' (Switchyard: mark this model `none` in its provider\'s options.reasoning, and the gateway sends it no reasoning.)';

/**
 * What OpenAI and Azure say to a reasoning model (o-series, gpt-5) asked with `max_tokens`,
 * which the gateway sends where options.max_tokens_field says so (Azure's dated API versions
 * by default), whichever field the client used.
 */
const MAX_TOKENS_REFUSED = /'max_tokens' is not supported with this model\. Use 'max_completion_tokens' instead/;

/** Appended to that refusal. */
const MAX_TOKENS_FIELD_HINT = ' (Switchyard: set options.max_tokens_field: max_completion_tokens on this provider.)';

/** What a reasoning model says to a sampling parameter it does not take; group 1 names it. */
const SAMPLING_REFUSED = /^Unsupported (?:parameter|value): '(temperature|top_p)' (?:is not supported|does not support)/;

/** Appended to that refusal, naming the parameter. */
function dropParamHint(param: string): string {
  return ` (Switchyard: options.drop_params can leave ${param} out for this model.)`;
}

export function classifyOpenAIError(status: number, headers: Headers, body: string): UpstreamErrorInfo {
  const { info } = classifyHttpError(status, headers, body);
  if (status === 400) {
    if (REASONING_REFUSED.test(info.message)) info.message += REASONING_NONE_HINT;
    else if (MAX_TOKENS_REFUSED.test(info.message)) info.message += MAX_TOKENS_FIELD_HINT;
    else {
      const sampling = SAMPLING_REFUSED.exec(info.message);
      if (sampling !== null) info.message += dropParamHint(sampling[1]);
    }
  }
  // OpenAI sends no Retry-After on most 429s, only the reset of the exhausted limit ("6m0s", "20ms").
  if (status === 429 && info.retryAfterMs === undefined) {
    const reset = headerValue(headers, 'x-ratelimit-reset-requests') ?? headerValue(headers, 'x-ratelimit-reset-tokens');
    const ms = reset === undefined ? undefined : resetMs(reset);
    if (ms !== undefined) info.retryAfterMs = ms;
  }
  return info;
}

/** OpenAI reset durations combine units: `1m30s`, `6m0s`, `250ms`. */
function resetMs(text: string): number | undefined {
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += durationMs(m[0]) ?? 0;
    matched += m[0];
  }
  return matched.length && matched === text.trim() ? total : undefined;
}
