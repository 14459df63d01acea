/**
 * OpenAI's built-in tools that the client runs (the Responses API's `apply_patch` and
 * `shell` with a local environment, as the OpenAI Agents SDK's `applyPatchTool` and
 * `shellTool` declare them): the model asks for a file edit or for commands, the client
 * carries them out and sends back what happened. Only OpenAI's Responses API has them, so
 * to every provider reached another way each travels as a function tool of the same name,
 * whose arguments are the call's `operation` (apply_patch) or `action` (shell), told in
 * its description and schema; a model served through the Responses API gets the built-in
 * tool itself. A call comes back to the client as the built-in call it asked for
 * (`apply_patch_call`, `shell_call`); in the history, a call goes upstream as the
 * function call it stands for, and its output (`apply_patch_call_output`,
 * `shell_call_output`) as the call's result: its fields, as JSON.
 */
import type { ToolCall, ToolDefinition } from '../../canonical.js';
import { toolArgumentsOrEmpty } from '../content.js';
import { badRequest, isRecord, optionalString, requireArray, requireNonEmptyString, requireRecord, requireString, wrongType } from '../validate.js';

export type BuiltinTool = 'apply_patch' | 'shell';

const OPERATIONS = ['create_file', 'update_file', 'delete_file'];

/** The function each built-in tool travels as to a provider that does not have it. */
const FUNCTIONS: Readonly<Record<BuiltinTool, { description: string; parameters: Record<string, unknown> }>> = {
  apply_patch: {
    description: 'Create, update or delete one file in the user\'s workspace. '
      + 'To create a file, `type` is create_file and `diff` is its whole content, every line prefixed with "+". '
      + 'To change one, `type` is update_file and `diff` is a V4A diff: one or more sections, each starting with a line "@@", '
      + 'optionally followed by a space and one line of the file that comes before the change (a function or class signature, say) when the context alone is not unique; '
      + 'then the lines around and of the change, each prefixed with " " (unchanged context, about three lines before and after), "-" (removed) or "+" (added). No line numbers. '
      + '`move_to` renames the file as it is updated. To delete a file, `type` is delete_file, with no diff. Paths are relative to the workspace.',
    parameters: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: OPERATIONS, description: 'What to do to the file.' },
        path: { type: 'string', description: 'The file\'s path, relative to the workspace.' },
        diff: { type: 'string', description: 'create_file: the content, each line prefixed with "+"; update_file: the V4A diff.' },
        move_to: { type: 'string', description: 'update_file only, optional: the file\'s new path.' },
      },
      required: ['type', 'path'],
      additionalProperties: false,
    },
  },
  shell: {
    description: 'Run shell commands in the user\'s environment, one after another. The result gives each command\'s stdout, stderr and outcome (its exit code, or a timeout).',
    parameters: {
      type: 'object',
      properties: {
        commands: { type: 'array', items: { type: 'string' }, description: 'The commands to run, in order.' },
        timeout_ms: { type: 'integer', description: 'Optional: the time the commands may take, in milliseconds.' },
        max_output_length: { type: 'integer', description: 'Optional: the most characters of output to return from each command.' },
      },
      required: ['commands'],
      additionalProperties: false,
    },
  },
};

/** The call and output item types of each built-in tool, and the tool each type belongs to. */
const CALL_TYPE: Readonly<Record<BuiltinTool, string>> = { apply_patch: 'apply_patch_call', shell: 'shell_call' };
export const BUILTIN_CALLS: Readonly<Record<string, BuiltinTool>> = { apply_patch_call: 'apply_patch', shell_call: 'shell' };
export const BUILTIN_OUTPUTS: Readonly<Record<string, BuiltinTool>> = { apply_patch_call_output: 'apply_patch', shell_call_output: 'shell' };

/**
 * The built-in tool a client's tool at `p` declares, or null when it declares another:
 * `apply_patch`, or `shell` in a local environment (the default). A shell in one of
 * OpenAI's containers runs at OpenAI, which no provider can stand in for.
 */
export function builtinKind(t: Record<string, unknown>, p: string): BuiltinTool | null {
  if (t.type === 'apply_patch') return 'apply_patch';
  if (t.type !== 'shell') return null;
  if (t.environment === undefined || t.environment === null) return 'shell';
  const env = requireRecord(t.environment, `${p}.environment`);
  return env.type === 'local' ? 'shell' : null;
}

