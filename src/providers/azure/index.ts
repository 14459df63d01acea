/**
 * Azure OpenAI: OpenAI wire format addressed by deployment.
 * `options.deployments` maps model → deployment name (default: the model name);
 * `options.api_version` sets the `api-version` query (default below); the key goes in `api-key`.
 * `api_version: v1` selects Azure's v1 API instead: `/openai/v1/<operation>` with no
 * version query and the deployment named as the body's `model` (and
 * `max_completion_tokens`, which every model there takes).
 * The base URL is the resource endpoint, e.g. `https://my-resource.openai.azure.com`.
 */
import { baseUrlParts, perSettings } from '../../wire/http.js';
import { SwitchyardError } from '../../errors.js';
import { createOpenAIFamilyAdapter, openAIBodyOptions } from '../openai/index.js';
import { OPENAI_TOOL_NAMES } from '../tool-names.js';
import type { ProviderAdapter } from '../types.js';

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

interface AzureSettings { deployments: Record<string, string>; query: string; v1: boolean }

const base = baseUrlParts('');

const azureSettings = perSettings((s): AzureSettings => {
  const deployments: Record<string, string> = {};
  const given = s.options.deployments;
  if (given && typeof given === 'object') {
    for (const [model, dep] of Object.entries(given)) if (typeof dep === 'string') deployments[model] = dep;
  }
  const version = typeof s.options.api_version === 'string' ? s.options.api_version : AZURE_DEFAULT_API_VERSION;
  const v1 = version === 'v1';
  return { deployments, query: v1 ? '' : `?api-version=${encodeURIComponent(version)}`, v1 };
});

function deploymentOf(a: AzureSettings, model: string): string {
  return Object.hasOwn(a.deployments, model) ? a.deployments[model] : model;
}

/**
 * A deployment name as one path segment. The name may be the model a client sent (an
 * unmapped model is its own deployment), and `.` or `..` left as they are would be read
 * as dot-segments: `deployments/../chat/completions` reaches another path of the resource.
 */
function pathSegment(name: string): string {
  return name === '.' || name === '..' ? name.replaceAll('.', '%2E') : encodeURIComponent(name);
}

const classicBody = openAIBodyOptions('max_tokens');
const v1Body = openAIBodyOptions('max_completion_tokens');

export const azureAdapter: ProviderAdapter = createOpenAIFamilyAdapter({
  type: 'azure',
  endpoint(target, op) {
    if (!target.provider.baseUrl) {
      throw new SwitchyardError('SY_ERR_INTERNAL', `provider "${target.provider.id}" (azure) has no base_url`);
    }
    const b = base(target.provider);
    const a = azureSettings(target.provider);
    if (a.v1) {
      // Accept base URLs given with or without the trailing /openai or /openai/v1.
      const path = b.basePath.endsWith('/openai/v1') ? b.basePath : b.basePath.endsWith('/openai') ? `${b.basePath}/v1` : `${b.basePath}/openai/v1`;
      return { origin: b.origin, path: `${path}/${op}` };
    }
    // Accept base URLs given with or without the trailing /openai segment.
    const prefix = b.basePath.endsWith('/openai') ? b.basePath : `${b.basePath}/openai`;
    return { origin: b.origin, path: `${prefix}/deployments/${pathSegment(deploymentOf(a, target.model))}/${op}${a.query}` };
  },
  model: (target) => (azureSettings(target.provider).v1 ? deploymentOf(azureSettings(target.provider), target.model) : target.model),
  auth: (target) => ({ 'api-key': target.keyValue }),
  body: (settings) => (azureSettings(settings).v1 ? v1Body(settings) : classicBody(settings)),
  toolNames: OPENAI_TOOL_NAMES,
  maxStop: { limit: 4, api: "Azure OpenAI's chat completions API" },
});
