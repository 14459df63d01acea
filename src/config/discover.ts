/** Which config file to load: `--config`, then SWITCHYARD_CONFIG, then ./switchyard.{yaml,yml,json}. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CONFIG_FILE_NAMES = ['switchyard.yaml', 'switchyard.yml', 'switchyard.json'] as const;

/**
 * The absolute config path to load, or null for the embedded default. An explicit path
 * (flag or variable) is returned even if missing, so loading reports it.
 *
 * @example resolveConfigPath(args.string('config'), io.env, io.cwd)
 */
export function resolveConfigPath(cliPath?: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string | null {
  if (cliPath !== undefined && cliPath !== '') return resolve(cwd, cliPath);
  const fromEnv = env.SWITCHYARD_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv);
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = resolve(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
