/**
 * Any server speaking the OpenAI chat completions API: Groq, Mistral, OpenRouter,
 * Together, DeepSeek, Ollama, vLLM, LM Studio, ... `base_url` is required and includes the
 * version segment (`https://api.groq.com/openai/v1`, `http://localhost:11434/v1`).
 * `options.auth`: `bearer` (default) | `header:<name>` (key sent in that header) | `none`.
 * With `options.send_reasoning`, an assistant turn's reasoning goes back as `reasoning_content`.
 * With `options.tool_loop: mistral`, tool loops go as Mistral takes them (see toOpenAIChatBody).
 * With `options.count_tokens: true`, a server that has OpenAI's input token counting
 * (`POST /responses/input_tokens`) counts Anthropic clients' requests.
 */
import { authOptionProblem } from '../../config/providers.js';
import { SwitchyardError } from '../../errors.js';
import { baseUrlParts, perSettings } from '../../wire/http.js';
import { createOpenAIFamilyAdapter, openAIBodyOptions } from '../openai/index.js';
import { OPENAI_TOOL_NAMES } from '../tool-names.js';
import type { AttemptTarget, ProviderAdapter, ProviderSettings } from '../types.js';

/** Header name carrying the key, or undefined for keyless servers. */
type AuthHeader = { name: string; bearer: boolean } | undefined;

const authHeader = perSettings((s: ProviderSettings): AuthHeader => {
  const auth = s.options.auth;
  const problem = authOptionProblem(auth);
  if (problem) throw new SwitchyardError('SY_ERR_INTERNAL', `provider "${s.id}": ${problem}`);
  if (auth === 'none') return undefined;
  if (typeof auth === 'string' && auth.startsWith('header:')) return { name: auth.slice(7).toLowerCase(), bearer: false };
  return { name: 'authorization', bearer: true };
});

const base = baseUrlParts('');

function auth(target: AttemptTarget): Record<string, string> {
  const h = authHeader(target.provider);
  // Keyless targets (a local Ollama) send nothing even under bearer auth.
  if (!h || !target.keyValue) return {};
  return { [h.name]: h.bearer ? `Bearer ${target.keyValue}` : target.keyValue };
}

export const openaiCompatibleAdapter: ProviderAdapter = createOpenAIFamilyAdapter({
  type: 'openai-compatible',
  endpoint(target, op) {
    if (!target.provider.baseUrl) {
      throw new SwitchyardError('SY_ERR_INTERNAL', `provider "${target.provider.id}" (openai-compatible) has no base_url`);
    }
    const b = base(target.provider);
    return { origin: b.origin, path: `${b.basePath}/${op}` };
  },
  auth,
  body: openAIBodyOptions('max_tokens'),
  // Only a server that has OpenAI's input token counting, when options.count_tokens says so.
  countsTokens: false,
  listsModels: true,
  // DeepSeek, Qwen, Kimi and the like hold function names to OpenAI's rule.
  toolNames: OPENAI_TOOL_NAMES,
});
