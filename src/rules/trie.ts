/**
 * A map keyed by a fixed-length tuple of values (strings, numbers, booleans, null),
 * looked up level by level. Cache keys for shapes and memoized outcomes are tuples of
 * request values; nesting maps avoids building (and hashing) a fresh key string per
 * request. Bounded and evicted by the caller (an lru-cache whose dispose deletes here).
 */
type Node = Map<unknown, unknown>;

export class TupleMap<V> {
  private readonly root: Node = new Map();

  get(key: readonly unknown[]): V | undefined {
    let node: unknown = this.root;
    for (let i = 0; i < key.length; i++) {
      node = (node as Node).get(key[i]);
      if (node === undefined) return undefined;
    }
    return node as V;
  }

  /** Same as `get(readers.map((r) => r(src)))`, without building the key. */
  getBy<S>(src: S, readers: readonly ((s: S) => unknown)[]): V | undefined {
    let node: unknown = this.root;
    for (let i = 0; i < readers.length; i++) {
      node = (node as Node).get(readers[i](src));
      if (node === undefined) return undefined;
    }
    return node as V;
  }

  set(key: readonly unknown[], value: V): void {
    let node = this.root;
    for (let i = 0; i < key.length - 1; i++) {
      let next = node.get(key[i]) as Node | undefined;
      if (next === undefined) node.set(key[i], (next = new Map()));
      node = next;
    }
    node.set(key[key.length - 1], value);
  }

  /** Removes the entry and any level it leaves empty. */
  delete(key: readonly unknown[]): void {
    const path: Node[] = [this.root];
    for (let i = 0; i < key.length - 1; i++) {
      const next = path[i].get(key[i]) as Node | undefined;
      if (next === undefined) return;
      path.push(next);
    }
    for (let i = key.length - 1; i >= 0; i--) {
      path[i].delete(key[i]);
      if (path[i].size > 0) return;
    }
  }
}
