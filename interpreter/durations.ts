/**
 * Durations in definitions: ISO 8601 (`P30D`, `PT15M`, `P1DT2H`) or the short
 * forms `500ms`, `90s`, `15m`, `48h`, `7d`, `2w`.
 */

const SHORT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const ISO = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration, or undefined when the text is not a duration. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  if (typeof text !== 'string') return undefined;
  const value = text.trim();
  const short = SHORT.exec(value);
  if (short) return Math.round(Number(short[1]) * (UNIT_MS[short[2] as string] as number));
  const iso = ISO.exec(value.toUpperCase());
  if (!iso || value.length <= 1 || /T$/i.test(value)) return undefined;
  const [, w, d, h, m, s] = iso;
  const n = (x: string | undefined) => (x ? Number(x) : 0);
  return Math.round(n(w) * UNIT_MS.w! + n(d) * UNIT_MS.d! + n(h) * UNIT_MS.h! + n(m) * UNIT_MS.m! + n(s) * 1000);
}

export function isDuration(text: unknown): boolean {
  return parseDuration(text) !== undefined;
}
