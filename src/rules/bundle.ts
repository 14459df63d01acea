/**
 * The compiled rule bundle: every rule with its parsed `when`, its static facts and its
 * resolved targets, in evaluation order, plus what the router needs from config.
 * Immutable; a reload builds a new bundle and a new router.
 */
import type { ResolvedProvider } from '../config/types.js';
import type { FallbackReason } from '../errors.js';
import type { Revision, TargetRecord } from '../types/audit-event.js';
import type { Location } from '../config/source.js';
import type { ProviderOption } from '../balance/candidates.js';
import type { ExprFacts } from './analysis.js';
import type { Directory } from './principals.js';
import type { Guard } from './guard.js';

export type ScopeKind = 'global' | 'customer' | 'team' | 'virtual_key';

export interface RuleScope {
  kind: ScopeKind;
  /** Null for global. */
  id: string | null;
  /** `global`, `customer:ID`, `team:ID`, `virtual_key:ID` (as in the audit event). */
  label: string;
  /** virtual_key 3 > team 2 > customer 1 > global 0. */
  specificity: number;
}

export interface CompiledRule {
  id: string;
  description: string | null;
  /** Rule file (as given to the compiler) and the location of the rule's `id`. */
  file: string;
  location: Location;
  /** Position in its file. */
  index: number;
  /** Position in evaluation order across the bundle (priority, specificity, file, position). */
  rank: number;
  priority: number;
  scope: RuleScope;
  mode: 'enforce' | 'shadow';
  enabled: boolean;
  when: string;
  /** The compiled CEL program; returns the value of `when` or throws an evaluation error. */
  evaluate: (activation: Record<string, unknown>) => unknown;
  facts: ExprFacts;
  /** Plain-JS pre-check from the equality conjuncts; false proves `when` false. Null: none. */
  guard: Guard | null;
  /** Reads a header/param key named like an Object.prototype member, or whole maps (see toActivation). */
  safeMaps: boolean;
  /** Weighted primary targets (one for `route`). */
  targets: readonly ProviderOption[];
  fallbacks: readonly TargetRecord[];
  fallbackOn: readonly FallbackReason[];
}

export interface RouterSettings {
  shapeCacheSize: number;
  decisionCacheSize: number;
  defaultFallbackOn: readonly FallbackReason[];
  /** dispatch.cooldown.panic: a request whose every target is cooling down goes to them anyway. */
  panic: boolean;
}

export interface RuleBundle {
  /** Every rule (disabled ones too), sorted by rank. */
  readonly rules: readonly CompiledRule[];
  /** Rule files read, in source order. */
  readonly files: readonly string[];
  readonly revision: Revision;
  /** Enabled and disabled providers, by id, in config order. */
  readonly providers: ReadonlyMap<string, ResolvedProvider>;
  /** Model aliases: requested name → `provider/model` or another model name. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly principals: Directory;
  readonly settings: RouterSettings;
}

/** Fallback classes when neither the rule nor `routing.default_fallback_on` names any. */
export const DEFAULT_FALLBACK_ON: readonly FallbackReason[] = Object.freeze(['rate_limited', 'server_error', 'timeout', 'connection_error', 'stream_error', 'overloaded']);
