/**
 * Memos keyed by a model name. Names reach these from clients (any model a glob such as
 * `gpt-*` admits, or an unknown one on its way to a 404), so a memo that kept every name
 * would grow with whatever a client cares to send. These keep at most `max` names: a
 * plain Map (a hit is one hash lookup, no recency bookkeeping), emptied when full. Real
 * traffic names a few dozen models, so refilling is rare.
 */

/** Names a memo remembers by default before it starts afresh. */
export const MEMO_MAX = 2048;

/**
 * `compute(name)`, remembered for at most `max` names at a time.
 * @example const priceOf = memoByName((model) => table.resolve(model));
 */
export function memoByName<T>(compute: (name: string) => T, max = MEMO_MAX): (name: string) => T {
  const memo = new Map<string, T>();
  return (name) => {
    const hit = memo.get(name);
    if (hit !== undefined || memo.has(name)) return hit as T;
    const value = compute(name);
    if (memo.size >= max) memo.clear();
    memo.set(name, value);
    return value;
  };
}
