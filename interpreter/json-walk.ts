/**
 * A walk over parsed JSON without recursion: values nested 100,000 levels deep
 * (which a request may carry) cannot overflow the stack. Pure and
 * deterministic, so workflow code may use it too.
 */

/** The nesting limit of every JSON document the platform accepts (api-contract.md, "Trust rules"). */
export const MAX_JSON_DEPTH = 64;

export type JsonPath = ReadonlyArray<string | number>;

/** Where a value stands: its key in its parent, its depth (the root is 0), and its whole path, built on demand. */
export class JsonPlace {
  constructor(
    readonly key: string | number | undefined,
    readonly depth: number,
    private readonly parent: JsonPlace | undefined,
  ) {}

  /** Built only when asked for, so a walk down a very deep value stays linear. */
  path(): JsonPath {
    return JsonPlace.pathOf(this);
  }

  private static pathOf(place: JsonPlace): JsonPath {
    // Only the root (the place without a parent) has no key.
    const segments: Array<string | number> = [];
    for (let at: JsonPlace | undefined = place; at?.parent; at = at.parent)
      if (at.key !== undefined) segments.push(at.key);
    return segments.reverse();
  }
}

/** Visits every value in document order. `visit` returns false to skip what is inside the value. */
export function walkJson(root: unknown, visit: (value: unknown, place: JsonPlace) => boolean | void): void {
  const stack: Array<{ value: unknown; place: JsonPlace }> = [
    { value: root, place: new JsonPlace(undefined, 0, undefined) },
  ];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, place } = next;
    if (visit(value, place) === false || !value || typeof value !== 'object') continue;
    const depth = place.depth + 1;
    // Pushed last-first, so they are popped (and reported) in document order.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], place: new JsonPlace(i, depth, place) });
    } else {
      for (const [key, item] of Object.entries(value).reverse())
        stack.push({ value: item, place: new JsonPlace(key, depth, place) });
    }
  }
}

/** Where `value` first holds an object or list more than `limit` levels deep, or undefined when it does not. */
export function tooDeepAt(value: unknown, limit = MAX_JSON_DEPTH): JsonPath | undefined {
  let found: JsonPath | undefined;
  walkJson(value, (v, place) => {
    if (found) return false;
    // The root container is level 1, so a container at depth `limit` is level limit + 1.
    if (v && typeof v === 'object' && place.depth >= limit) {
      found = place.path();
      return false;
    }
    return true;
  });
  return found;
}
