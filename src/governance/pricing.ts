/**
 * Model prices: the table shipped in pricing.json, overridden by `governance.pricing`.
 * Costs are computed in integer-friendly nano-USD (1e-9 USD); see store.ts.
 */
import type { Usage } from '../canonical.js';
import { modelMatches } from '../config/model-match.js';
import { memoByName } from '../memo.js';
import type { Price, TierPrice } from '../types/gateway-config.js';
import SHIPPED from './pricing.json' with { type: 'json' };

/** USD per 1M tokens, as written in config and pricing.json (schema: definitions.Price). */
export type { Price };

/** nano-USD per token. */
export interface TokenPrice {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  cacheWrite1h: number;
  /** nano-USD per web search, when the price charges for them. */
  webSearch?: number;
  /** The rates of a request with more than `aboveInputTokens` input tokens. */
  long?: { aboveInputTokens: number; price: TokenPrice };
  /** The rates of a request served at another service tier, by its name. */
  tiers?: ReadonlyMap<string, TokenPrice>;
}

export const NANO_PER_USD = 1e9;

interface GlobEntry {
  pattern: string;
  price: TokenPrice;
}

/** Date and version suffixes providers append to a base model name. */
const VERSION_SUFFIX = /(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-latest|-\d{3,4})$/;

/** One source of prices: names, then globs in the order written. */
interface Tier {
  exact: Map<string, TokenPrice>;
  globs: GlobEntry[];
}

export class PriceTable {
  /** The config's overrides, then the shipped table: an override always wins, glob or not. */
  private readonly tiers: readonly Tier[];
  /** Resolved lookups, by `provider\u0000model` (or the model alone). */
  private readonly cache = memoByName((key) => {
    const cut = key.indexOf('\u0000');
    return cut < 0 ? this.resolve(key) : this.resolve(key.slice(cut + 1), key.slice(0, cut));
  });

  /**
   * @example
   * const prices = new PriceTable({ 'my-finetune': { input: 3, output: 12 } });
   * prices.costUsd('gpt-4o-mini', { inputTokens: 1000, outputTokens: 200 }); // 0.00027
   */
  constructor(overrides: Readonly<Record<string, Price>> = {}) {
    this.tiers = [overrides, SHIPPED.models as Record<string, Price>].map((source) => {
      const tier: Tier = { exact: new Map(), globs: [] };
      for (const [name, p] of Object.entries(source)) {
        const price = toTokenPrice(p);
        if (name.includes('*')) tier.globs.push({ pattern: name, price });
        else tier.exact.set(name, price);
      }
      return tier;
    });
  }

  /**
   * The price of `model` as served by `provider` (a `provider/model` entry wins over a
   * plain `model` entry), or null when neither the name nor its base name is priced.
   */
  lookup(model: string, provider?: string): TokenPrice | null {
    return this.cache(provider ? `${provider}\u0000${model}` : model);
  }

  /** Cost in USD, or null for an unpriced model. */
  costUsd(model: string, usage: Usage, provider?: string): number | null {
    const p = this.lookup(model, provider);
    return p ? Math.round(costNano(p, usage)) / NANO_PER_USD : null;
  }

  private resolve(model: string, provider?: string): TokenPrice | null {
    const bare = model.startsWith('models/') ? model.slice('models/'.length) : model;
    const names = [bare];
    for (let n = bare; VERSION_SUFFIX.test(n); ) names.push((n = n.replace(VERSION_SUFFIX, '')));
    for (const tier of this.tiers) {
      for (const name of names) {
        const candidates = provider ? [`${provider}/${name}`, name] : [name];
        for (const c of candidates) {
          const exact = tier.exact.get(c);
          if (exact) return exact;
          const glob = tier.globs.find((g) => modelMatches(g.pattern, c));
          if (glob) return glob.price;
        }
      }
    }
    return null;
  }
}

/**
 * Unrounded nano-USD for `usage` (cached input tokens are a subset of input tokens), at
 * the rates of the service tier it names, and at the long-context rates when its input is
 * past their threshold; web searches at the per-search fee, which neither changes.
 */
export function costNano(base: TokenPrice, usage: Usage): number {
  const price = (usage.serviceTier !== undefined && base.tiers?.get(usage.serviceTier)) || base;
  const p = price.long !== undefined && usage.inputTokens > price.long.aboveInputTokens ? price.long.price : price;
  const clamp = (n: number | undefined, max: number) => Math.min(Math.max(n ?? 0, 0), max);
  const cached = clamp(usage.cachedInputTokens, usage.inputTokens);
  const written = clamp(usage.cacheWriteTokens, usage.inputTokens - cached);
  const hour = clamp(usage.cacheWrite1hTokens, written);
  return (usage.inputTokens - cached - written) * p.input + cached * p.cachedInput
    + (written - hour) * p.cacheWrite + hour * p.cacheWrite1h + usage.outputTokens * p.output
    + (usage.webSearchRequests ?? 0) * (base.webSearch ?? 0);
}

function toTokenPrice(p: Price): TokenPrice {
  const price = rates(p);
  if (p.service_tiers !== undefined) {
    price.tiers = new Map(Object.entries(p.service_tiers).map(([name, tier]) => [name, rates(tier)]));
  }
  // USD per 1,000 searches × 1e9 nano/USD ÷ 1,000.
  if (p.web_search !== undefined && p.web_search > 0) price.webSearch = Math.round(p.web_search * 1e6);
  return price;
}

/** A price's (or a tier's) token rates, and its long-context rates. */
function rates(p: TierPrice): TokenPrice {
  const cachedInput = p.cached_input ?? p.input;
  const cacheWrite = p.cache_write ?? p.input * 1.25;
  const cacheWrite1h = p.cache_write_1h ?? p.input * 2;
  const price: TokenPrice = {
    input: perToken(p.input),
    output: perToken(p.output),
    cachedInput: perToken(cachedInput),
    cacheWrite: perToken(cacheWrite),
    cacheWrite1h: perToken(cacheWrite1h),
  };
  const l = p.long_context;
  if (l !== undefined) {
    // Both providers raise their cache rates with the input rate (Anthropic's multipliers
    // apply to the long-context input rate; Gemini's cache reads double as its input does).
    const scale = p.input > 0 ? l.input / p.input : 1;
    const long: TokenPrice = {
      input: perToken(l.input),
      output: perToken(l.output),
      cachedInput: perToken(l.cached_input ?? (p.input > 0 ? cachedInput * scale : l.input)),
      cacheWrite: perToken(l.cache_write ?? (p.input > 0 ? cacheWrite * scale : l.input * 1.25)),
      cacheWrite1h: perToken(l.cache_write_1h ?? (p.input > 0 ? cacheWrite1h * scale : l.input * 2)),
    };
    price.long = { aboveInputTokens: l.above_input_tokens, price: long };
  }
  return price;
}

/** USD per 1M tokens × 1e9 nano/USD ÷ 1e6 tokens = ×1000; rounded to shed float noise (0.15 × 1000). */
function perToken(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1000 * 1e6) / 1e6;
}
