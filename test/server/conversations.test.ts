/**
 * Conversations (src/server/conversations.ts) on the in-process store: what a refusal
 * says is kept follows the configured TTL, as the kept answers' refusals do.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Conversations } from '../../src/server/conversations.js';
import { MemoryResponseItems } from '../../src/server/response-items.js';

describe('conversations', () => {
  it('a conversation not found is a 404 that says how long conversations are kept, in the TTL\'s own unit', async () => {
    for (const [ttl, said] of [[24 * 3_600_000, '24h'], [90 * 60_000, '90m'], [45_000, '45s']] as const) {
      const c = new Conversations(new MemoryResponseItems(1 << 20, ttl), Date.now);
      await assert.rejects(c.get('vk', 'conv_nope'), { code: 'SY_ERR_NOT_FOUND', status: 404, message: `Conversation with id 'conv_nope' not found: conversations are kept for ${said} after their last change, for the key that made them.` });
    }
  });
});
