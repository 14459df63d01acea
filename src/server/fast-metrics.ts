/**
 * Counters, a gauge and histograms for the request path, exposed through a prom-client
 * Registry. prom-client's own metrics validate and hash their labels on every call;
 * these keep one series object per label combination (found by a joined-values key) and
 * only build the exposition when the registry is scraped. The output is what the
 * equivalent prom-client metric would print.
 */
import type { Registry } from 'prom-client';

/** What Registry.metrics() formats: prom-client's metric `get()` shape. */
interface Exposition {
  name: string;
  help: string;
  type: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
  aggregator: string;
}

type Labels<L extends string> = Readonly<Record<L, string | number>>;

/** What a prom-client Registry needs of a metric. */
interface Collectable {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  get(): Promise<unknown>;
  reset(): void;
}

abstract class Series<L extends string, S> implements Collectable {
  abstract readonly type: string;
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, { labels: Record<string, string | number>; s: S }>();

  constructor(readonly name: string, readonly help: string, protected readonly labelNames: readonly L[], registers: readonly Registry[]) {
    for (const r of registers) r.registerMetric(this as never);
  }

  /** The series for `labels`, created on first use. */
  protected at(labels: Labels<L> | undefined): S {
    const names = this.labelNames;
    let key = '';
    if (labels !== undefined) for (let i = 0; i < names.length; i++) key += `${labels[names[i]]}\u0001`;
    const hit = this.series.get(key);
    if (hit !== undefined) return hit.s;
    // Key order as the caller wrote it, as prom-client prints it.
    const copy: Record<string, string | number> = {};
    if (labels !== undefined) for (const n in labels) if (labels[n] !== undefined) copy[n] = labels[n];
    const s = this.fresh();
    this.series.set(key, { labels: copy, s });
    return s;
  }

  protected abstract fresh(): S;
  abstract get(): Promise<Exposition>;

  reset(): void {
    this.series.clear();
  }
}

export class FastCounter<L extends string = string> extends Series<L, { value: number }> {
  readonly type = 'counter';

  inc(labels?: Labels<L>, value = 1): void {
    if (!(value >= 0)) throw new Error(`counter ${this.name} cannot be increased by ${value}`);
    this.at(labels).value += value;
  }

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  async get(): Promise<Exposition> {
    const values: Exposition['values'] = [];
    // A sum of fractions (spend in USD) carries binary rounding noise (0.00011700000000000001):
    // shown to 15 significant digits, as it was added up.
    for (const { labels, s } of this.series.values()) values.push({ labels: { ...labels }, value: Number.isInteger(s.value) ? s.value : Number(s.value.toPrecision(15)) });
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' };
  }
}

export class FastGauge extends Series<string, { value: number }> {
  readonly type = 'gauge';
  private readonly only: { value: number };

  constructor(name: string, help: string, registers: readonly Registry[]) {
    super(name, help, [], registers);
    this.only = this.at(undefined);
  }

  inc(value = 1): void {
    this.only.value += value;
  }

  dec(value = 1): void {
    this.only.value -= value;
  }

  set(value: number): void {
    this.only.value = value;
  }

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  override reset(): void {
    this.only.value = 0;
  }

  async get(): Promise<Exposition> {
    return { name: this.name, help: this.help, type: 'gauge', values: [{ labels: {}, value: this.only.value }], aggregator: 'sum' };
  }
}

interface Buckets {
  /** Per bucket (not cumulative); the last slot counts values above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram<L extends string = string> extends Series<L, Buckets> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly L[], private readonly bounds: readonly number[], registers: readonly Registry[]) {
    super(name, help, labelNames, registers);
  }

  observe(labels: Labels<L>, value: number): void {
    const b = this.at(labels);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    b.counts[i]++;
    b.sum += value;
    b.count++;
  }

  protected fresh(): Buckets {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  async get(): Promise<Exposition> {
    const values: Exposition['values'] = [];
    for (const { labels, s } of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i], ...labels }, value: acc });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
