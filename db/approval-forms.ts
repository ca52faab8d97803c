/**
 * The form an approval's row holds. PostgreSQL's jsonb does not keep the order of an object's keys, so the row keeps
 * the order of the form's fields beside it (`fieldOrder`), and every reader gets the fields back in the order the
 * definition gave them.
 */
import type { workflowApprovals } from './schema';
import { type Form, FormSchema } from '../interpreter/form-schema';

type Stored = Record<string, unknown> & { properties?: Record<string, unknown>; fieldOrder?: unknown };

/** The form as the row stores it. */
export function storedForm(form: Form | null | undefined): Record<string, unknown> | null {
  return form ? { ...form, fieldOrder: Object.keys(form.properties) } : null;
}

/** The stored form as the definition gave it: its fields in their order, without the order kept beside them. */
export function formView(stored: unknown): Record<string, unknown> | null {
  if (stored === null || typeof stored !== 'object') return null;
  const { fieldOrder, ...form } = stored as Stored;
  const properties = form.properties ?? {};
  const order = Array.isArray(fieldOrder)
    ? fieldOrder.filter((name): name is string => Object.hasOwn(properties, name))
    : [];
  const names = [...order, ...Object.keys(properties).filter((name) => !order.includes(name))];
  return { ...form, properties: Object.fromEntries(names.map((name) => [name, properties[name]])) };
}

/** The form stored with the approval (checked at publish), or null when it has none. */
export function formOf(row: Pick<typeof workflowApprovals.$inferSelect, 'form'>): Form | null {
  const form = formView(row.form);
  if (!form) return null;
  const parsed = FormSchema.safeParse(form);
  return parsed.success ? parsed.data : null;
}
