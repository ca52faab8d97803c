/** Paths into JSON as problems name them: `body.definition.nodes[3].data.label`. */
import type { JsonPath } from '../interpreter/json-walk';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNPRINTABLE = new RegExp(`[\\u0000-\\u001f]|${LONE_SURROGATE.source}`, 'g');

/** A key as a path shows it: control characters and lone surrogates written as escapes, so the answer is readable. */
const printable = (key: string) =>
  key.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `body.definition.nodes[3].data.label`, the form validation errors use. */
export function pathText(root: string, path: JsonPath): string {
  return path.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : `${out}.${printable(s)}`), root);
}
