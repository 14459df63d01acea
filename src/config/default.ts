/**
 * The config used when no config file is found (e.g. `npm start` on a fresh clone):
 * one built-in mock provider, no authentication, audit to a local SQLite file.
 */
import { delimiter, resolve } from 'node:path';
import type { GatewayConfig } from '../types/gateway-config.js';

/**
 * The embedded default config. It has no rules, because the example rules in `rules/`
 * name providers the default lacks (they go with switchyard.example.yaml), unless
 * SWITCHYARD_RULES lists rule folders or files (separated like PATH, relative to `cwd`).
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
  return value.split(delimiter).filter(Boolean).map((p) => resolve(cwd, p));
}
