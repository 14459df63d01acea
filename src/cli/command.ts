/** The shape of a CLI command, and its generated help text. */
import type { FlagSpecs, ParsedArgs } from './args.js';

/** Where a command reads and writes; injected so tests run commands in-process. */
export interface CommandIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Base for relative paths given on the command line. */
  cwd: string;
}

/** Exit codes (DESIGN.md): 0 ok, 1 a check failed, 2 bad usage or invalid input. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export interface Command {
  name: string;
  /** One line, shown in `switchyard --help`. */
  summary: string;
  /** Synopsis and explanation, shown above the options in `switchyard <name> --help`. */
  usage: string;
  /** Flags this command accepts (besides --help). */
  flags: FlagSpecs;
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

/** Flags most commands share. */
export const CONFIG_FLAG = {
  config: { type: 'string', valueName: 'FILE', description: 'Gateway config (default: $SWITCHYARD_CONFIG, then ./switchyard.yaml|.yml|.json, else the embedded default)' },
} as const satisfies FlagSpecs;
export const JSON_FLAG = {
  json: { type: 'boolean', description: 'Print machine-readable JSON on stdout' },
} as const satisfies FlagSpecs;

export function commandHelp(cmd: Command): string {
  const rows = Object.entries(cmd.flags).map(([name, f]) => [`--${name}${f.type === 'string' ? ` ${f.valueName ?? 'VALUE'}` : ''}`, f.description + (f.multiple ? ' (repeatable)' : '')]);
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return `${cmd.usage.trimEnd()}\n\nOptions:\n${rows.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`).join('\n')}\n`;
}
