/**
 * An approval's form read without zod, for the workflow: the same forms as FormSchema (form-schema.ts) take, made
 * into the same values, defaults and all (form-reader.test.ts holds the two to that over generated forms).
 */
import type { Form } from './form-schema';
import { FORM_LIMITS } from './forms';
import {
  array,
  anyOf,
  byKey,
  fail,
  FAIL,
  type Issue,
  number,
  object,
  oneOf,
  optional,
  type Path,
  type Reader,
  record,
  refine,
  string,
  withDefault,
} from './readers';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const text = (max: number) => string({ max: [max] });
const bound = number();
const length = number({ int: true, min: [0], max: [FORM_LIMITS.textLength] });
const base = { title: optional(text(200)), description: optional(text(2000)) };

const enumValues = refine(
  array(
    anyOf<string | number>([text(200), bound]),
    {
      min: [1, 'enum lists at least one value'],
      max: [FORM_LIMITS.enumValues, `enum lists at most ${FORM_LIMITS.enumValues} values`],
    },
    'enum is a list of strings or numbers',
  ),
  (values) => new Set(values).size === values.length,
  'enum values must be distinct',
);

const field = byKey(
  'type',
  {
    string: object(
      {
        ...base,
        type: oneOf(['string']),
        enum: optional(enumValues),
        format: optional(oneOf(['date'], 'the only string format is "date"')),
        minLength: optional(length),
        maxLength: optional(length),
      },
      'strict',
    ),
    number: object({ ...base, type: oneOf(['number']), minimum: optional(bound), maximum: optional(bound) }, 'strict'),
    integer: object(
      { ...base, type: oneOf(['integer']), minimum: optional(bound), maximum: optional(bound) },
      'strict',
    ),
    boolean: object({ ...base, type: oneOf(['boolean']) }, 'strict'),
    enum: object({ ...base, type: oneOf(['enum']), enum: enumValues }, 'strict'),
    date: object({ ...base, type: oneOf(['date']) }, 'strict'),
  },
  'a field type is string, number, integer, boolean, enum or date',
);

const formShape = object(
  {
    ...base,
    type: withDefault(oneOf(['object'], 'a form is a JSON Schema of type "object"'), () => 'object' as const),
    properties: refine(
      record(string({ pattern: [FIELD_NAME, 'field names are letters, digits and _ (at most 64)'] }), field),
      (fields) => Object.keys(fields).length <= FORM_LIMITS.fields,
      `a form has at most ${FORM_LIMITS.fields} fields`,
    ),
    required: withDefault(array(string(), { max: [FORM_LIMITS.fields] }), () => []),
    additionalProperties: optional(oneOf([false])),
  },
  'strict',
);

/** The cross-field rules FormSchema's superRefine states: required fields exist; no bound above its other. */
function crossChecked(form: Form, at: Path, issues: Issue[]): Form | typeof FAIL {
  const before = issues.length;
  form.required.forEach((name, i) => {
    if (!Object.hasOwn(form.properties, name))
      fail(issues, at, `"${name}" is not one of the form's fields`, 'required', i);
  });
  for (const [name, field] of Object.entries(form.properties)) {
    const [low, high] =
      field.type === 'string'
        ? [field.minLength, field.maxLength]
        : field.type === 'number' || field.type === 'integer'
          ? [field.minimum, field.maximum]
          : [undefined, undefined];
    if (low !== undefined && high !== undefined && low > high)
      fail(issues, at, 'its lower bound is above its upper bound', 'properties', name);
  }
  return issues.length > before ? FAIL : form;
}

/** A stored form, read as FormSchema reads it. */
export const readForm: Reader<Form> = (value, at, issues, present) => {
  const form = formShape(value, at, issues, present);
  return typeof form === 'symbol' ? form : crossChecked(form as Form, at, issues);
};
