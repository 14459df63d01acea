/**
 * The config used when no config file is found (e.g. `npm start` on a fresh clone):
 * one built-in mock provider, no authentication, audit to a local SQLite file.
 */
import { delimiter, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfig } from '../types/gateway-config.js';

/** The repository's (or installed package's) example rules folder. */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../rules', import.meta.url));

/**
 * The embedded default config. It has no rules, because the example rules in `rules/`
 * name providers the default lacks — unless SWITCHYARD_RULES is set: `1`/`true` selects
 * the bundled `rules/` folder, anything else is a list of paths (separated like PATH,
 * relative to `cwd`).
 *
 * @example embeddedDefaultConfig({ SWITCHYARD_RULES: 'my-rules' }).rules // { paths: ['/abs/my-rules'] }
 */
export function embeddedDefaultConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): GatewayConfig {
  return {
    server: { port: 8080, allow_unauthenticated: true },
    providers: {
      mock: { type: 'mock', weight: 1, models: ['*'], options: { latency_ms: 0, models: ['mock-model'] } }, // any model name is served; GET /v1/models lists mock-model
    },
    rules: { paths: rulesFromEnv(env.SWITCHYARD_RULES, cwd) },
    audit: { sinks: [{ type: 'sqlite', path: 'data/audit.db' }] },
  };
}

function rulesFromEnv(value: string | undefined, cwd: string): string[] {
  if (value === undefined || value.trim() === '') return [];
  if (/^(1|true|yes)$/i.test(value.trim())) return [BUNDLED_RULES_DIR];
  return value.split(delimiter).filter(Boolean).map((p) => resolve(cwd, p));
}
