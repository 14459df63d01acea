/** The loaded, validated, frozen gateway config and the values resolved from it. */
import type { ProxyPlan } from './proxy.js';
import type { GatewayConfig, ProviderConfig } from '../types/gateway-config.js';
import type { PathSegment, Severity, SourceDocument } from './source.js';

/** A provider key with its secret read from the environment. */
export interface ResolvedKey {
  name: string;
  /** The secret; empty when its variable is unset (allowed for disabled keys/providers, or with missingEnv: warning). Never log it. */
  value: string;
  /** Model allowlist (glob `*`); null: every model of the provider. */
  models: string[] | null;
  weight: number;
  enabled: boolean;
}

export interface ResolvedProvider {
  id: string;
  type: ProviderConfig['type'];
  enabled: boolean;
  weight: number;
  /** As configured; null means the type's official endpoint. */
  baseUrl: string | null;
  /** Extra upstream headers, `env.` values resolved. */
  headers: Record<string, string>;
  options: Record<string, unknown>;
  /** Model allowlist (glob `*`); null: any model a key allows. */
  models: string[] | null;
  keys: ResolvedKey[];
  config: ProviderConfig;
}

export interface LoadedConfig {
  /** Absolute path; null for the embedded default. */
  file: string | null;
  /** Base for relative paths (the config file's folder, or the working directory). */
  dir: string;
  /** Deep-frozen, schema defaults applied, `env.NAME` values resolved. */
  config: Readonly<GatewayConfig>;
  /** Every provider, enabled and disabled, by id. */
  providers: ReadonlyMap<string, ResolvedProvider>;
  /** Absolute rule files/folders (default: `<dir>/rules` when it exists). */
  rulePaths: string[];
  /** The parsed config file, to locate rule cross-reference problems in it; null for the embedded default. */
  source: SourceDocument | null;
  /** sha256 hex of the config text (canonical JSON for the embedded default). */
  hash: string;
  /** How providers are reached: `upstream.proxy` / `no_proxy`, or the environment's proxy variables. */
  proxy: ProxyPlan;
  /** The certificates of `upstream.ca_file` (PEM), trusted for provider TLS besides Node's roots; null without one. */
  extraCa: string | null;
}

export interface LoadOptions {
  /** Config file. Absent: discovered by resolveConfigPath; null: the embedded default. */
  path?: string | null;
  /** Where `env.NAME` values and SWITCHYARD_* settings come from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Base for a relative `path` and for discovery. Default: process.cwd(). */
  cwd?: string;
  /**
   * How an unset `env.NAME` of an enabled provider is reported. `warning` suits CI jobs
   * that check config and rules without the production secrets. Default: error.
   */
  missingEnv?: Severity;
}

export interface LoadResult {
  /** Null when any error was found. */
  config: LoadedConfig | null;
  /** Errors and warnings, in file order. */
  issues: import('./source.js').Issue[];
}

/** Reports a problem at a path of the config document. */
export type Report = (
  path: readonly PathSegment[],
  code: string,
  message: string,
  opts?: { severity?: Severity; onKey?: boolean },
) => void;
