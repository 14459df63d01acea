/** Which client dialect a URL speaks; errors are rendered in it. */
import type { Dialect } from '../canonical.js';

export function dialectOf(url: string): Dialect {
  return url.startsWith('/anthropic/') ? 'anthropic' : 'openai';
}
