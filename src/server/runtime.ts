/**
 * Everything a running gateway holds, assembled once from a loaded config: the router,
 * governance with its counter store, the dispatcher with its upstream pools, the audit
 * log and the metrics. The server's routes only read from it.
 */
import pino, { type Logger } from 'pino';
import type { LoadedConfig, LoadResult } from '../config/index.js';
import { compileRuleBundle, createRouter, type Router } from '../rules/index.js';
import { createGovernance, createCounterStore, type Governance } from '../governance/index.js';
import { compileForwardHeaders, createDispatcher, type Dispatcher } from '../dispatch/index.js';
import { createAuditLog, type AuditLog } from '../audit/log.js';
import { configSecrets } from '../audit/secrets.js';
import { secretRedactor } from '../audit/mask.js';
import { registerAuditMetrics } from '../audit/metrics.js';
import { registerGovernanceMetrics } from '../governance/metrics.js';
import { formatIssue, type Issue } from '../config/source.js';
import { describeProxyPlan, proxySecrets } from '../config/proxy.js';
import { SwitchyardError } from '../errors.js';
import { createMetrics, type Metrics } from './metrics.js';
import { Conversations } from './conversations.js';
import { MemoryResponseItems, RedisResponseItems, type ResponseItems } from './response-items.js';
import { durationMs, parseDuration } from '../governance/periods.js';
import { GovernanceConfigError } from '../governance/config-check.js';
import { RESTART_HINT, restartChanges, restartIssues } from './reload.js';

import { Work } from './work.js';

export interface RuntimeOptions {
  logger?: Logger;
  /** Epoch milliseconds; default Date.now. */
  clock?: () => number;
  /** Uniform [0, 1) for the balancer; default Math.random. */
  rng?: () => number;
  /** Register Node's default process metrics (off in tests that build many runtimes). */
  defaultMetrics?: boolean;
  /**
   * Reads the config again for reload(), as it was read at start (same file, same
   * environment): its governance is applied with the rules. Without it a reload reads
   * the rule files only.
   */
  reloadConfig?: () => LoadResult;
}

/** What reload() did: `ok` when the new rules (and config) run now, else every issue found. */
export interface ReloadResult {
  ok: boolean;
  issues: Issue[];
  /** Why a restart is needed, when the refusal is a config matter. */
  hint?: string;
}

export interface Runtime {
  /** Replaced by reload(), with the router and governance's principals, in one step. */
  loaded: LoadedConfig;
  /** Replaced atomically by reload(). A request reads it once, at its start. */
  router: Router;
  readonly governance: Governance;
  readonly dispatcher: Dispatcher;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** Responses API output items kept for item references; null when server.response_items is off. */
  readonly responseItems: ResponseItems | null;
  /** Conversations (`/v1/conversations`), kept with the answers; null when server.response_items is off. */
  readonly conversations: Conversations | null;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Client headers that may go upstream (compiled once from upstream.forward_headers). */
  readonly forwardHeaders: readonly string[];
  /** False once shutdown begins: /readyz answers 503 (requests are still served until `closing`). */
  ready: boolean;
  /** True once the gateway stops accepting (after server.drain_delay_ms): new work is refused. */
  closing: boolean;
  /** Requests being served, settled or audited: shutdown waits for them before close(). */
  readonly work: Work;
  /**
   * Re-reads the config (with `reloadConfig`) and recompiles the rule files; applies the
   * config's governance and the rules together, or nothing when any error is found or
   * the config changed anything else (see reload.ts).
   */
  reload(): ReloadResult;
  close(): Promise<void>;
}

/** Every secret the config holds: the audit log redacts them wherever they might appear. */
function secretsOf(loaded: LoadedConfig): string[] {
  const out = new Set(configSecrets(loaded.config));
  for (const p of loaded.providers.values()) for (const k of p.keys) if (k.value) out.add(k.value);
  for (const s of proxySecrets(loaded.proxy)) out.add(s);
  return [...out];
}

/** Rule errors about providers, models or keys the running config does not have: only a restart adds them. */
const PROVIDER_REFERENCES = new Set(['unknown_provider', 'unknown_model', 'unknown_key', 'disabled_provider', 'disabled_key']);

/**
 * Replaces the config's secrets in any text, as they appear raw or inside a JSON string
 * (a log line is JSON). Identity when the config holds none.
 */
export function textRedactor(loaded: LoadedConfig): (text: string) => string {
  const secrets = secretsOf(loaded);
  const redactor = secretRedactor([...secrets, ...secrets.map((s) => JSON.stringify(s).slice(1, -1))]);
  return redactor === undefined ? (text) => text : (text) => redactor(text) as string;
}

/**
 * The gateway's logger at `logging.level`. Each line is written with the config's secrets
 * redacted: a provider may quote the key it was sent in an error message (as some
 * OpenAI-compatible servers do), and such a message is logged where a request fails.
 * @example createLogger(loaded).info('ready')
 */
