/**
 * The command-line argument parser shared by every command: `--x value`, `--x=value`,
 * boolean flags, `-h`/`--help` (always accepted), `--` to end flags, and positionals. Anything unknown is a
 * UsageError (exit code 2).
 */
import { closest } from '../config/suggest.js';

export interface FlagSpec {
  /** `boolean` flags take no value (`--json`); `--x=false` turns one off. */
  type: 'boolean' | 'string';
  description: string;
  /** Placeholder shown in help, e.g. `FILE`. */
  valueName?: string;
  /** May be given more than once; read with `strings()`. */
  multiple?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Bad command-line usage: reported with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagValue = string | boolean | string[];

/** The parsed command line of one command. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, FlagValue>>;
  /** A string flag's (last) value. */
  string(name: string): string | undefined;
  /** Every value of a string flag, in order. */
  strings(name: string): string[];
  boolean(name: string): boolean;
  /** A string flag read as a finite number; a UsageError if it is not one. */
  number(name: string): number | undefined;
}

/**
 * Parses `argv` (without the command name) against `spec`.
 *
 * @example parseArgs(['--config=sy.yaml', '--json'], { config: {type: 'string', ...}, json: {type: 'boolean', ...} })
 */
export function parseArgs(argv: readonly string[], spec: FlagSpecs): ParsedArgs {
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const flag = spec[name];
    if (flag === undefined) {
      const hint = closest(name, Object.keys(spec));
      throw new UsageError(`unknown option --${name}${hint === undefined ? '' : `; did you mean --${hint}?`}`);
    }
    if (flag.type === 'boolean') {
      if (inline === undefined || inline === 'true') flags[name] = true;
      else if (inline === 'false') flags[name] = false;
      else throw new UsageError(`--${name} takes no value (or =true/=false), got "${inline}"`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value${flag.valueName ? ` (${flag.valueName})` : ''}`);
      value = next;
      i++;
    }
    const prev = flags[name];
    if (flag.multiple) flags[name] = [...(Array.isArray(prev) ? prev : []), value];
    else if (prev !== undefined) throw new UsageError(`--${name} given more than once`);
    else flags[name] = value;
  }
  return argsOf(positionals, flags);
}

function argsOf(positionals: string[], flags: Record<string, FlagValue>): ParsedArgs {
  const string = (name: string): string | undefined => {
    const v = flags[name];
    return Array.isArray(v) ? v[v.length - 1] : typeof v === 'string' ? v : undefined;
  };
  return Object.freeze({
    positionals: Object.freeze(positionals),
    flags: Object.freeze(flags),
    string,
    strings: (name: string) => {
      const v = flags[name];
      return Array.isArray(v) ? [...v] : typeof v === 'string' ? [v] : [];
    },
    boolean: (name: string) => flags[name] === true,
    number: (name: string) => {
      const v = string(name);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
      return n;
    },
  });
}
