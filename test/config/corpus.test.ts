/**
 * Broken configs and the exact issues they produce: `file:line:col`, message and caret.
 * Each case reports every problem at once, in file order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { rendered, tempTree, text } from './helpers.js';

interface Case {
  name: string;
  file?: string;
  config: string;
  env?: Record<string, string>;
  /** Extra files beside the config. */
  files?: Record<string, string>;
  expected: string;
}

const HASH_A = `sha256:${'a'.repeat(64)}`;
const HASH_B = `sha256:${'b'.repeat(64)}`;

const cases: Case[] = [
  {
    name: 'schema violations, with did-you-mean for misspelled properties and values',
    config: `
      providers:
        openai:
          type: opanai
          wieght: 2
          keys:
            - {name: main, value: env.OPENAI_API_KEY, weight: -1}
        OpenAI:
          type: mock
      server:
        port: "8080"
        hots: 0.0.0.0
      governance:
        customers:
          - id: acme
            budgets: [{limit_usd: 10, period: 1 month}]
        virtual_keys:
          - {id: vk-1, key_hash: "sha256:abc", tire: gold}
    `,
    env: { OPENAI_API_KEY: 'sk-x' },
    expected: `
      switchyard.yaml:3:11: error[schema]: providers.openai.type must be one of: openai, azure, anthropic, gemini, openai-compatible, mock (got "opanai"); did you mean "openai"?
        3 |     type: opanai
          |           ^
      switchyard.yaml:4:5: error[schema]: unknown property "wieght" in providers.openai; did you mean "weight"?
        4 |     wieght: 2
          |     ^
      switchyard.yaml:6:57: error[schema]: providers.openai.keys[0].weight must be >= 0, got -1 (0 means it serves only when a rule or a pinned provider/model names it)
        6 |       - {name: main, value: env.OPENAI_API_KEY, weight: -1}
          |                                                         ^
      switchyard.yaml:7:3: error[schema]: provider id "OpenAI" is invalid: use lowercase letters, digits, "-" and "_", starting with a letter or digit
        7 |   OpenAI:
          |   ^
      switchyard.yaml:10:9: error[schema]: server.port must be a whole number, not a string
        10 |   port: "8080"
           |         ^
      switchyard.yaml:11:3: error[schema]: unknown property "hots" in server; did you mean "host"?
        11 |   hots: 0.0.0.0
           |   ^
      switchyard.yaml:15:41: error[schema]: governance.customers[0].budgets[0].period is not a duration: write a whole number and a unit, e.g. 500ms, 30s, 1m, 1h, 1d, 1w, 1M
        15 |       budgets: [{limit_usd: 10, period: 1 month}]
           |                                         ^
      switchyard.yaml:17:28: error[schema]: governance.virtual_keys[0].key_hash must be "sha256:" or "hmac-sha256:" followed by 64 lowercase hex digits
        17 |     - {id: vk-1, key_hash: "sha256:abc", tire: gold}
           |                            ^
      switchyard.yaml:17:42: error[schema]: unknown property "tire" in governance.virtual_keys[0]; did you mean "tier"?
        17 |     - {id: vk-1, key_hash: "sha256:abc", tire: gold}
           |                                          ^
    `,
  },
  {
    name: 'network settings: a CORS origin with a path, a proxy that is not http (its value masked: it may hold a password), a CA file that is not there',
    config: `
      providers:
        local: {type: mock}
      server:
        cors_origins: ["https://app.example.com/", "*"]
      upstream:
        proxy: socks5://proxy.internal:1080
        ca_file: certs/missing.pem
    `,
    expected: `
      switchyard.yaml:4:18: error[schema]: server.cors_origins[0] must be a browser origin, scheme and host with no path, e.g. https://app.example.com or http://localhost:5173, or "*"
        4 |   cors_origins: ["https://app.example.com/", "*"]
          |                  ^
      switchyard.yaml:6:10: error[invalid_proxy]: upstream.proxy uses socks5; only http:// and https:// proxies are supported
        6 |   proxy: ****************************
          |          ^
      switchyard.yaml:7:12: error[invalid_ca_file]: upstream.ca_file certs/missing.pem cannot be read (ENOENT)
        7 |   ca_file: certs/missing.pem
          |            ^
    `,
  },
  {
    name: 'a listen backlog that is not a positive whole number',
    config: `
      providers:
        local: {type: mock}
      server:
        backlog: 0
    `,
    expected: `
      switchyard.yaml:4:12: error[schema]: server.backlog must be >= 1, got 0
        4 |   backlog: 0
          |            ^
    `,
  },
  {
    name: 'a listen backlog given as text',
    config: `
      providers:
        local: {type: mock}
      server:
        backlog: lots
    `,
    expected: `
      switchyard.yaml:4:12: error[schema]: server.backlog must be a whole number, not a string
        4 |   backlog: lots
          |            ^
    `,
  },
  {
    name: 'an unknown property with no near miss lists the allowed ones',
    config: `
      providers:
        local: {type: mock}
      dispatch:
        backoff: {jitter: full}
    `,
    expected: `
      switchyard.yaml:4:13: error[schema]: unknown property "jitter" in dispatch.backoff (expected one of: base_ms, cap_ms)
        4 |   backoff: {jitter: full}
          |             ^
    `,
  },
  {
    name: 'governance references and duplicate ids',
    config: `
      providers:
        local: {type: mock}
      governance:
        customers: [{id: acme}, {id: globex}, {id: acme}]
        teams:
          - {id: ml-research, customer: acmee}
          - {id: support, customer: globex}
          - {id: support}
        virtual_keys:
          - {id: vk-app, key_hash: "${HASH_A}", team: ml-reserch}
          - {id: vk-support, key_hash: "${HASH_B}", team: support, customer: acme}
          - {id: vk-app, key_hash: "${HASH_A}", customer: initech}
    `,
    expected: `
      switchyard.yaml:4:46: error[duplicate_id]: duplicate customer id "acme" (also at governance.customers[0])
        4 |   customers: [{id: acme}, {id: globex}, {id: acme}]
          |                                              ^
      switchyard.yaml:6:35: error[unknown_reference]: team "ml-research" names customer "acmee", which is not in governance.customers; did you mean "acme"?
        6 |     - {id: ml-research, customer: acmee}
          |                                   ^
      switchyard.yaml:8:12: error[duplicate_id]: duplicate team id "support" (also at governance.teams[1])
        8 |     - {id: support}
          |            ^
      switchyard.yaml:10:111: error[unknown_reference]: virtual key "vk-app" names team "ml-reserch", which is not in governance.teams; did you mean "ml-research"?
        10 |     - {id: vk-app, key_hash: "${HASH_A}", team: ml-reserch}
           |                                                                                                               ^
      switchyard.yaml:11:134: error[inconsistent_reference]: virtual key "vk-support" names customer "acme", but its team "support" belongs to customer "globex"
        11 |     - {id: vk-support, key_hash: "${HASH_B}", team: support, customer: acme}
           |                                                                                                                                      ^
      switchyard.yaml:12:12: error[duplicate_id]: duplicate virtual key id "vk-app" (also at governance.virtual_keys[0])
        12 |     - {id: vk-app, key_hash: "${HASH_A}", customer: initech}
           |            ^
      switchyard.yaml:12:30: error[duplicate_id]: duplicate key_hash (also at governance.virtual_keys[0])
        12 |     - {id: vk-app, key_hash: "${HASH_A}", customer: initech}
           |                              ^
      switchyard.yaml:12:115: error[unknown_reference]: virtual key "vk-app" names customer "initech", which is not in governance.customers
        12 |     - {id: vk-app, key_hash: "${HASH_A}", customer: initech}
           |                                                                                                                   ^
    `,
  },
  {
    name: 'provider settings, keys, aliases and rule paths',
    config: `
      providers:
        azure:
          type: azure
          keys: [{name: az, value: env.AZ_KEY}]
        groq:
          type: openai-compatible
          options: {auth: none}
        openai:
          type: openai
          keys:
            - {name: k1, value: env.OPENAI_API_KEY, enabled: false}
            - {name: k1, value: env.OPENAI_API_KEY_2, enabled: false}
        anthropic:
          type: anthropic
          models: ["claude-*"]
      aliases:
        fast: grok/llama-3.3-70b-versatile
        smart: anthropic/claude-sonnet-4
        cheap: gpt-4o-mini
      rules:
        paths: [rules/, policies/]
    `,
    env: { AZ_KEY: 'az-secret-value' },
    files: { 'rules/a.yaml': 'rules: []\n' },
    expected: `
      switchyard.yaml:2:3: error[provider_setting]: provider "azure" (type azure) needs base_url, e.g. https://<resource>.openai.azure.com
        2 |   azure:
          |   ^
      switchyard.yaml:2:3: error[provider_setting]: provider "azure" (type azure) needs options.api_version, e.g. 2024-10-21 or v1 (the v1 API)
        2 |   azure:
          |   ^
      switchyard.yaml:5:3: error[provider_setting]: provider "groq" (type openai-compatible) needs base_url, e.g. https://api.groq.com/openai/v1
        5 |   groq:
          |   ^
      switchyard.yaml:10:5: error[no_usable_key]: provider "openai" has no enabled key with a value; add one, e.g. keys: [{name: openai-main, value: env.OPENAI_API_KEY}]
        10 |     keys:
           |     ^
      switchyard.yaml:12:16: error[duplicate_id]: duplicate key name "k1" (also at providers.openai.keys[0])
        12 |       - {name: k1, value: env.OPENAI_API_KEY_2, enabled: false}
           |                ^
      switchyard.yaml:13:3: error[no_usable_key]: provider "anthropic" has no enabled key with a value; add one, e.g. keys: [{name: anthropic-main, value: env.ANTHROPIC_API_KEY}]
        13 |   anthropic:
           |   ^
      switchyard.yaml:17:9: error[unknown_alias_target]: alias "fast" points to "grok/llama-3.3-70b-versatile", but there is no provider "grok"; did you mean "groq"?
        17 |   fast: grok/llama-3.3-70b-versatile
           |         ^
      switchyard.yaml:21:19: error[rules_path_missing]: rules path "policies/" does not exist (looked for policies)
        21 |   paths: [rules/, policies/]
           |                   ^
    `,
  },
  {
    name: 'an alias to a model nothing allows',
    config: `
      providers:
        anthropic:
          type: anthropic
          models: ["claude-*"]
          keys: [{name: main, value: literal-key-123}]
      aliases:
        smart: claude-sonnet-4
        cheap: gpt-4o-mini
    `,
    expected: `
      switchyard.yaml:8:10: error[unknown_alias_target]: alias "cheap" points to "gpt-4o-mini", but no provider allows a model "gpt-4o-mini"
        8 |   cheap: gpt-4o-mini
          |          ^
    `,
  },
  {
    name: 'env references: invalid, unset and empty variables; disabled providers and keys may leave theirs unset',
    config: `
      server:
        admin_token: env.1TOKEN
      providers:
        local: {type: mock, headers: {x-api: env.HDR}}
        off:
          type: openai
          enabled: false
          keys: [{name: k, value: env.OFF_KEY}]
        on:
          type: openai
          keys:
            - {name: a, value: env.ON_KEY}
            - {name: b, value: env.OFF_KEY, enabled: false}
      audit:
        sinks: [{type: postgres, url: env.PG_URL}]
    `,
    env: { ON_KEY: '', HDR: 'header-value' },
    expected: `
      switchyard.yaml:2:16: error[env_ref]: server.admin_token: "env.1TOKEN" is not a valid reference; write env.NAME with letters, digits and _ (not starting with a digit)
        2 |   admin_token: env.1TOKEN
          |                ^
      switchyard.yaml:12:26: error[env_missing]: environment variable ON_KEY is empty; providers.on.keys[0].value needs it
        12 |       - {name: a, value: env.ON_KEY}
           |                          ^
      switchyard.yaml:15:33: error[env_missing]: environment variable PG_URL is not set; audit.sinks[0].url needs it
        15 |   sinks: [{type: postgres, url: env.PG_URL}]
           |                                 ^
    `,
  },
  {
    name: 'YAML syntax error',
    config: `
      providers:
        local:
          type: mock
         weight: 2
    `,
    expected: `
      switchyard.yaml:4:1: error[syntax]: All mapping items must start at the same column
        4 |    weight: 2
          | ^
    `,
  },
  {
    name: 'duplicate YAML keys',
    config: `
      providers:
        local: {type: mock}
        local: {type: mock, weight: 2}
    `,
    expected: `
      switchyard.yaml:3:3: error[syntax]: Map keys must be unique
        3 |   local: {type: mock, weight: 2}
          |   ^
    `,
  },
  {
    name: 'a .json config must be strict JSON',
    file: 'switchyard.json',
    config: `
      {
        "providers": {
          "local": {"type": "mock"},
        }
      }
    `,
    expected: `
      switchyard.json:4:3: error[syntax]: invalid JSON: Expected double-quoted property name
        4 |   }
          |   ^
    `,
  },
  {
    name: 'schema problems in a .json config are located too',
    file: 'switchyard.json',
    config: `
      {
        "providers": {
          "local": {"type": "mock", "weigth": 1}
        }
      }
    `,
    expected: `
      switchyard.json:3:31: error[schema]: unknown property "weigth" in providers.local; did you mean "weight"?
        3 |     "local": {"type": "mock", "weigth": 1}
          |                               ^
    `,
  },
  {
    name: 'an empty file',
    config: '',
    expected: `
      switchyard.yaml:1:1: error[schema]: the config is empty
        1 | 
          | ^
    `,
  },
  {
    name: 'a list instead of a mapping',
    config: `
      - providers
    `,
    expected: `
      switchyard.yaml:1:1: error[schema]: the config must be a mapping, not a list
        1 | - providers
          | ^
    `,
  },
  {
    name: 'no providers',
    config: `
      server: {port: 8080}
      provider: {local: {type: mock}}
    `,
    expected: `
      switchyard.yaml:1:1: error[schema]: the config is missing the required property "providers"
        1 | server: {port: 8080}
          | ^
      switchyard.yaml:2:1: error[schema]: unknown property "provider" in the top level; did you mean "providers"?
        2 | provider: {local: {type: mock}}
          | ^
    `,
  },
  {
    name: 'an empty providers mapping',
    config: `
      providers: {}
    `,
    expected: `
      switchyard.yaml:1:12: error[no_providers]: no providers are configured; add at least one (type mock needs no key)
        1 | providers: {}
          |            ^
    `,
  },
  {
    name: 'options.drop_params: lists of body fields, never the request itself, on OpenAI-format and Anthropic providers only',
    config: `
      providers:
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options:
            drop_params:
              "gpt-5*": [temperature, model]
              "o*": temperature
        gm:
          type: gemini
          keys: [{name: k, value: sk-test}]
          options: {drop_params: [top_p]}
    `,
    expected: `
      switchyard.yaml:7:19: error[provider_setting]: provider "gpt": options.drop_params cannot drop "model"
        7 |         "gpt-5*": [temperature, model]
          |                   ^
      switchyard.yaml:8:15: error[provider_setting]: provider "gpt": options.drop_params entries must be lists of body field names
        8 |         "o*": temperature
          |               ^
      switchyard.yaml:12:28: error[provider_setting]: provider "gm": options.drop_params applies to openai, azure, openai-compatible and anthropic providers only
        12 |     options: {drop_params: [top_p]}
           |                            ^
    `,
  },
  {
    name: 'options.send_reasoning: true or false, on OpenAI-format providers only',
    config: `
      providers:
        ds:
          type: openai-compatible
          base_url: https://api.deepseek.com/v1
          keys: [{name: k, value: sk-test}]
          options: {send_reasoning: "yes"}
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {send_reasoning: true}
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {send_reasoning: true}
    `,
    expected: `
      switchyard.yaml:6:31: error[provider_setting]: provider "ds": options.send_reasoning must be true or false
        6 |     options: {send_reasoning: "yes"}
          |                               ^
      switchyard.yaml:10:31: error[provider_setting]: provider "an": options.send_reasoning applies to openai, azure and openai-compatible providers only
        10 |     options: {send_reasoning: true}
           |                               ^
    `,
  },
  {
    name: 'options.count_tokens: true or false, on openai and openai-compatible providers only',
    config: `
      providers:
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {count_tokens: "no"}
        az:
          type: azure
          base_url: https://r.openai.azure.com
          keys: [{name: k, value: sk-test}]
          options: {api_version: v1, count_tokens: true}
        oc:
          type: openai-compatible
          base_url: https://proxy.example.com/v1
          keys: [{name: k, value: sk-test}]
          options: {count_tokens: true}
    `,
    expected: `
      switchyard.yaml:5:29: error[provider_setting]: provider "gpt": options.count_tokens must be true or false
        5 |     options: {count_tokens: "no"}
          |                             ^
      switchyard.yaml:10:46: error[provider_setting]: provider "az": options.count_tokens applies to openai and openai-compatible providers only
        10 |     options: {api_version: v1, count_tokens: true}
           |                                              ^
    `,
  },
  {
    name: 'options.tool_loop: mistral, per model glob, on openai-compatible providers only',
    config: `
      providers:
        mi:
          type: openai-compatible
          base_url: https://api.mistral.ai/v1
          keys: [{name: k, value: sk-test}]
          options: {tool_loop: mistal}
        or:
          type: openai-compatible
          base_url: https://openrouter.ai/api/v1
          keys: [{name: k, value: sk-test}]
          options: {tool_loop: {"mistralai/*": mistral, "x/*": openai}}
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {tool_loop: mistral}
    `,
    expected: `
      switchyard.yaml:6:26: error[provider_setting]: provider "mi": options.tool_loop must be mistral, or a map from model globs to it, e.g. {"mistralai/*": mistral}
        6 |     options: {tool_loop: mistal}
          |                          ^
      switchyard.yaml:11:58: error[provider_setting]: provider "or": options.tool_loop values are mistral
        11 |     options: {tool_loop: {"mistralai/*": mistral, "x/*": openai}}
           |                                                          ^
      switchyard.yaml:15:15: error[provider_setting]: provider "gpt": options.tool_loop applies to openai-compatible providers only
        15 |     options: {tool_loop: mistral}
           |               ^
      `,
    },
    {
    name: 'options.max_embedding_inputs: a positive whole number, on providers with embeddings',
    config: `
      providers:
        oc:
          type: openai-compatible
          base_url: https://proxy.example.com/v1
          keys: [{name: k, value: sk-test}]
          options: {max_embedding_inputs: 0}
        gm:
          type: gemini
          keys: [{name: k, value: sk-test}]
          options: {max_embedding_inputs: 50}
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {max_embedding_inputs: 50}
    `,
    expected: `
      switchyard.yaml:6:37: error[provider_setting]: provider "oc": options.max_embedding_inputs must be a positive whole number of inputs per embeddings call
        6 |     options: {max_embedding_inputs: 0}
          |                                     ^
      switchyard.yaml:14:15: error[provider_setting]: provider "an": options.max_embedding_inputs applies to openai, azure, openai-compatible, gemini, mock providers only
        14 |     options: {max_embedding_inputs: 50}
           |               ^
    `,
  },
  {
    name: 'options.api: chat or responses, per model glob, on OpenAI-format providers; on Azure only with the v1 API',
    config: `
      providers:
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {api: {"*codex*": responses, "gpt-4o*": completions}}
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {api: responses}
        az:
          type: azure
          base_url: https://r.openai.azure.com
          keys: [{name: k, value: sk-test}]
          options: {api_version: 2024-10-21, api: responses}
        az1:
          type: azure
          base_url: https://r.openai.azure.com
          keys: [{name: k, value: sk-test}]
          options: {api_version: v1, api: {"*codex*": responses}}
        vllm:
          type: openai-compatible
          base_url: http://127.0.0.1:8000/v1
          options: {auth: none, api: 2}
    `,
    expected: `
      switchyard.yaml:5:54: error[provider_setting]: provider "gpt": options.api values are chat or responses
        5 |     options: {api: {"*codex*": responses, "gpt-4o*": completions}}
          |                                                      ^
      switchyard.yaml:9:20: error[provider_setting]: provider "an": options.api applies to openai, azure and openai-compatible providers only
        9 |     options: {api: responses}
          |                    ^
      switchyard.yaml:14:45: error[provider_setting]: provider "az" (type azure): the Responses API is reached through Azure's v1 API; set options.api_version: v1
        14 |     options: {api_version: 2024-10-21, api: responses}
           |                                             ^
      switchyard.yaml:23:32: error[provider_setting]: provider "vllm": options.api must be chat or responses, or a map from model globs to those, e.g. {"*codex*": responses}
        23 |     options: {auth: none, api: 2}
           |                                ^
    `,
  },
  {
    name: 'options.pass_params: a list of fields the gateway does not build, on OpenAI-format and Anthropic providers only',
    config: `
      providers:
        vllm:
          type: openai-compatible
          base_url: http://127.0.0.1:8000/v1
          options: {auth: none, pass_params: [chat_template_kwargs, messages]}
        gm:
          type: gemini
          keys: [{name: k, value: sk-test}]
          options: {pass_params: [top_k]}
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {pass_params: top_k}
    `,
    expected: `
      switchyard.yaml:5:63: error[provider_setting]: provider "vllm": options.pass_params cannot name "messages", which the gateway builds itself
        5 |     options: {auth: none, pass_params: [chat_template_kwargs, messages]}
          |                                                               ^
      switchyard.yaml:9:28: error[provider_setting]: provider "gm": options.pass_params applies to openai, azure, openai-compatible and anthropic providers only
        9 |     options: {pass_params: [top_k]}
          |                            ^
      switchyard.yaml:13:28: error[provider_setting]: provider "an": options.pass_params must be a list of body fields, e.g. [chat_template_kwargs, top_k]
        13 |     options: {pass_params: top_k}
           |                            ^
    `,
  },
  {
    name: 'options.max_output_tokens: a positive whole number, or a map from model globs to such',
    config: `
      providers:
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {max_output_tokens: {"gpt-4o*": 16384, "gpt-5*": 1.5}}
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {max_output_tokens: -1}
    `,
    expected: `
      switchyard.yaml:5:63: error[provider_setting]: provider "gpt": options.max_output_tokens values must be positive whole numbers of tokens
        5 |     options: {max_output_tokens: {"gpt-4o*": 16384, "gpt-5*": 1.5}}
          |                                                               ^
      switchyard.yaml:9:34: error[provider_setting]: provider "an": options.max_output_tokens must be a positive whole number of tokens, or a map from model globs to such, e.g. {"gpt-4o*": 16384}
        9 |     options: {max_output_tokens: -1}
          |                                  ^
    `,
  },
  {
    name: 'options.reasoning: a style the provider type takes, or a map from model globs to styles',
    config: `
      providers:
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {reasoning: {"claude-3-5*": none, "claude-*": level}}
        gm:
          type: gemini
          keys: [{name: k, value: sk-test}]
          options: {reasoning: effort}
        lo:
          type: mock
          options: {reasoning: effort}
        gpt:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {reasoning: {"gpt-5*": effort}}
    `,
    expected: `
      switchyard.yaml:5:60: error[provider_setting]: provider "an" (type anthropic): options.reasoning styles are budget, adaptive or none
        5 |     options: {reasoning: {"claude-3-5*": none, "claude-*": level}}
          |                                                            ^
      switchyard.yaml:9:26: error[provider_setting]: provider "gm" (type gemini): options.reasoning must be budget, level or none, or a map from model globs to those, e.g. {"gemini-3*": level, "gemini-2.5*": budget}
        9 |     options: {reasoning: effort}
          |                          ^
      switchyard.yaml:12:26: error[provider_setting]: provider "lo": options.reasoning applies to openai, azure, openai-compatible, anthropic and gemini providers only
        12 |     options: {reasoning: effort}
           |                          ^
    `,
  },
  {
    name: 'options the provider type does not read: misspelled, or another type\'s; auth takes header:<name>',
    config: `
      providers:
        oa:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {reasoning_sumary: auto, anthropic_version: "2023-06-01", max_output_tokens: 100}
        oc:
          type: openai-compatible
          base_url: http://127.0.0.1:1/v1
          keys: [{name: k, value: sk-test}]
          options: {auth: "header:api-key", stream_usage: false}
        bad:
          type: openai-compatible
          base_url: http://127.0.0.1:1/v1
          keys: [{name: k, value: sk-test}]
          options: {auth: basic}
    `,
    expected: `
      switchyard.yaml:5:15: error[provider_setting]: provider "oa" (type openai) has no option "reasoning_sumary"; did you mean "reasoning_summary"? Its options: api, count_tokens, drop_params, max_embedding_inputs, max_output_tokens, max_tokens_field, pass_params, reasoning, reasoning_summary, send_reasoning, stream_usage.
        5 |     options: {reasoning_sumary: auto, anthropic_version: "2023-06-01", max_output_tokens: 100}
          |               ^
      switchyard.yaml:5:39: error[provider_setting]: provider "oa": options.anthropic_version applies to anthropic providers only
        5 |     options: {reasoning_sumary: auto, anthropic_version: "2023-06-01", max_output_tokens: 100}
          |                                       ^
      switchyard.yaml:15:21: error[provider_setting]: provider "bad": options.auth must be "bearer", "none" or "header:<header name>"
        15 |     options: {auth: basic}
           |                     ^
    `,
  },
  {
    name: 'options.reasoning_summary: auto, concise or detailed, on OpenAI-format providers',
    config: `
      providers:
        oa:
          type: openai
          keys: [{name: k, value: sk-test}]
          options: {reasoning_summary: {"gpt-5*": auto, "o*": always}}
        oc:
          type: openai-compatible
          base_url: http://127.0.0.1:1/v1
          options: {auth: none, reasoning_summary: yes}
        an:
          type: anthropic
          keys: [{name: k, value: sk-test}]
          options: {reasoning_summary: auto}
        ok:
          type: azure
          base_url: https://x.openai.azure.com
          keys: [{name: k, value: sk-test}]
          options: {api_version: v1, reasoning_summary: detailed}
    `,
    expected: `
      switchyard.yaml:5:57: error[provider_setting]: provider "oa": options.reasoning_summary values are auto, concise or detailed
        5 |     options: {reasoning_summary: {"gpt-5*": auto, "o*": always}}
          |                                                         ^
      switchyard.yaml:9:46: error[provider_setting]: provider "oc": options.reasoning_summary must be auto, concise or detailed, or a map from model globs to those, e.g. {"gpt-5*": auto}
        9 |     options: {auth: none, reasoning_summary: yes}
          |                                              ^
      switchyard.yaml:13:34: error[provider_setting]: provider "an": options.reasoning_summary applies to openai, azure and openai-compatible providers only
        13 |     options: {reasoning_summary: auto}
           |                                  ^
    `,
  },
  {
    name: 'what serve would refuse at start: an hmac key without key_secret, mask pointers that cannot apply, a postgres sink without url',
    config: `
      providers:
        m: {type: mock}
      governance:
        virtual_keys:
          - {id: vk, key_hash: "hmac-sha256:${'c'.repeat(64)}"}
      audit:
        mask: [/request/headers/x-user-email, /request/headerz/x, /outcome/status]
        sinks:
          - {type: postgres}
    `,
    expected: `
      switchyard.yaml:5:26: error[key_secret_missing]: virtual key "vk" has an hmac-sha256 hash, which needs governance.key_secret (the secret it was made with)
        5 |     - {id: vk, key_hash: "hmac-sha256:${'c'.repeat(64)}"}
          |                          ^
      switchyard.yaml:7:41: error[audit_mask]: audit.mask "/request/headerz/x": the audit event has no field /request/headerz/x
        7 |   mask: [/request/headers/x-user-email, /request/headerz/x, /outcome/status]
          |                                         ^
      switchyard.yaml:7:61: error[audit_mask]: audit.mask "/outcome/status": /outcome/status is required by the audit event schema and cannot be masked
        7 |   mask: [/request/headers/x-user-email, /request/headerz/x, /outcome/status]
          |                                                             ^
      switchyard.yaml:9:7: error[audit_sink]: a postgres audit sink needs \`url\` (a connection string; env.NAME recommended)
        9 |     - {type: postgres}
          |       ^
    `,
  },
  {
    name: 'base_url: the full endpoint, or OpenAI without /v1, or Mistral without options.tool_loop (warnings; a proxy path is left alone); azure without one (errors)',
    config: `
      providers:
        oa: {type: openai, base_url: "https://api.openai.com", keys: [{name: k, value: x}]}
        full: {type: openai-compatible, base_url: "https://api.groq.com/openai/v1/chat/completions/", keys: [{name: k, value: x}]}
        an: {type: anthropic, base_url: "https://api.anthropic.com/v1/messages", keys: [{name: k, value: x}]}
        proxy: {type: openai, base_url: "https://llm-proxy.internal/openai", keys: [{name: k, value: x}]}
        az: {type: azure, keys: [{name: k, value: x}]}
        mi: {type: openai-compatible, base_url: "https://api.mistral.ai/v1", keys: [{name: k, value: x}]}
        mi2:
          type: openai-compatible
          base_url: "https://api.mistral.ai/v1"
          keys: [{name: k, value: x}]
          options: {stream_usage: false}
        mi3: {type: openai-compatible, base_url: "https://api.mistral.ai/v1", keys: [{name: k, value: x}], options: {tool_loop: mistral}}
    `,
    expected: `
      switchyard.yaml:2:32: warning[base_url]: provider "oa": api.openai.com's API root is https://api.openai.com/v1: the gateway appends /chat/completions to base_url, so https://api.openai.com/chat/completions would answer 404
        2 |   oa: {type: openai, base_url: "https://api.openai.com", keys: [{name: k, value: x}]}
          |                                ^
      switchyard.yaml:3:45: warning[base_url]: provider "full": base_url is the API's root, not the endpoint: the gateway appends /chat/completions itself; use https://api.groq.com/openai/v1
        3 |   full: {type: openai-compatible, base_url: "https://api.groq.com/openai/v1/chat/completions/", keys: [{name: k, value: x}]}
          |                                             ^
      switchyard.yaml:4:35: warning[base_url]: provider "an": base_url is the API's root, not the endpoint: the gateway appends /messages itself; use https://api.anthropic.com/v1
        4 |   an: {type: anthropic, base_url: "https://api.anthropic.com/v1/messages", keys: [{name: k, value: x}]}
          |                                   ^
      switchyard.yaml:6:3: error[provider_setting]: provider "az" (type azure) needs base_url, e.g. https://<resource>.openai.azure.com
        6 |   az: {type: azure, keys: [{name: k, value: x}]}
          |   ^
      switchyard.yaml:6:3: error[provider_setting]: provider "az" (type azure) needs options.api_version, e.g. 2024-10-21 or v1 (the v1 API)
        6 |   az: {type: azure, keys: [{name: k, value: x}]}
          |   ^
      switchyard.yaml:7:33: warning[provider_setting]: provider "mi": Mistral refuses tool loops that began on another model, and Claude Code's tool results with text beside them; set options.tool_loop: mistral
        7 |   mi: {type: openai-compatible, base_url: "https://api.mistral.ai/v1", keys: [{name: k, value: x}]}
          |                                 ^
      switchyard.yaml:12:5: warning[provider_setting]: provider "mi2": Mistral refuses tool loops that began on another model, and Claude Code's tool results with text beside them; set options.tool_loop: mistral
        12 |     options: {stream_usage: false}
           |     ^
    `,
  },
  {
    name: 'upstream: a no_proxy range that is not one (error), a forward header that never goes (warning)',
    config: `
      providers:
        m: {type: mock}
      upstream:
        proxy: http://proxy.internal:3128
        no_proxy: [10.0.0.0/8, 10.0.0.0/33, .corp.internal]
        forward_headers: [anthropic-beta, authorization, Accept-Encoding]
    `,
    expected: `
      switchyard.yaml:5:26: error[invalid_proxy]: upstream.no_proxy "10.0.0.0/33" is not an IPv4 range: write an address and 0 to 32 bits, such as 10.0.0.0/8
        5 |   no_proxy: [10.0.0.0/8, 10.0.0.0/33, .corp.internal]
          |                          ^
      switchyard.yaml:6:37: warning[forward_header]: upstream.forward_headers "authorization" is never forwarded: credentials and hop-by-hop headers never go upstream (a provider's key comes from its config)
        6 |   forward_headers: [anthropic-beta, authorization, Accept-Encoding]
          |                                     ^
      switchyard.yaml:6:52: warning[forward_header]: upstream.forward_headers "Accept-Encoding" is never forwarded: the gateway decodes the provider's answer itself and chooses which codings it accepts
        6 |   forward_headers: [anthropic-beta, authorization, Accept-Encoding]
          |                                                    ^
    `,
  },
];