export function createLogger(loaded: LoadedConfig, destination?: pino.DestinationStream): Logger {
  const redact = textRedactor(loaded);
  const options: pino.LoggerOptions = {
    level: loaded.config.logging?.level ?? 'info',
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-switchyard-key"]', 'req.headers["x-switchyard-admin-token"]'], censor: '[redacted]' },
    hooks: { streamWrite: redact },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export function createRuntime(loaded: LoadedConfig, opts: RuntimeOptions = {}): Runtime {
  const cfg = loaded.config;
  const logger = opts.logger ?? createLogger(loaded);
  // What a provider says back (an error quoting the key it was sent) passes through it.
  const redact = textRedactor(loaded);
  const clock = opts.clock ?? Date.now;
  const compiled = compileRuleBundle(loaded);
  if (!compiled.bundle) {
    const errors = compiled.issues.filter((i) => i.severity === 'error');
    throw new SwitchyardError('SY_ERR_INTERNAL', `rules do not compile:\n${errors.map(formatIssue).join('\n')}`);
  }
  for (const w of compiled.issues) logger.warn({ issue: w.code }, formatIssue(w));

  const store = createCounterStore(cfg.governance?.store ?? {}, { logger });
  const governance = createGovernance(cfg, { store, clock, logger });
  const dispatcher = createDispatcher({ config: { dispatch: cfg.dispatch, upstream: cfg.upstream, providers: loaded.providers, proxy: loaded.proxy, extraCa: loaded.extraCa }, redact });
  const egress = describeProxyPlan(loaded.proxy);
  if (egress) logger.info({ proxy: egress }, `providers are reached through ${egress.https_proxy === egress.http_proxy ? egress.https_proxy : `${egress.https_proxy} (https) and ${egress.http_proxy} (http)`}, except ${(egress.no_proxy as string[]).join(', ')}`);
  const audit = createAuditLog(cfg.audit, { logger, secrets: secretsOf(loaded), baseDir: loaded.dir, clock: () => new Date(clock()) });
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
  registerAuditMetrics(audit, metrics.registry);
  registerGovernanceMetrics(governance.metrics, metrics.registry);
  const rng = opts.rng;
  // The mock's failure injection is driven by request headers; forward them when a mock is configured.
  const hasMock = [...loaded.providers.values()].some((p) => p.type === 'mock' && p.enabled);
  const forwardHeaders = compileForwardHeaders([...(cfg.upstream?.forward_headers ?? ['anthropic-beta']), ...(hasMock ? ['x-mock-fail', 'x-mock-fail-after-chunks', 'x-mock-retry-after'] : [])]);

  const itemsCfg = cfg.server?.response_items;
  const itemsTtl = durationMs(parseDuration(itemsCfg?.ttl ?? '24h'));
  const itemsMaxBytes = itemsCfg?.max_bytes ?? 64 * 1024 * 1024;
  const storeCfg = cfg.governance?.store;
  const responseItems = itemsCfg?.enabled === false ? null
    : storeCfg?.type === 'redis' ? new RedisResponseItems(storeCfg.url || 'redis://127.0.0.1:6379', storeCfg.prefix ?? 'sy:', itemsTtl, logger, itemsMaxBytes)
      : new MemoryResponseItems(itemsMaxBytes, itemsTtl);

  const runtime: Runtime = {
    loaded,
    router: createRouter(compiled.bundle, { rng }),
    governance,
    dispatcher,
    audit,
    metrics,
    responseItems,
    conversations: responseItems === null ? null : new Conversations(responseItems, clock),
    logger,
    clock,
    forwardHeaders,
    ready: true,
    closing: false,
    work: new Work(),
    reload() {
      const failed = (r: ReloadResult): ReloadResult => {
        metrics.ruleReloads.inc({ result: 'failed' });
        metrics.ruleReloadOk.set(0);
        return r;
      };
      let config = runtime.loaded;
      let configIssues: Issue[] = [];
      if (opts.reloadConfig) {
        const read = opts.reloadConfig();
        if (!read.config) return failed({ ok: false, issues: read.issues });
        const changed = restartChanges(runtime.loaded.config, read.config.config);
        if (changed.length > 0) return failed({ ok: false, issues: restartIssues(read.config, changed), hint: RESTART_HINT });
        // Nothing the dispatcher was built from changed: keep what it holds (resolved
        // providers, proxy, CA certificates read at start).
        config = { ...read.config, providers: runtime.loaded.providers, proxy: runtime.loaded.proxy, extraCa: runtime.loaded.extraCa };
        configIssues = read.issues;
      }
      const next = compileRuleBundle(config);
      if (!next.bundle) {
        // Rules naming what only a restart would add. A principal (unknown_scope) is added
        // by the config's governance, which a reload reads when it reads the config.
        const needsConfig = next.issues.some((i) => i.severity === 'error' && (PROVIDER_REFERENCES.has(i.code) || (i.code === 'unknown_scope' && !opts.reloadConfig)));
        return failed(needsConfig ? { ok: false, issues: next.issues, hint: RESTART_HINT } : { ok: false, issues: next.issues });
      }
      const router = createRouter(next.bundle, { rng });
      if (config !== runtime.loaded) {
        try {
          governance.reconfigure(config.config);
        } catch (e) {
          // The loader runs the same checks: only a gap between the two lands here.
          if (!(e instanceof GovernanceConfigError)) throw e;
          return failed({ ok: false, issues: e.issues.map((i) => ({ severity: 'error', code: i.code, message: `${i.path.join('.')}: ${i.message}` })) });
        }
      }
      // In one turn of the event loop: a request sees the old principals, prices and
      // rules or the new ones. One already under way keeps the principal, router and
      // prices it started with, and settles under them.
      runtime.router = router;
      runtime.loaded = config;
      metrics.ruleReloads.inc({ result: 'ok' });
      metrics.ruleReloadOk.set(1);
      logger.info({ revision: next.bundle.revision }, opts.reloadConfig ? 'config and rules reloaded' : 'rules reloaded');
      return { ok: true, issues: [...configIssues, ...next.issues] };
    },
    async close() {
      runtime.ready = false;
      runtime.closing = true;
      await Promise.allSettled([dispatcher.close(), governance.close(), responseItems?.close()]);
      await audit.close();
    },
  };
  return runtime;
}
