/**
 * The tools Anthropic defines and the client runs (`bash_*`, `text_editor_*`, `memory_*`):
 * declared by type and name alone, their input schema known to Claude, their calls
 * ordinary `tool_use` blocks the client answers with `tool_result`. An Anthropic provider
 * gets the tool as the client declared it; every other provider gets a function of the
 * same name whose schema and description say what Claude already knows, so the calls
 * that come back are the ones the client expects. (Computer use, whose actions come with
 * screenshots of a display, and the tools Anthropic runs itself stay Anthropic's.)
 */
import type { ToolDefinition } from '../../canonical.js';
import { requireNonEmptyString } from '../validate.js';

const str = (description: string) => ({ type: 'string', description });

const BASH = {
  description: 'Run a command in a persistent bash session on the user\'s machine (state such as the working directory and variables carries over between calls); returns its output. '
    + 'Set `restart` to true, with no command, to start a fresh session.',
  parameters: {
    type: 'object',
    properties: { command: str('The bash command to run.'), restart: { type: 'boolean', description: 'Restart the session instead of running a command.' } },
    additionalProperties: false,
  },
};

/** The text editor's commands: view, create, str_replace, insert, and undo_edit where the version has it. */
function textEditor(undo: boolean): { description: string; parameters: Record<string, unknown> } {
  const commands = ['view', 'create', 'str_replace', 'insert', ...(undo ? ['undo_edit'] : [])];
  return {
    description: 'View and edit text files on the user\'s machine. `view` shows a file with line numbers (or a range, `view_range`: [first, last], last -1 for the end) or lists a directory; '
      + '`create` writes a new file (`file_text`); `str_replace` replaces `old_str`, which must match exactly one place in the file, whitespace included, with `new_str`; '
      + `\`insert\` adds \`new_str\` after line \`insert_line\` (0: at the top)${undo ? '; `undo_edit` reverts the last edit of the file' : ''}.`,
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: commands },
        path: str('The file or directory, absolute.'),
        view_range: { type: 'array', items: { type: 'integer' }, description: 'view: the first and last line to show.' },
        file_text: str('create: the new file\'s content.'),
        old_str: str('str_replace: the text to replace.'),
        new_str: str('str_replace: the text to put in its place; insert: the text to insert.'),
        insert_line: { type: 'integer', description: 'insert: the line after which to insert.' },
      },
      required: ['command', 'path'],
      additionalProperties: false,
    },
  };
}

const MEMORY = {
  description: 'Keep and consult memories as files under /memories, across conversations. `view` shows a file or lists a directory (`view_range` optional); `create` writes `file_text` to `path`; '
    + '`str_replace` replaces `old_str` with `new_str`; `insert` adds `insert_text` after line `insert_line`; `delete` removes `path`; `rename` moves `old_path` to `new_path`.',
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'string', enum: ['view', 'create', 'str_replace', 'insert', 'delete', 'rename'] },
      path: str('The file or directory, under /memories.'),
      view_range: { type: 'array', items: { type: 'integer' } },
      file_text: str('create: the content.'),
      old_str: str('str_replace: the text to replace.'),
      new_str: str('str_replace: the new text.'),
      insert_line: { type: 'integer', description: 'insert: the line after which to insert.' },
      insert_text: str('insert: the text to insert.'),
      old_path: str('rename: the current path.'),
      new_path: str('rename: the new path.'),
    },
    required: ['command'],
    additionalProperties: false,
  },
};

/**
 * A client tool of type `type` (at `p`) that Anthropic defines and the client runs, as a
 * function every provider takes, carrying the tool as declared for an Anthropic
 * provider (ToolDefinition.anthropic); null for any other type.
 */
export function anthropicDefinedTool(t: Record<string, unknown>, type: string, p: string): ToolDefinition | null {
  const m = /^(bash|text_editor|memory)_(\d{8})$/.exec(type);
  if (m === null) return null;
  const f = m[1] === 'bash' ? BASH : m[1] === 'memory' ? MEMORY : textEditor(m[2] < '20250429');
  const { cache_control: _, ...declared } = t;
  return { name: requireNonEmptyString(t.name, `${p}.name`), description: f.description, parameters: f.parameters, anthropic: declared };
}
