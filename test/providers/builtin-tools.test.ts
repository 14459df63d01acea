/**
 * OpenAI's built-in apply_patch and shell tools (src/wire/responses/builtin.ts): what a
 * model that is not OpenAI's writes as a call's arguments becomes a call item the client
 * can read, whatever it wrote; an output item goes up as the call's result and back to a
 * model served through the Responses API as the same item; and a result that holds none
 * of an output item's fields still goes up as its output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinCall, builtinCallItem, builtinOutput, upstreamBuiltinCall, upstreamBuiltinOutput } from '../../src/wire/responses/builtin.js';
import { renderResponsesResponse } from '../../src/wire/responses/response.js';

describe('built-in tools the client runs', () => {
  it('a call item is made of whatever arguments the model wrote: what fits is kept, the rest given its empty form', () => {
    const patch = (args: string) => builtinCallItem('apply_patch', 'apc_1', { id: 'call_1', arguments: args }, 'completed').operation;
    assert.deepEqual(patch('{"type":"delete_file","path":"a.txt","diff":"ignored"}'), { type: 'delete_file', path: 'a.txt' });
    assert.deepEqual(patch('{"type":"update_file","path":"a.txt","diff":"@@\\n-a\\n+b","move_to":"b.txt"}'), { type: 'update_file', path: 'a.txt', diff: '@@\n-a\n+b', move_to: 'b.txt' });
    assert.deepEqual(patch('{"type":"create_file","path":"a.txt","diff":"+a","move_to":"b.txt"}'), { type: 'create_file', path: 'a.txt', diff: '+a' }, 'only an update moves a file');
    assert.deepEqual(patch('not json'), { type: 'update_file', path: '', diff: '' });
    const shell = (args: string) => builtinCallItem('shell', 'sh_1', { id: 'call_1', arguments: args }, 'completed').action;
    assert.deepEqual(shell('{"commands":"ls -la","timeout_ms":-1,"max_output_length":2.5}'), { commands: ['ls -la'], timeout_ms: null, max_output_length: null });
    assert.deepEqual(shell('{"commands":["ls",3,"pwd"],"timeout_ms":1000}'), { commands: ['ls', 'pwd'], timeout_ms: 1000, max_output_length: null });
    assert.deepEqual(builtinCallItem('shell', 'sh_1', { id: 'call_1', arguments: '' }, 'in_progress'), { type: 'shell_call', id: 'sh_1', call_id: 'call_1', status: 'in_progress', environment: { type: 'local' } });
  });

  it('an output item goes up as the call\'s result, and back to the Responses API as the item it was', () => {
    const applied = { type: 'apply_patch_call_output', call_id: 'call_1', status: 'failed', output: 'no such file', id: 'apco_1' };
    const text = builtinOutput('apply_patch', applied, 'input[1]');
    assert.equal(text, '{"status":"failed","output":"no such file"}');
    assert.deepEqual(upstreamBuiltinOutput('apply_patch', 'call_1', text), { type: 'apply_patch_call_output', call_id: 'call_1', status: 'failed', output: 'no such file' });
    const ran = { type: 'shell_call_output', call_id: 'call_2', output: [{ stdout: 'x', outcome: { type: 'timeout' } }], max_output_length: 100 };
    const ranText = builtinOutput('shell', ran, 'input[3]');
    assert.deepEqual(JSON.parse(ranText), { output: [{ stdout: 'x', stderr: '', outcome: { type: 'timeout' } }], max_output_length: 100 });
    assert.deepEqual(upstreamBuiltinOutput('shell', 'call_2', ranText), { type: 'shell_call_output', call_id: 'call_2', output: [{ stdout: 'x', stderr: '', outcome: { type: 'timeout' } }], max_output_length: 100 });
    const call = builtinCall('shell', { type: 'shell_call', call_id: 'call_2', action: { commands: ['sleep 9'], timeout_ms: 10, max_output_length: null } }, 'input[2]');
    assert.deepEqual(JSON.parse(call.arguments), { commands: ['sleep 9'], timeout_ms: 10 }, 'upstream as the model would have called its function form: no limit set, none given');
    assert.deepEqual(upstreamBuiltinCall('shell', 'call_2', call.arguments), { type: 'shell_call', call_id: 'call_2', action: { commands: ['sleep 9'], timeout_ms: 10, max_output_length: null }, status: 'completed' });
  });

  it('a result that holds no output item\'s fields goes up as the output itself', () => {
    assert.deepEqual(upstreamBuiltinOutput('apply_patch', 'c', 'Patched.'), { type: 'apply_patch_call_output', call_id: 'c', status: 'completed', output: 'Patched.' });
    assert.deepEqual(upstreamBuiltinOutput('shell', 'c', 'a.txt'), { type: 'shell_call_output', call_id: 'c', output: [{ stdout: 'a.txt', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] });
  });

  it('an answer shows calls to built-in tools as their items, and other calls as before', () => {
    const res = {
      id: 'x', model: 'm', text: '', finishReason: 'tool_calls' as const, usage: { inputTokens: 1, outputTokens: 1 },
      toolCalls: [{ id: 'call_1', name: 'shell', arguments: '{"commands":["ls"]}' }, { id: 'call_2', name: 'get_weather', arguments: '{}' }],
    };
    const out = renderResponsesResponse(res, { created: 0, id: 'resp_abc', builtin: new Set(['shell']) }).output as Record<string, unknown>[];
    assert.deepEqual(out.map((i) => [i.type, i.id]), [['shell_call', 'sh_abc_0'], ['function_call', 'fc_abc_1']]);
  });
});
