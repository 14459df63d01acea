/**
 * Two-level weighted choice over provider options and their keys, skipping what is
 * unavailable. Built once per option list; `choose` then only draws (the all-available
 * case reuses precomputed, frozen target lists).
 */
import type { TargetRecord } from '../types/audit-event.js';
import type { FallbackReason } from '../errors.js';
import type { ProviderOption } from './candidates.js';
import { normalize, pickWeighted } from './weighted.js';

/** Choices share frozen records and lists between calls: copy before changing them. */
export interface Choice {
  /** The chosen provider/model/key, or null when every option is unavailable (or there are none). */
  selected: TargetRecord | null;
  /** Index of the chosen option in the chooser's options; -1 when none. */
  option: number;
  /** Every available option×key with its normalized weight (provider share × key share). */
  targets: readonly TargetRecord[];
  /** Skipped as unavailable: `provider:reason` or `provider#key:reason`. */
  skipped: readonly string[];
}

export interface Chooser {
  readonly options: readonly ProviderOption[];
  choose(draw: number, unavailable?: ReadonlyMap<string, FallbackReason>): Choice;
}

const NO_SKIPS: readonly string[] = Object.freeze([]);

function flatten(options: readonly ProviderOption[], optionIdx: readonly number[], keysOf: readonly (readonly number[])[]): TargetRecord[] {
  const shares = normalize(optionIdx.map((i) => options[i].weight));
  const out: TargetRecord[] = [];
  optionIdx.forEach((i, n) => {
    const o = options[i];
    const keyIdx = keysOf[n];
    if (o.keys.length === 0) {
      out.push(Object.freeze({ provider: o.provider, model: o.model, key: null, weight: round(shares[n]) }));
      return;
    }
    const keyShares = normalize(keyIdx.map((k) => o.keys[k].weight));
    keyIdx.forEach((k, m) => out.push(Object.freeze({ provider: o.provider, model: o.model, key: o.keys[k].name, weight: round(shares[n] * keyShares[m]) })));
  });
  return out;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The options still drawable, with their weights laid out for pickWeighted. */
interface Pool {
  optionIdx: readonly number[];
  optionWeights: readonly number[];
  keysOf: readonly (readonly number[])[];
  keyWeights: readonly (readonly number[])[];
}

function pool(options: readonly ProviderOption[], optionIdx: readonly number[], keysOf: readonly (readonly number[])[]): Pool {
  return {
    optionIdx,
    optionWeights: optionIdx.map((i) => options[i].weight),
    keysOf,
    keyWeights: optionIdx.map((i, n) => keysOf[n].map((k) => options[i].keys[k].weight)),
  };
}

/** Frozen `selected` records per option and key (index -1: keyless), shared by every choice. */
type Selections = readonly (readonly TargetRecord[])[];

function selections(options: readonly ProviderOption[]): Selections {
  return options.map((o) => o.keys.length === 0
    ? [Object.freeze({ provider: o.provider, model: o.model, key: null })]
    : o.keys.map((k) => Object.freeze({ provider: o.provider, model: o.model, key: k.name })));
}

function draw2(options: readonly ProviderOption[], sel: Selections, p: Pool, draw: number): { option: number; selected: TargetRecord } | null {
  const first = pickWeighted(p.optionWeights, draw);
  if (!first) return null;
  const option = p.optionIdx[first.index];
  if (options[option].keys.length === 0) return { option, selected: sel[option][0] };
  const second = pickWeighted(p.keyWeights[first.index], first.rest)!;
  return { option, selected: sel[option][p.keysOf[first.index][second.index]] };
}

/**
 * @example
 * const c = createChooser([{provider: 'openai', model: 'gpt-4o', weight: 3, keys: [{name: 'a', weight: 1}], pinned: false},
 *                          {provider: 'azure', model: 'gpt-4o', weight: 1, keys: [], pinned: false}]);
 * c.choose(0.9).selected // → {provider: 'azure', model: 'gpt-4o', key: null}
 */
export function createChooser(options: readonly ProviderOption[]): Chooser {
  const allIdx = options.map((_, i) => i);
  const allKeys = options.map((o) => o.keys.map((_, k) => k));
  const allTargets = Object.freeze(flatten(options, allIdx, allKeys));
  const all = pool(options, allIdx, allKeys);
  const sel = selections(options);
  const empty: Choice = Object.freeze({ selected: null, option: -1, targets: allTargets, skipped: NO_SKIPS });

  const touches = (unavailable: ReadonlyMap<string, FallbackReason>): boolean => {
    for (const o of options) {
      if (unavailable.has(o.provider)) return true;
      for (const k of o.keys) if (unavailable.has(`${o.provider}#${k.name}`)) return true;
    }
    return false;
  };

  return {
    options,
    choose(draw, unavailable) {
      if (options.length === 0) return empty;
      if (!unavailable || unavailable.size === 0 || !touches(unavailable)) {
        const r = draw2(options, sel, all, draw)!;
        return { selected: r.selected, option: r.option, targets: allTargets, skipped: NO_SKIPS };
      }
      const skipped: string[] = [];
      // Something this chooser draws from is unavailable: rebuild the pool without it.
      const idx: number[] = [];
      const keysOf: number[][] = [];
      options.forEach((o, i) => {
        const reason = unavailable.get(o.provider);
        if (reason !== undefined) {
          if (!skipped.includes(`${o.provider}:${reason}`)) skipped.push(`${o.provider}:${reason}`);
          return;
        }
        const keys: number[] = [];
        o.keys.forEach((k, n) => {
          const keyReason = unavailable.get(`${o.provider}#${k.name}`);
          if (keyReason === undefined) keys.push(n);
          else if (!skipped.includes(`${o.provider}#${k.name}:${keyReason}`)) skipped.push(`${o.provider}#${k.name}:${keyReason}`);
        });
        if (o.keys.length > 0 && keys.length === 0) return;
        idx.push(i);
        keysOf.push(keys);
      });
      const targets = Object.freeze(flatten(options, idx, keysOf));
      const r = draw2(options, sel, pool(options, idx, keysOf), draw);
      Object.freeze(skipped);
      return r ? { selected: r.selected, option: r.option, targets, skipped } : { selected: null, option: -1, targets, skipped };
    },
  };
}
