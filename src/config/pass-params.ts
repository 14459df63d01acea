/**
 * `options.pass_params` of an OpenAI-format or Anthropic provider: fields of a client's body
 * the gateway does not know (a server's own parameters: vLLM's `chat_template_kwargs`,
 * OpenRouter's `provider`, DeepSeek's `thinking`, ...) that the provider gets as sent, from
 * clients of its dialect. Opt-in per provider, since such a field can change what the
 * provider serves behind the gateway's back (OpenRouter's `models` picks other models).
 */

/** The fields the gateway builds itself, by dialect: they cannot be passed. */
export const GATEWAY_FIELDS: Readonly<Record<'openai' | 'anthropic', ReadonlySet<string>>> = {
  openai: new Set([
    'model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_tokens', 'max_completion_tokens',
    'temperature', 'top_p', 'stop', 'response_format', 'user', 'n', 'modalities', 'audio',
  ]),
  anthropic: new Set([
    'model', 'messages', 'system', 'stream', 'tools', 'tool_choice', 'max_tokens', 'temperature', 'top_p', 'stop_sequences', 'metadata',
    'output_config', 'output_format',
  ]),
};
