/* Generated from schema/rules.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * `provider/model`; append `#key-name` to pin a key.
 *
 * This interface was referenced by `RuleFile`'s JSON-Schema
 * via the `definition` "TargetRef".
 */
export type TargetRef = string;
/**
 * This interface was referenced by `RuleFile`'s JSON-Schema
 * via the `definition` "Scope".
 */
export type Scope =
  | 'global'
  | {
      customer: string;
    }
  | {
      team: string;
    }
  | {
      virtual_key: string;
    };

/**
 * A Switchyard rule file (rules/*.yaml).
 */
export interface RuleFile {
  $schema?: string;
  rules: Rule[];
}
/**
 * A routing rule. Exactly one of `route` and `targets` is required (checked by the compiler, with a location).
 *
 * This interface was referenced by `RuleFile`'s JSON-Schema
 * via the `definition` "Rule".
 */
export interface Rule {
  id: string;
  description?: string;
  /**
   * CEL expression over the declared variables; must type-check to bool.
   */
  when: string;
  route?: TargetRef;
  /**
   * @minItems 1
   */
  targets?: [Target, ...Target[]];
  fallbacks?: TargetRef[];
  /**
   * Failure classes that move to the next fallback. A target passed over without a call (cooldown, budget_exceeded, rate_limit_exceeded, unsupported_request) moves on whether listed or not.
   */
  fallback_on?: (
    | 'rate_limited'
    | 'server_error'
    | 'timeout'
    | 'connection_error'
    | 'stream_error'
    | 'auth_error'
    | 'overloaded'
    | 'cooldown'
    | 'budget_exceeded'
    | 'rate_limit_exceeded'
    | 'model_not_allowed'
    | 'unsupported_request'
  )[];
  scope?: Scope;
  /**
   * Lower runs first.
   */
  priority?: number;
  mode?: 'enforce' | 'shadow';
  enabled?: boolean;
}
/**
 * This interface was referenced by `RuleFile`'s JSON-Schema
 * via the `definition` "Target".
 */
export interface Target {
  provider: string;
  model: string;
  /**
   * Pin one of the provider's keys by name.
   */
  key?: string;
  weight?: number;
}
