/**
 * What a reload may change in a running gateway. A reload re-reads the config file and
 * applies its governance part (customers, teams, virtual keys with their budgets, rate
 * limits, concurrency and allowlists; pricing; unknown_price; max_reservation_tokens)
 * with the rule files. Everything else was built into the running gateway at start
 * (upstream pools, the counter store and audit sinks, listeners, redactors) and takes a
 * restart: a config that changes any of it is refused as a whole, naming each part,
 * rather than half applied while the file says otherwise.
 */
import { canonicalJson } from '../config/hash.js';
import { issueAt, type Issue, type LoadedConfig } from '../config/index.js';
import type { GatewayConfig } from '../types/gateway-config.js';

/** Governance settings held by what start built: the counter store, and the key hashing secret the redactors know. */
const RESTART_GOVERNANCE = ['store', 'key_secret'] as const;

/** A reload's hint when the new config or rules need what only a restart applies. */
export const RESTART_HINT = 'a reload applies the rule files and the config\'s governance (customers, teams, virtual keys, their budgets, rate limits and allowlists, pricing): a change to providers, their models or keys, or any other part of the config takes a restart';

/**
 * The config paths whose change a reload cannot apply, as `providers.openai`,
 * `server`, `governance.store`: empty when `next` differs from `running` in
 * governance alone.
 * @example restartChanges(running, next) // ['providers.openai']
 */
export function restartChanges(running: Readonly<GatewayConfig>, next: Readonly<GatewayConfig>): string[] {
  const out: string[] = [];
  const differs = (a: unknown, b: unknown) => canonicalJson(a) !== canonicalJson(b);
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  for (const key of [...keys].sort()) {
    if (key === '$schema' || key === 'governance') continue;
    const a = (running as Record<string, unknown>)[key];
    const b = (next as Record<string, unknown>)[key];
    if (!differs(a, b)) continue;
    if (key === 'providers') {
      const ids = new Set([...Object.keys(running.providers ?? {}), ...Object.keys(next.providers ?? {})]);
      for (const id of [...ids].sort()) if (differs(running.providers?.[id], next.providers?.[id])) out.push(`providers.${id}`);
    } else out.push(key);
  }
  for (const key of RESTART_GOVERNANCE) {
    if (differs(running.governance?.[key], next.governance?.[key])) out.push(`governance.${key}`);
  }
  return out;
}

/** One issue per path of restartChanges, located in the new config file. */
export function restartIssues(next: LoadedConfig, paths: readonly string[]): Issue[] {
  return paths.map((path) => {
    const message = `${path} changed: a reload does not apply it (it takes a restart), so nothing of the new config was applied`;
    return next.source ? issueAt(next.source, path.split('.'), 'needs_restart', message, 'error', true) : { severity: 'error', code: 'needs_restart', message };
  });
}
