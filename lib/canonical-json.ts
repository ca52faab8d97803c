/** JSON with sorted keys, and hashes of it: equal values (whatever their key order) hash equally. */
import { createHash } from 'node:crypto';

/** JSON with sorted keys, so equal definitions hash equally (PostgreSQL's jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Hash of a JSON value independent of key order. */
export const stableHash = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex');
