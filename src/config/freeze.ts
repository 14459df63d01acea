/** Deep freezing: config is validated once, then nothing may change it (STYLE.md #3). */

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    const children: unknown[] = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const child of children) deepFreeze(child);
  }
  return value;
}

/** A Map that refuses changes once built (Object.freeze does not stop Map#set). */
class FrozenMap<K, V> extends Map<K, V> {
  #sealed = false;
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [k, v] of entries) super.set(k, v);
    this.#sealed = true;
  }
  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('Cannot modify a frozen map');
    return super.set(key, value);
  }
  override delete(): boolean {
    throw new TypeError('Cannot modify a frozen map');
  }
  override clear(): void {
    throw new TypeError('Cannot modify a frozen map');
  }
}

/** A read-only Map whose values are deep-frozen. */
export function frozenMap<K, V>(entries: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
  const map = new FrozenMap(entries);
  for (const v of map.values()) deepFreeze(v);
  return Object.freeze(map);
}
