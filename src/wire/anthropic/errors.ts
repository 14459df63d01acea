/** Anthropic error answers → UpstreamErrorInfo. */
import type { UpstreamErrorInfo } from '../../providers/types.js';
import { classifyHttpError, type Headers } from '../upstream-error.js';

export function classifyAnthropicError(status: number, headers: Headers, body: string): UpstreamErrorInfo {
  const { info, body: parsed } = classifyHttpError(status, headers, body);
  // Anthropic reports overload as 529 but also, behind some proxies, as another 5xx with this type.
  if (parsed.error?.type === 'overloaded_error') info.kind = 'overloaded';
  return info;
}
