/**
 * An approval's form read without zod, for the workflow: the same forms as FormSchema (form-schema.ts) take, made
 * into the same values, defaults and all (form-reader.test.ts holds the two to that over generated forms).
 */
import type { Form } from './form-schema';
import { crossFieldProblems, FORM_LIMITS } from './forms';
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

/** The cross-field rules FormSchema states too (forms.ts). */
function crossChecked(form: Form, at: Path, issues: Issue[]): Form | typeof FAIL {
  const problems = crossFieldProblems(form);
  for (const { keys, message } of problems) fail(issues, at, message, ...keys);
  return problems.length ? FAIL : form;
}

/** A stored form, read as FormSchema reads it. */
export const readForm: Reader<Form> = (value, at, issues, present) => {
  const form = formShape(value, at, issues, present);
  return typeof form === 'symbol' ? form : crossChecked(form as Form, at, issues);
};
