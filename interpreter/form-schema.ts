/**
 * An approval's form as zod checks it at validation and publish (forms.ts says what a form is). The workflow reads
 * a stored form with form-reader.ts instead, which takes the same forms and makes the same values, without zod.
 */
import { z } from 'zod';
import { crossFieldProblems, FORM_LIMITS } from './forms';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const text = (max: number) => z.string().max(max);
const Bound = z.number().refine(Number.isFinite, 'a finite number');
const Length = z.number().int().min(0).max(FORM_LIMITS.textLength);

const FieldBase = z.object({ title: text(200).optional(), description: text(2000).optional() });

const EnumValues = z
  .array(z.union([text(200), Bound]), { error: 'enum is a list of strings or numbers' })
  .min(1, 'enum lists at least one value')
  .max(FORM_LIMITS.enumValues, `enum lists at most ${FORM_LIMITS.enumValues} values`)
  .refine((values) => new Set(values).size === values.length, 'enum values must be distinct');

/** One field as written; `enum` and `date` may be written as types of their own or in JSON Schema's way. */
const FieldSchema = z.discriminatedUnion(
  'type',
  [
    FieldBase.extend({
      type: z.literal('string'),
      enum: EnumValues.optional(),
      format: z.literal('date', { error: 'the only string format is "date"' }).optional(),
      minLength: Length.optional(),
      maxLength: Length.optional(),
    }).strict(),
    FieldBase.extend({ type: z.literal('number'), minimum: Bound.optional(), maximum: Bound.optional() }).strict(),
    FieldBase.extend({ type: z.literal('integer'), minimum: Bound.optional(), maximum: Bound.optional() }).strict(),
    FieldBase.extend({ type: z.literal('boolean') }).strict(),
    FieldBase.extend({ type: z.literal('enum'), enum: EnumValues }).strict(),
    FieldBase.extend({ type: z.literal('date') }).strict(),
  ],
  { error: 'a field type is string, number, integer, boolean, enum or date' },
);

/** A form as the node states it, checked at validation and publish. */
export const FormSchema = FieldBase.extend({
  type: z.literal('object', { error: 'a form is a JSON Schema of type "object"' }).default('object'),
  properties: z
    .record(z.string().regex(FIELD_NAME, 'field names are letters, digits and _ (at most 64)'), FieldSchema)
    .refine(
      (fields) => Object.keys(fields).length <= FORM_LIMITS.fields,
      `a form has at most ${FORM_LIMITS.fields} fields`,
    ),
  required: z.array(z.string()).max(FORM_LIMITS.fields).default([]),
  additionalProperties: z.literal(false).optional(),
})
  .strict()
  .superRefine((form, ctx) => {
    for (const { keys, message } of crossFieldProblems(form)) ctx.addIssue({ code: 'custom', path: keys, message });
  });

export type Form = z.output<typeof FormSchema>;
