/**
 * Readers of JSON values in plain TypeScript: the few of zod's parts that the workflow needs to type a stored node
 * (defaults, transforms, a problem with its path for each wrong field), so the workflow bundle carries no zod. The
 * Temporal SDK evaluates the bundle's modules for every run it holds; zod's were the largest part of that cost.
 *
 * A reader answers the value it made, FAIL after pushing its problems, or SKIP for an optional key not given (left
 * out of the output, as zod leaves it). Messages follow zod's English ones, so a problem reads the same at publish
 * (validate.ts, on zod) and at run start (graph.ts, on these).
 */

export interface Issue {
  path: Array<string | number>;
  message: string;
}

export const FAIL: unique symbol = Symbol('fail');
export const SKIP: unique symbol = Symbol('skip');
export type Outcome<T> = T | typeof FAIL | typeof SKIP;

/** Where a reader is, as a chain up to the root: an array is made only for a problem (reading 5,000 nodes). */
export type Path = { readonly up: Path; readonly key: string | number } | null;
export type Reader<T> = (value: unknown, at: Path, issues: Issue[], present: boolean) => Outcome<T>;

const child = (at: Path, key: string | number): Path => ({ up: at, key });

function pathOf(at: Path): Array<string | number> {
  const keys: Array<string | number> = [];
  for (let step = at; step; step = step.up) keys.push(step.key);
  return keys.reverse();
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const typeName = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

const quoted = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Records a problem at `at` (and below it, by `keys`). */
export function fail(issues: Issue[], at: Path, message: string, ...keys: Array<string | number>): typeof FAIL {
  issues.push({ path: [...pathOf(at), ...keys], message });
  return FAIL;
}

const wrongType = (expected: string, value: unknown) =>
  `Invalid input: expected ${expected}, received ${typeName(value)}`;

type Bound = [number, string?];

export const unknown: Reader<unknown> = (value) => value;

export function string(
  checks: { min?: Bound; max?: Bound; pattern?: [RegExp, string] } = {},
  notString?: string,
): Reader<string> {
  return (value, at, issues) => {
    if (typeof value !== 'string') return fail(issues, at, notString ?? wrongType('string', value));
    let ok = true;
    const { min, max, pattern } = checks;
    if (min && value.length < min[0])
      ok = !fail(issues, at, min[1] ?? `Too small: expected string to have >=${min[0]} characters`);
    if (max && value.length > max[0])
      ok = !fail(issues, at, max[1] ?? `Too big: expected string to have <=${max[0]} characters`);
    if (pattern && !pattern[0].test(value)) ok = !fail(issues, at, pattern[1]);
    return ok ? value : FAIL;
  };
}

export function number(checks: { int?: boolean; min?: Bound; max?: Bound } = {}, notNumber?: string): Reader<number> {
  return (value, at, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value))
      return fail(issues, at, notNumber ?? wrongType('number', value));
    const { int, min, max } = checks;
    if (int && !Number.isSafeInteger(value)) return fail(issues, at, notNumber ?? wrongType('int', value));
    let ok = true;
    if (min && value < min[0]) ok = !fail(issues, at, min[1] ?? `Too small: expected number to be >=${min[0]}`);
    if (max && value > max[0]) ok = !fail(issues, at, max[1] ?? `Too big: expected number to be <=${max[0]}`);
    return ok ? value : FAIL;
  };
}

export const boolean: Reader<boolean> = (value, at, issues) =>
  typeof value === 'boolean' ? value : fail(issues, at, wrongType('boolean', value));

/** One of a few literal values (zod's enum and literal). */
export function oneOf<const T extends string | boolean>(values: readonly T[], message?: string): Reader<T> {
  return (value, at, issues) =>
    values.includes(value as T)
      ? (value as T)
      : fail(
          issues,
          at,
          message ??
            (values.length === 1
              ? `Invalid input: expected ${quoted(values[0])}`
              : `Invalid option: expected one of ${values.map(quoted).join('|')}`),
        );
}

/** Leaves an absent key out; a key given is read. */
export const optional =
  <T>(read: Reader<T>): Reader<T | undefined> =>
  (value, at, issues, present) =>
    value === undefined ? (present ? undefined : SKIP) : read(value, at, issues, present);

/** Null or absent read as given. */
export const nullish =
  <T>(read: Reader<T>): Reader<T | null | undefined> =>
  (value, at, issues, present) =>
    value === null ? null : optional(read)(value, at, issues, present);

export const withDefault =
  <T>(read: Reader<T>, make: () => T): Reader<T> =>
  (value, at, issues, present) =>
    value === undefined ? make() : read(value, at, issues, present);

/** A value that does not read becomes the fallback, with no problem reported. */
export const orElse =
  <T, F>(read: Reader<T>, fallback: () => F): Reader<T | F> =>
  (value, at, _issues, present) => {
    const result = read(value, at, [], present);
    return result === FAIL ? fallback() : result;
  };

