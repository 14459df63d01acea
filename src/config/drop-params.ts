/**
 * `options.drop_params` of an OpenAI-format or Anthropic provider: body fields its models refuse, left
 * out of every chat request, as a list (every model) or a map from model globs to lists.
 */

/** Body fields `drop_params` may not name: without them there is no request. */
export const UNDROPPABLE_PARAMS: ReadonlySet<string> = new Set(['model', 'messages', 'stream', 'input']);
