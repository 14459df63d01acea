/** Gemini (Google AI) error answers → UpstreamErrorInfo. */
import type { UpstreamErrorInfo } from '../../providers/types.js';
import { classifyHttpError, durationMs, type Headers } from '../upstream-error.js';
import { isRecord } from '../validate.js';

export function classifyGeminiError(status: number, headers: Headers, body: string): UpstreamErrorInfo {
  const { info, body: parsed } = classifyHttpError(status, headers, body);
  // `code` repeats the HTTP status; `status` (RESOURCE_EXHAUSTED, ...) is the informative one.
  if (typeof parsed.error?.status === 'string') info.providerCode = parsed.error.status;
  const details = parsed.error?.details;
  if (!Array.isArray(details)) return info;
  for (const d of details) {
    if (!isRecord(d)) continue;
    // A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID: the key is at fault, not the request.
    if (d.reason === 'API_KEY_INVALID') info.kind = 'auth_error';
    if (info.retryAfterMs === undefined && typeof d.retryDelay === 'string') {
      const ms = durationMs(d.retryDelay);
      if (ms !== undefined) info.retryAfterMs = ms;
    }
  }
  return info;
}
