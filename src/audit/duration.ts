/** Durations as the config schema writes them: 500ms, 30s, 1m, 1h, 1d, 1w, 1M (calendar month). */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^([0-9]+)(ms|s|m|h|d|w|M)$/;

export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** The instant `text` before `now`; undefined when `text` is not a duration. */
export function durationBefore(now: Date, text: string): Date | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] === 'M') {
    const d = new Date(now.getTime());
    d.setUTCMonth(d.getUTCMonth() - n);
    return d;
  }
  return new Date(now.getTime() - n * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}
