/**
 * Durations in definitions: ISO 8601 (`P30D`, `PT15M`, `P1DT2H`) or the short
 * forms `500ms`, `90s`, `15m`, `48h`, `7d`, `2w`.
 */

const SHORT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const ISO =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
  ['d', DAY],
  ['w', WEEK],
]);

/** Milliseconds of a duration, or undefined when the text is not a duration. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  if (typeof text !== 'string') return undefined;
  const value = text.trim();
  const short = SHORT.exec(value);
  if (short) {
    const unit = UNIT_MS.get(short[2] ?? '');
    return unit === undefined ? undefined : Math.round(Number(short[1]) * unit);
  }
  const iso = ISO.exec(value.toUpperCase());
  if (!iso || value.length <= 1 || /T$/i.test(value)) return undefined;
  const [, w, d, h, m, s] = iso;
  const n = (x: string | undefined) => (x ? Number(x) : 0);
  return Math.round(n(w) * WEEK + n(d) * DAY + n(h) * HOUR + n(m) * MINUTE + n(s) * SECOND);
}

export function isDuration(text: unknown): boolean {
  return parseDuration(text) !== undefined;
}
