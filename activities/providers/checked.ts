/**
 * A provider's config, checked against its schema as rendered for this run. A send function takes only a
 * `Checked` config, and only `checkConfig` makes one: no send can skip the schema the catalogue publishes.
 */
import type { z } from 'zod';
import { toText } from '../../interpreter/templates';
import { invalidConfig } from '../errors';

declare const checked: unique symbol;
export type Checked<T> = T & { readonly [checked]: true };

/** `raw` checked against `schema`, or a permanent `InvalidConfig` failure listing every problem. */
export function checkConfig<S extends z.ZodType>(what: string, schema: S, raw: unknown): Checked<z.output<S>> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidConfig(what, parsed.error);
  return parsed.data as Checked<z.output<S>>;
}

/**
 * A template that is exactly one expression keeps its value's type (interpreter/templates.ts): a text field
 * shows such a value as text, as a template inside a longer text would. Absent stays absent.
 */
export function asText(value: unknown): unknown {
  return value === undefined || value === null || typeof value === 'string' ? (value ?? undefined) : toText(value);
}

/** A field of addresses: a list (a template may have placed a list inside it) or one text. */
export function asTextList(value: unknown): unknown {
  return Array.isArray(value) ? value.flat().map(asText) : asText(value);
}

/** Addresses given as a list or as one comma-separated text, each trimmed. */
export function addressList(value: string | readonly string[]): string[] {
  return ([] as string[])
    .concat(value)
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A value built only from a checked config (a message read out of it) counts as checked too. */
export function derivedFrom<T>(_source: Checked<unknown>, value: T): Checked<T> {
  return value as Checked<T>;
}
