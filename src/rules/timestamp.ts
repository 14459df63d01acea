/**
 * `Date#toISOString` for the decision snapshot, without its cost on every request:
 * the date part is cached per UTC day and only the time of day is formatted.
 * Same output as toISOString for years 0000–9999.
 */
const DAY = 86_400_000;
let cachedDay = Number.NaN;
let cachedPrefix = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

export function isoString(date: Date): string {
  const t = date.getTime();
  const day = Math.floor(t / DAY);
  if (!Number.isFinite(t) || t < -62167219200000 || t >= 253402300800000) return date.toISOString();
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * DAY).toISOString().slice(0, 11);
  }
  let ms = t - day * DAY;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  ms -= s * 1000;
  return `${cachedPrefix}${pad2(h)}:${pad2(m)}:${pad2(s)}.${pad3(ms)}Z`;
}
