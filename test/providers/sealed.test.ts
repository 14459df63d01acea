/** What the gateway seals into fields a client replays untouched, and reads back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sealReasoning, unsealReasoning } from '../../src/wire/sealed.js';

const bad = (why: string) => new Error(why);

describe('an OpenAI model\'s encrypted reasoning in an Anthropic thinking signature', () => {
  it('round-trips with its id or without one, the content as it is', () => {
    const data = 'gAAAAABo:x_y-z==';
    const sealed = sealReasoning({ type: 'encrypted_reasoning', id: 'rs_1', data });
    assert.equal(sealed, `sy-openai-reasoning.v1:rs_1:${data}`);
    assert.deepEqual(unsealReasoning(sealed, bad), { type: 'encrypted_reasoning', id: 'rs_1', data });
    assert.deepEqual(unsealReasoning(sealReasoning({ type: 'encrypted_reasoning', data }), bad), { type: 'encrypted_reasoning', data });
  });

  it("leaves Anthropic's own signatures alone, and refuses one with the prefix that carries nothing", () => {
    assert.equal(unsealReasoning('EqQBCkYIBxgCKkB', bad), null);
    assert.throws(() => unsealReasoning('sy-openai-reasoning.v1:!!!', bad), /not what the gateway gave out/);
    assert.throws(() => unsealReasoning('sy-openai-reasoning.v1:rs_1:', bad), /not what the gateway gave out/);
  });
});
