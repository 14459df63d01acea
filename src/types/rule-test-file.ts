/* Generated from schema/rule-tests.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Fixtures for `switchyard test` (rules/*.test.yaml).
 */
export interface RuleTestFile {
  $schema?: string;
  tests: RuleTest[];
}
/**
 * This interface was referenced by `RuleTestFile`'s JSON-Schema
 * via the `definition` "RuleTest".
 */
export interface RuleTest {
  name: string;
  request: TestRequest;
  state?: TestState;
  expect: TestExpect;
}
/**
 * This interface was referenced by `RuleTestFile`'s JSON-Schema
 * via the `definition` "TestRequest".
 */
export interface TestRequest {
  model: string;
  endpoint?: 'chat' | 'embeddings' | 'messages' | 'count_tokens' | 'responses';
  stream?: boolean;
  headers?: {
    [k: string]: string;
  };
  /**
   * Virtual key id from the config; its team, customer and tier follow.
   */
  virtual_key?: string;
  team?: string;
  customer?: string;
  tier?: string;
  /**
   * max_tokens, temperature, tools, messages, input_tokens_estimate.
   */
  params?: {};
}
/**
 * This interface was referenced by `RuleTestFile`'s JSON-Schema
 * via the `definition` "TestState".
 */
export interface TestState {
  budget_used?: number;
  tokens_used?: number;
  requests_used?: number;
  now?: string;
  /**
   * The balancer's random draw in [0, 1).
   */
  draw?: number;
  /**
   * Providers or provider/key names that are cooled down.
   */
  cooldown?: string[];
}
/**
 * This interface was referenced by `RuleTestFile`'s JSON-Schema
 * via the `definition` "TestExpect".
 */
export interface TestExpect {
  rule?: string | null;
  via?: 'rule' | 'balance' | 'pinned' | 'none';
  provider?: string;
  model?: string;
  key?: string;
  fallbacks?: string[];
  /**
   * Ids of shadow rules that match.
   */
  shadow?: string[];
  /**
   * For via none: the refusal reason, e.g. model_not_allowed.
   */
  reason?: string;
  /**
   * Every target was cooling down, so the request goes to them anyway (dispatch.cooldown.panic).
   */
  panic?: boolean;
  /**
   * The gateway's answer after the decision: SY_ERR_MODEL_NOT_ALLOWED (403) when the caller's allowed_models or allowed_providers refuse the selected target, null when they allow it.
   */
  refused?: 'SY_ERR_MODEL_NOT_ALLOWED' | null;
}