describe('config corpus: every issue, located with file:line:col and a caret', () => {
  for (const c of cases) {
    it(c.name, () => {
      const file = c.file ?? 'switchyard.yaml';
      const dir = tempTree({ [file]: c.config === '' ? '' : `${text(c.config)}\n`, ...c.files });
      const { config, issues } = loadConfig({ path: file, cwd: dir, env: c.env ?? {} });
      assert.equal(rendered(issues, dir), text(c.expected));
      assert.equal(config, null, 'a config with errors is not returned');
    });
  }
});

describe('config files that cannot be read', () => {
  it('a missing file', () => {
    const dir = tempTree({});
    const { config, issues } = loadConfig({ path: 'nope.yaml', cwd: dir, env: {} });
    assert.equal(config, null);
    assert.deepEqual(issues.map((i) => [i.code, i.message]), [['config_not_found', `config file not found: ${dir}/nope.yaml`]]);
  });

  it('an unsupported extension', () => {
    const dir = tempTree({ 'switchyard.toml': '' });
    const { issues } = loadConfig({ path: 'switchyard.toml', cwd: dir, env: {} });
    assert.deepEqual(issues.map((i) => i.code), ['config_extension']);
  });

  it('a folder given without a file name names the config file in it', () => {
    const dir = tempTree({ 'policy/switchyard.yaml': 'providers: {m: {type: mock}}\n' });
    const { issues } = loadConfig({ path: 'policy', cwd: dir, env: {} });
    assert.deepEqual(issues.map((i) => [i.code, i.message]), [['config_read', `${dir}/policy is a folder, not a config file: give the file, ${dir}/policy/switchyard.yaml`]]);
  });

  it('a rule file or a rule test file given as the config says what it is', () => {
    const dir = tempTree({
      'rules/routing.yaml': 'rules:\n  - {id: x, when: "true", route: m/m}\n',
      'rules/routing.test.yaml': 'tests:\n  - {name: x, request: {model: m}, expect: {rule: x}}\n',
    });
    for (const [file, what] of [['rules/routing.yaml', 'a rule file (it has a "rules:" list)'], ['rules/routing.test.yaml', 'a rule test file (it has a "tests:" list)']]) {
      const { config, issues } = loadConfig({ path: file, cwd: dir, env: {} });
      assert.equal(config, null);
      assert.deepEqual(issues.map((i) => [i.code, i.message]), [['not_a_config', `${dir}/${file} is ${what}, not a gateway config: give the gateway config (switchyard.yaml), whose rules.paths names the rule files (default: rules/ beside it)`]]);
    }
  });

  it('a folder', () => {
    const dir = tempTree({ 'conf.yaml/x': '' });
    const { issues } = loadConfig({ path: 'conf.yaml', cwd: dir, env: {} });
    assert.deepEqual(issues.map((i) => [i.code, i.message]), [['config_read', `cannot read config file ${dir}/conf.yaml: EISDIR`]]);
  });
});
