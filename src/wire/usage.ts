/**
 * Token counts as providers report them, made safe to charge: usage is the one part of
 * an answer that moves money, so a count that is not a count never reaches a budget,
 * a counter or the audit log as such.
 */

/**
 * The most tokens one call is charged for: far above any model's window, and far below
 * where nano-USD cost arithmetic stops being exact.
 */
export const MAX_CALL_TOKENS = 1e9;

/**
 * A provider's token count as a whole number: anything but a positive number (negative,
 * NaN, text, absent) is 0, a fraction is rounded up, and none exceeds MAX_CALL_TOKENS.
 */
export function tokenCount(v: unknown): number {
  return typeof v === 'number' && v > 0 ? Math.min(Math.ceil(v), MAX_CALL_TOKENS) : 0;
}
