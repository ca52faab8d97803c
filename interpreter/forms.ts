/**
 * Approval forms: the data a decision carries, described by a small subset of JSON Schema (an object whose
 * `properties` are strings, numbers, integers, booleans, enums or dates; `required`; `title` and `description`).
 * The form is checked when a definition is validated or published (FormSchema, in form-schema.ts: zod stays out of the
 * workflow's bundle) and a decision's data against it when the decision arrives (checkFormData), by the API for a
 * quick answer and again by the workflow, which counts.
 *
 * No `pattern` or other user-supplied expression is accepted: every check here is linear in the size of the data.
 */
import type { Form } from './form-schema';
import type { Problem } from './problems';

export type { Form } from './form-schema';

/** Limits that keep a form, and the data it takes, small enough to show on a page and store with a vote. */
export const FORM_LIMITS = { fields: 50, enumValues: 100, textLength: 10_000, defaultTextLength: 5_000 } as const;

/**
 * The rules across a form's fields: each required field exists, and no field's lower bound is above its upper. One
 * statement of them for the form's zod schema (validation, publish) and its plain reader (the workflow).
 */
export function crossFieldProblems(
  form: Pick<Form, 'properties' | 'required'>,
): Array<{ keys: [string, string | number]; message: string }> {
  const problems: Array<{ keys: [string, string | number]; message: string }> = [];
  form.required.forEach((name, i) => {
    if (!Object.hasOwn(form.properties, name))
      problems.push({ keys: ['required', i], message: `"${name}" is not one of the form's fields` });
  });
  for (const [name, field] of Object.entries(form.properties)) {
    const [low, high] =
      field.type === 'string'
        ? [field.minLength, field.maxLength]
        : field.type === 'number' || field.type === 'integer'
          ? [field.minimum, field.maximum]
          : [undefined, undefined];
    if (low !== undefined && high !== undefined && low > high)
      problems.push({ keys: ['properties', name], message: 'its lower bound is above its upper bound' });
  }
  return problems;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

type Field = Form['properties'][string];

/** What kind of input a field takes, with `enum` and `date` told apart however they were written. */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'date';

export function kindOf(field: Field): FieldKind {
  if (field.type === 'string') return field.enum ? 'enum' : field.format === 'date' ? 'date' : 'string';
  return field.type;
}

/** Whether a decision must fill in the form: rejecting a request never needs its data. */
export const formRequired = (form: Form | null | undefined, decision: string): boolean =>
  !!form && form.required.length > 0 && decision !== 'rejected';

const isDate = (value: string): boolean => {
  const match = DATE.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value;

/** Problems of one value against its field; none when it fits. */
function checkField(field: Field, value: unknown): string[] {
  const kind = kindOf(field);
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`must be true or false, not ${describe(value)}`];
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`must be a number, not ${describe(value)}`];
      if (kind === 'integer' && !Number.isSafeInteger(value)) return ['must be a whole number'];
      const bounds = field as { minimum?: number; maximum?: number };
      if (bounds.minimum !== undefined && value < bounds.minimum) return [`must be at least ${bounds.minimum}`];
      if (bounds.maximum !== undefined && value > bounds.maximum) return [`must be at most ${bounds.maximum}`];
      return [];
    }
    case 'enum': {
      const values = (field as { enum: Array<string | number> }).enum;
      return values.includes(value as string | number)
        ? []
        : [`must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`];
    }
    case 'date':
      return typeof value === 'string' && isDate(value) ? [] : ['must be a date written YYYY-MM-DD'];
    case 'string': {
      if (typeof value !== 'string') return [`must be text, not ${describe(value)}`];
      const { minLength = 0, maxLength = FORM_LIMITS.defaultTextLength } = field as {
        minLength?: number;
        maxLength?: number;
      };
      if (value.length < minLength) return [`must be at least ${minLength} characters`];
      if (value.length > maxLength) return [`must be at most ${maxLength} characters`];
      return [];
    }
  }
}

/**
 * Every problem of a decision's `data` against the approval's form (none when it fits), each with its path under
 * `base` (e.g. `body.data.amount`). Without a form a decision takes no data. Required fields are required of every
 * decision but a rejection; a field given is always checked, and a field the form does not have is refused.
 */
export function checkFormData(
  form: Form | null | undefined,
  data: unknown,
  decision: string,
  base = 'data',
): Problem[] {
  const empty = data === undefined || data === null;
  if (!form) {
    const isEmptyObject = typeof data === 'object' && data !== null && Object.keys(data).length === 0;
    return empty || isEmptyObject ? [] : [{ path: base, message: 'this approval has no form: it takes no data' }];
  }
  if (!empty && (typeof data !== 'object' || Array.isArray(data)))
    return [{ path: base, message: `must be an object of the form's fields, not ${describe(data)}` }];
  const given = (empty ? {} : data) as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(form.properties, name))
      problems.push({ path: `${base}.${name}`, message: 'is not a field of this form' });
  }
  for (const [name, field] of Object.entries(form.properties)) {
    const path = `${base}.${name}`;
    if (!Object.hasOwn(given, name) || given[name] === null || given[name] === '') {
      if (formRequired(form, decision) && form.required.includes(name))
        problems.push({ path, message: `is required (${field.title ?? name})` });
      continue;
    }
    for (const message of checkField(field, given[name])) problems.push({ path, message });
  }
  return problems;
}

/** The data as it is recorded: only the fields given, empty ones left out. */
export function formData(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const kept = Object.entries(data).filter(([, value]) => value !== null && value !== '');
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/**
 * Data posted from an HTML form (every value text) typed by the form's fields, so it is checked like JSON data. Text
 * that does not read as its field's type is kept as text, and the check says what is wrong with it.
 */
export function fromFormText(form: Form, posted: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(form.properties)) {
    const raw = posted[`field.${name}`];
    const kind = kindOf(field);
    if (kind === 'boolean') {
      // An unticked checkbox sends nothing: false, not missing.
      data[name] = raw === 'true' || raw === 'on';
      continue;
    }
    if (typeof raw !== 'string' || raw === '') continue;
    if (kind === 'number' || kind === 'integer') {
      const n = Number(raw);
      data[name] = raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    } else if (kind === 'enum') {
      const values = (field as { enum: Array<string | number> }).enum;
      data[name] = values.find((v) => String(v) === raw) ?? raw;
    } else data[name] = raw;
  }
  return data;
}
