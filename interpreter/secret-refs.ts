/**
 * How a definition's `{{ secrets.NAME }}` travels from the workflow to the
 * activity that fills it in. The workflow never sees a secret's value; it
 * renders the reference as a marker, and only the activity replaces markers
 * with values.
 *
 * Only the definition's own text may name a secret. Text that arrives at run
 * time (run input, trigger payloads, node outputs, variables, form data) is
 * data: a `{{ secrets.NAME }}` inside it is never filled in, because the
 * activity looks for markers, not for template syntax. The markers are built
 * from two characters of Unicode's private use area, and `defuse` replaces
 * them in every piece of run-time data a template puts into its result, so
 * data cannot forge a marker either.
 */

const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKER_CHARS = /[\uE000\uE001]/g;
/** What a marker character in data becomes: the replacement character, visible and harmless. */
const REPLACEMENT = '\uFFFD';

/** The marker for a secret named in the definition's text. */
export const secretMarker = (name: string) => `${OPEN}secrets.${name}${CLOSE}`;

/** Every marker in a string; group 1 is the secret's name. */
export const SECRET_MARKER = /\uE000secrets\.([A-Za-z_][\w-]*)\uE001/g;

/** A secret's name when `expression` (the inside of `{{ }}`) reads one, e.g. `secrets.API_TOKEN`. */
export function secretNameOf(expression: string): string | undefined {
  const match = /^\s*secrets\.([A-Za-z_][\w-]*)\s*$/.exec(expression);
  return match ? match[1] : undefined;
}

/** Run-time data as a template may place it: the same value, with any marker character replaced. */
export function defuse(value: unknown): unknown {
  if (typeof value === 'string') return defuseText(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const safe = defuse(item);
      if (safe !== item) (copy ??= [...value])[i] = safe;
    });
    return copy ?? value;
  }
  if (value && typeof value === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const safe = defuse(item);
      const safeKey = defuseText(key);
      if (safe !== item || safeKey !== key) {
        copy ??= { ...value };
        if (safeKey !== key) delete copy[key];
        copy[safeKey] = safe;
      }
    }
    return copy ?? value;
  }
  return value;
}

/** Text from run-time data, with any marker character replaced. */
export function defuseText(text: string): string {
  return text.includes(OPEN) || text.includes(CLOSE) ? text.replace(MARKER_CHARS, REPLACEMENT) : text;
}

/** For people reading a step's input: markers shown as the `{{ secrets.NAME }}` the definition wrote. */
export function showSecretMarkers(value: unknown): unknown {
  if (typeof value === 'string')
    return value.includes(OPEN) ? value.replace(SECRET_MARKER, (_, name: string) => `{{ secrets.${name} }}`) : value;
  if (Array.isArray(value)) return value.map(showSecretMarkers);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, showSecretMarkers(v)]));
  return value;
}
