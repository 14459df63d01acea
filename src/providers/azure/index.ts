/**
 * Azure OpenAI: OpenAI wire format addressed by deployment.
 * `options.deployments` maps model → deployment name (default: the model name);
 * `options.api_version` sets the `api-version` query (default below); the key goes in `api-key`.
 * The base URL is the resource endpoint, e.g. `https://my-resource.openai.azure.com`.
 */
import { baseUrlParts, perSettings } from '../../wire/http.js';
import { SwitchyardError } from '../../errors.js';
import { createOpenAIFamilyAdapter, openAIBodyOptions } from '../openai/index.js';
import type { ProviderAdapter } from '../types.js';

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

interface AzureSettings { deployments: Record<string, string>; query: string }

const base = baseUrlParts('');

const azureSettings = perSettings((s): AzureSettings => {
  const deployments: Record<string, string> = {};
  const given = s.options.deployments;
  if (given && typeof given === 'object') {
    for (const [model, dep] of Object.entries(given)) if (typeof dep === 'string') deployments[model] = dep;
  }
  const version = typeof s.options.api_version === 'string' ? s.options.api_version : AZURE_DEFAULT_API_VERSION;
  return { deployments, query: `?api-version=${encodeURIComponent(version)}` };
});

export const azureAdapter: ProviderAdapter = createOpenAIFamilyAdapter({
  type: 'azure',
  endpoint(target, op) {
    if (!target.provider.baseUrl) {
      throw new SwitchyardError('SY_ERR_INTERNAL', `provider "${target.provider.id}" (azure) has no base_url`);
    }
    const b = base(target.provider);
    const a = azureSettings(target.provider);
    const deployment = Object.hasOwn(a.deployments, target.model) ? a.deployments[target.model] : target.model;
    // Accept base URLs given with or without the trailing /openai segment.
    const prefix = b.basePath.endsWith('/openai') ? b.basePath : `${b.basePath}/openai`;
    return { origin: b.origin, path: `${prefix}/deployments/${encodeURIComponent(deployment)}/${op}${a.query}` };
  },
  auth: (target) => ({ 'api-key': target.keyValue }),
  body: openAIBodyOptions('max_tokens'),
});