export const map =
  <T, U>(read: Reader<T>, to: (value: T, at: Path, issues: Issue[]) => U | typeof FAIL): Reader<U> =>
  (value, at, issues, present) => {
    const result = read(value, at, issues, present);
    if (result === FAIL) return FAIL;
    if (result === SKIP) return SKIP;
    return to(result as T, at, issues);
  };

/** A check over a value that read, with the message when it does not hold. */
export const refine =
  <T>(read: Reader<T>, holds: (value: T) => boolean, message: string): Reader<T> =>
  (value, at, issues, present) => {
    const result = read(value, at, issues, present);
    return result === FAIL || result === SKIP || holds(result) ? result : fail(issues, at, message);
  };

/** The first of several readers that reads the value. */
export const anyOf =
  <T>(readers: ReadonlyArray<Reader<T>>): Reader<T> =>
  (value, at, issues, present) => {
    for (const read of readers) {
      const result = read(value, at, [], present);
      if (result !== FAIL) return result;
    }
    return fail(issues, at, 'Invalid input');
  };

export function array<T>(item: Reader<T>, size: { min?: Bound; max?: Bound } = {}, notArray?: string): Reader<T[]> {
  return (value, at, issues) => {
    if (!Array.isArray(value)) return fail(issues, at, notArray ?? wrongType('array', value));
    const out: T[] = [];
    let ok = true;
    value.forEach((element, i) => {
      const result = item(element, child(at, i), issues, true);
      if (result === FAIL) ok = false;
      else out.push(result as T);
    });
    const { min, max } = size;
    if (min && value.length < min[0])
      ok = !fail(issues, at, min[1] ?? `Too small: expected array to have >=${min[0]} items`);
    if (max && value.length > max[0])
      ok = !fail(issues, at, max[1] ?? `Too big: expected array to have <=${max[0]} items`);
    return ok ? out : FAIL;
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  isObject(value) && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** An object of any keys (that pass `key`, when given) whose values all read. */
export function record<T>(key: Reader<string> | undefined, item: Reader<T>): Reader<Record<string, T>> {
  return (value, at, issues) => {
    if (!isPlainObject(value)) return fail(issues, at, wrongType('record', value));
    const out: Record<string, T> = {};
    let ok = true;
    for (const name of Object.keys(value)) {
      if (name === '__proto__') continue;
      if (key && key(name, child(at, name), [], true) === FAIL) {
        ok = !fail(issues, at, 'Invalid key in record', name);
        continue;
      }
      const result = item(value[name], child(at, name), issues, true);
      if (result === FAIL) ok = false;
      else if (result !== SKIP) out[name] = result;
    }
    return ok ? out : FAIL;
  };
}

type Shape = Record<string, Reader<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: Exclude<ReturnType<S[K]>, typeof FAIL | typeof SKIP> };

/**
 * An object of known keys. `strip` leaves other keys out, `loose` keeps them as given, `strict` refuses them.
 */
export function object<S extends Shape>(
  shape: S,
  mode: 'strip' | 'loose' | 'strict',
  notObject?: string,
): Reader<Out<S> & Record<string, unknown>> {
  const fields = Object.entries(shape);
  const known = new Set(Object.keys(shape));
  return (value, at, issues) => {
    if (!isObject(value)) return fail(issues, at, notObject ?? wrongType('object', value));
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const [key, read] of fields) {
      const result = read(value[key], child(at, key), issues, key in value);
      if (result === FAIL) ok = false;
      else if (result !== SKIP) out[key] = result;
    }
    if (mode === 'strip') return ok ? (out as Out<S>) : FAIL;
    const extra: string[] = [];
    for (const key of Object.keys(value)) if (!known.has(key)) extra.push(key);
    if (mode === 'loose') for (const key of extra) if (key !== '__proto__') out[key] = value[key];
    if (mode === 'strict' && extra.length > 0)
      ok = !fail(issues, at, `Unrecognized key${extra.length > 1 ? 's' : ''}: ${extra.map(quoted).join(', ')}`);
    return ok ? (out as Out<S>) : FAIL;
  };
}

/** An object read by the reader its `key` names. */
export function byKey(key: string, readers: Record<string, Reader<unknown>>, noMatch?: string): Reader<unknown> {
  const names = Object.keys(readers);
  return (value, at, issues, present) => {
    if (!isObject(value)) return fail(issues, at, wrongType('object', value));
    const tag = value[key];
    const read = typeof tag === 'string' && Object.hasOwn(readers, tag) ? readers[tag] : undefined;
    if (read) return read(value, at, issues, present);
    const expected = `Invalid discriminator value. Expected ${names.map((n) => `'${n}'`).join(' | ')}`;
    return fail(issues, at, noMatch ?? expected, key);
  };
}

/** Reads a whole value: its value, or every problem found. */
export function readAll<T>(read: Reader<T>, value: unknown): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const result = read(value, null, issues, true);
  return result === FAIL || result === SKIP ? { ok: false, issues } : { ok: true, value: result };
}