/** A built-in tool as the function every provider takes (see ToolDefinition.builtin). */
export function builtinTool(kind: BuiltinTool): ToolDefinition {
  const f = FUNCTIONS[kind];
  return { name: kind, description: f.description, parameters: f.parameters, builtin: kind };
}

/** The built-in tools among `tools`, or undefined when there are none (ChatClientOptions.builtin). */
export function builtinNames(tools: readonly ToolDefinition[] | undefined): ReadonlySet<string> | undefined {
  if (tools === undefined) return undefined;
  let out: Set<string> | undefined;
  for (const t of tools) if (t.builtin !== undefined) (out ??= new Set()).add(t.name);
  return out;
}

function optionalCount(v: unknown, p: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw wrongType(p, 'a whole number', v);
  return v;
}

/** An `apply_patch_call`'s operation as the client sent it, checked. */
function operationAt(v: unknown, p: string): Record<string, unknown> {
  const op = requireRecord(v, p);
  const type = requireString(op.type, `${p}.type`);
  if (!OPERATIONS.includes(type)) throw badRequest(`${p}.type`, `\`${p}.type\` must be one of ${OPERATIONS.join(', ')}, got "${type}"`);
  const out: Record<string, unknown> = { type, path: requireNonEmptyString(op.path, `${p}.path`) };
  if (type !== 'delete_file') out.diff = requireString(op.diff, `${p}.diff`);
  const moveTo = optionalString(op.move_to, `${p}.move_to`);
  if (type === 'update_file' && moveTo !== undefined) out.move_to = moveTo;
  return out;
}

/** A `shell_call`'s action as the client sent it, checked. */
function actionAt(v: unknown, p: string): Record<string, unknown> {
  const a = requireRecord(v, p);
  const out: Record<string, unknown> = { commands: requireArray(a.commands, `${p}.commands`).map((c, j) => requireString(c, `${p}.commands[${j}]`)) };
  // A limit not set is left out, as the model would leave it out of its function form's arguments.
  const timeout = optionalCount(a.timeout_ms, `${p}.timeout_ms`);
  const max = optionalCount(a.max_output_length, `${p}.max_output_length`);
  if (timeout !== null) out.timeout_ms = timeout;
  if (max !== null) out.max_output_length = max;
  return out;
}

/** A built-in call item of the client's history (at `p`) as the call of its function form. */
export function builtinCall(kind: BuiltinTool, item: Record<string, unknown>, p: string): ToolCall & { from: string } {
  const args = kind === 'apply_patch' ? operationAt(item.operation, `${p}.operation`) : actionAt(item.action, `${p}.action`);
  return { id: requireNonEmptyString(item.call_id, `${p}.call_id`), name: kind, arguments: JSON.stringify(args), from: `${p}.${kind === 'apply_patch' ? 'operation' : 'action'}` };
}

