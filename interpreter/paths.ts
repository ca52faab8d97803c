/**
 * Dotted paths with optional `[index]` into the run context: `input.items[0].name`.
 */

export type PathSegment = string | number;

const SEGMENT = /^([A-Za-z_$][\w$-]*)((?:\[\d+\])*)$/;

/** Splits a path into segments, or returns undefined when it is not a valid path. */
export function parsePath(path: string): PathSegment[] | undefined {
  const text = path.trim();
  if (text === '') return undefined;
  const out: PathSegment[] = [];
  for (const part of text.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m) return undefined;
    out.push(m[1] ?? ''); // group 1 always takes part in a match
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The value at `path` in `root`, or undefined. Never reads inherited properties. */
export function getPath(root: unknown, path: string | PathSegment[]): unknown {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  if (!segments) return undefined;
  let current: unknown = root;
  for (const segment of segments) {
    if (current === null || current === undefined) return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else if (typeof current === 'object' && Object.prototype.hasOwnProperty.call(current, segment)) {
      current = Reflect.get(current, segment);
    } else {
      return undefined;
    }
  }
  return current;
}
