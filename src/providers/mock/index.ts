/**
 * The mock provider: a fake OpenAI-compatible upstream that runs in-process. Its adapter
 * speaks the OpenAI wire format to origin `mock://<provider id>`; dispatch answers such
 * requests with `handleMockRequest` instead of the network. `startMockServer` (./server.js)
 * serves the same responder over HTTP for benchmarks and integration tests.
 */
import { perSettings } from '../../wire/http.js';
import { createOpenAIFamilyAdapter, openAIBodyOptions } from '../openai/index.js';
import type { ProviderAdapter } from '../types.js';

export { handleMockRequest, type MockContext, type MockReply } from './responder.js';

/** Origin scheme of mock targets; dispatch routes `mock:` origins to handleMockRequest. */
export const MOCK_ORIGIN_PREFIX = 'mock://';

const origin = perSettings((s) => MOCK_ORIGIN_PREFIX + s.id);

export const mockAdapter: ProviderAdapter = createOpenAIFamilyAdapter({
  type: 'mock',
  endpoint: (target, op) => ({ origin: origin(target.provider), path: `/v1/${op}` }),
  auth: () => ({}),
  body: openAIBodyOptions('max_tokens'),
});