/** A built-in call's output item (at `p`) as the text of the call's result: its fields, as JSON. */
export function builtinOutput(kind: BuiltinTool, item: Record<string, unknown>, p: string): string {
  if (kind === 'apply_patch') {
    const status = requireString(item.status ?? 'completed', `${p}.status`);
    if (status !== 'completed' && status !== 'failed') throw badRequest(`${p}.status`, `\`${p}.status\` must be completed or failed, got "${status}"`);
    const output = optionalString(item.output, `${p}.output`);
    return JSON.stringify(output === undefined ? { status } : { status, output });
  }
  const output = requireArray(item.output, `${p}.output`).map((v, j) => {
    const at = `${p}.output[${j}]`;
    const o = requireRecord(v, at);
    const outcome = requireRecord(o.outcome, `${at}.outcome`);
    if (outcome.type !== 'exit' && outcome.type !== 'timeout') throw badRequest(`${at}.outcome.type`, `\`${at}.outcome.type\` must be exit or timeout`);
    return {
      stdout: requireString(o.stdout ?? '', `${at}.stdout`),
      stderr: requireString(o.stderr ?? '', `${at}.stderr`),
      outcome: outcome.type === 'timeout' ? { type: 'timeout' } : { type: 'exit', exit_code: optionalCount(outcome.exit_code, `${at}.outcome.exit_code`) ?? 0 },
    };
  });
  const max = optionalCount(item.max_output_length, `${p}.max_output_length`);
  return JSON.stringify(max === null ? { output } : { output, max_output_length: max });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const countOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

/** The `operation` or `action` of a call to a built-in tool, from its function form's arguments, in the shape the Responses API gives it. */
function payloadOf(kind: BuiltinTool, args: string): Record<string, unknown> {
  const a = toolArgumentsOrEmpty(args);
  if (kind === 'shell') {
    const commands = Array.isArray(a.commands) ? a.commands.filter((c): c is string => typeof c === 'string') : typeof a.commands === 'string' ? [a.commands] : [];
    return { commands, timeout_ms: countOrNull(a.timeout_ms), max_output_length: countOrNull(a.max_output_length) };
  }
  const type = OPERATIONS.includes(str(a.type)) ? str(a.type) : 'update_file';
  const op: Record<string, unknown> = { type, path: str(a.path) };
  if (type !== 'delete_file') op.diff = str(a.diff);
  if (type === 'update_file' && typeof a.move_to === 'string' && a.move_to !== '') op.move_to = a.move_to;
  return op;
}

export function builtinCallItemId(kind: BuiltinTool, respId: string, n: number): string {
  return `${kind === 'apply_patch' ? 'apc' : 'sh'}_${respId.slice('resp_'.length)}_${n}`;
}

/**
 * A call to a built-in tool as the client gets it, from the arguments of its function
 * form; while `in_progress` (streaming, before the arguments are whole) without them.
 */
export function builtinCallItem(kind: BuiltinTool, id: string, call: Pick<ToolCall, 'id' | 'arguments'>, status: 'in_progress' | 'completed'): Record<string, unknown> {
  const item: Record<string, unknown> = { type: CALL_TYPE[kind], id, call_id: call.id };
  if (status === 'completed') item[kind === 'apply_patch' ? 'operation' : 'action'] = payloadOf(kind, call.arguments);
  item.status = status;
  // Built-in shell calls run where the client is (a shell in OpenAI's containers is not one).
  if (kind === 'shell') item.environment = { type: 'local' };
  return item;
}

/** A built-in tool as the Responses API takes it. */
export function upstreamBuiltinTool(kind: BuiltinTool): Record<string, unknown> {
  return kind === 'shell' ? { type: 'shell', environment: { type: 'local' } } : { type: 'apply_patch' };
}

/** A call to a built-in tool in the history, as the Responses API takes it back. */
export function upstreamBuiltinCall(kind: BuiltinTool, callId: string, args: string): Record<string, unknown> {
  return { type: CALL_TYPE[kind], call_id: callId, [kind === 'apply_patch' ? 'operation' : 'action']: payloadOf(kind, args), status: 'completed' };
}

/**
 * A built-in call's result in the history, as the Responses API takes it back: the fields
 * builtinOutput put in its text; text that holds none (a result another client wrote) is
 * the output.
 */
export function upstreamBuiltinOutput(kind: BuiltinTool, callId: string, text: string): Record<string, unknown> {
  const r = toolArgumentsOrEmpty(text);
  if (kind === 'apply_patch') {
    const status = r.status === 'failed' ? 'failed' : 'completed';
    const output = typeof r.output === 'string' ? r.output : r.status === undefined ? text : undefined;
    return output === undefined ? { type: 'apply_patch_call_output', call_id: callId, status } : { type: 'apply_patch_call_output', call_id: callId, status, output };
  }
  const output = Array.isArray(r.output) ? r.output : [{ stdout: text, stderr: '', outcome: { type: 'exit', exit_code: 0 } }];
  const item: Record<string, unknown> = { type: 'shell_call_output', call_id: callId, output };
  if (typeof r.max_output_length === 'number') item.max_output_length = r.max_output_length;
  return item;
}

/** A built-in call a model served through the Responses API made, as the call of its function form. */
export function callOfBuiltin(kind: BuiltinTool, item: Record<string, unknown>, n: number): ToolCall {
  const id = typeof item.call_id === 'string' && item.call_id ? item.call_id : `call_${n}`;
  const payload = kind === 'apply_patch' ? item.operation : item.action;
  return { id, name: kind, arguments: JSON.stringify(isRecord(payload) ? payload : {}) };
}
