/**
 * `switchyard <command> [options]`: a small dispatcher over the static command list.
 * Exit codes: 0 ok, 1 a check failed, 2 bad usage or invalid input.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closest } from '../config/suggest.js';
import { parseArgs, UsageError } from './args.js';
import { commandHelp, EXIT, type Command, type CommandIO } from './command.js';
import { commands, ORDER, planned } from './commands/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function globalHelp(): string {
  const entries = [...commands.map((c) => ({ name: c.name, summary: c.summary })), ...planned.filter((p) => !commands.some((c) => c.name === p.name))]
    .sort((a, b) => rank(a.name) - rank(b.name));
  const width = Math.max(...entries.map((e) => e.name.length));
  return `Usage: switchyard <command> [options]

Switchyard: an LLM gateway with policy routing.

Commands:
${entries.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`).join('\n')}

Run 'switchyard <command> --help' for a command's options.
Exit codes: 0 ok, 1 a check failed, 2 bad usage or invalid input.
`;
}

function rank(name: string): number {
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
}

/**
 * Runs one command line (without `node` and the script) and returns its exit code.
 *
 * @example process.exitCode = await main(process.argv.slice(2), processIO())
 */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(globalHelp());
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.stdout.write(globalHelp());
    return EXIT.OK;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  if (first === 'help') {
    if (rest[0] === undefined) {
      io.stdout.write(globalHelp());
      return EXIT.OK;
    }
    return main([rest[0], '--help'], io);
  }
  const cmd = commands.find((c) => c.name === first);
  if (cmd === undefined) return unknownCommand(first, io);
  return runCommand(cmd, rest, io);
}

async function runCommand(cmd: Command, argv: readonly string[], io: CommandIO): Promise<number> {
  try {
    const args = parseArgs(argv, cmd.flags);
    if (args.boolean('help')) {
      io.stdout.write(commandHelp(cmd));
      return EXIT.OK;
    }
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`switchyard ${cmd.name}: ${e.message}\nRun 'switchyard ${cmd.name} --help' for usage.\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
}

function unknownCommand(name: string, io: CommandIO): number {
  if (planned.some((p) => p.name === name)) {
    io.stderr.write(`switchyard ${name}: this command is not available in this build yet.\n`);
    return EXIT.USAGE;
  }
  if (name.startsWith('-')) {
    io.stderr.write(`switchyard: unknown option ${name}; options go after the command.\nRun 'switchyard --help' for the commands.\n`);
    return EXIT.USAGE;
  }
  const hint = closest(name, [...commands.map((c) => c.name), ...planned.map((p) => p.name)]);
  io.stderr.write(`switchyard: unknown command "${name}"${hint === undefined ? '' : `; did you mean "${hint}"?`}\nRun 'switchyard --help' for the commands.\n`);
  return EXIT.USAGE;
}

/** The real process's streams, environment and working directory. */
export function processIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Entry point for bin/switchyard.js and `node src/cli/main.ts`. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // A reader that goes away (`switchyard explain ... | head`) leaves the rest of the output
  // unread; the command still finishes and exits with its own code, as a check in a pipe
  // must, instead of dying on the unhandled write error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  try {
    process.exitCode = await main(argv, processIO());
  } catch (e) {
    process.stderr.write(`switchyard: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT.FAILED;
  }
}

function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) await runCli();
