/**
 * The fields of an approval's form in the inbox (the subset of JSON Schema the platform accepts: text, numbers,
 * whole numbers, yes/no, a choice from a list, a date), and the data a decision sends from what was typed. The server
 * checks the data again and answers every problem with its path, which is shown beside its field.
 */
export interface FormField {
  type: string;
  title?: string;
  description?: string;
  enum?: Array<string | number>;
  format?: string;
}
export interface TaskFormSchema {
  title?: string;
  description?: string;
  properties: Record<string, FormField>;
  required?: string[];
}

export type FormValues = Record<string, string | boolean>;

/** The form as the API gives it (a JSON object), or null when the approval has none. */
export function asTaskForm(form: unknown): TaskFormSchema | null {
  if (!form || typeof form !== 'object' || !('properties' in form)) return null;
  return form as TaskFormSchema;
}

const kindOf = (field: FormField) =>
  field.enum ? 'enum' : field.type === 'string' && field.format === 'date' ? 'date' : field.type;

/** The data to send: numbers as numbers, empty fields left out (the server says which are required). */
export function formData(form: TaskFormSchema, values: FormValues): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(form.properties)) {
    const value = values[name];
    const kind = kindOf(field);
    if (kind === 'boolean') data[name] = value === true;
    else if (typeof value !== 'string' || value === '') continue;
    else if (kind === 'number' || kind === 'integer')
      data[name] = Number.isFinite(Number(value)) ? Number(value) : value;
    else if (kind === 'enum') data[name] = field.enum?.find((v) => String(v) === value) ?? value;
    else data[name] = value;
  }
  return data;
}

export function TaskFormFields({
  idPrefix,
  form,
  values,
  problems,
  onChange,
}: {
  idPrefix: string;
  form: TaskFormSchema;
  values: FormValues;
  /** Problems by field name, from the server's answer. */
  problems: Record<string, string>;
  onChange: (values: FormValues) => void;
}) {
  const required = new Set(form.required ?? []);
  return (
    <fieldset className="task-form">
      <legend>{form.title ?? 'Form'}</legend>
      {form.description && <p className="muted">{form.description}</p>}
      {Object.entries(form.properties).map(([name, field]) => {
        const id = `${idPrefix}-${name}`;
        const label = `${field.title ?? name}${required.has(name) ? ' (required)' : ''}`;
        const set = (value: string | boolean) => onChange({ ...values, [name]: value });
        const kind = kindOf(field);
        const value = values[name];
        const invalid = problems[name] !== undefined;
        const common = {
          id,
          'aria-invalid': invalid || undefined,
          'aria-describedby': invalid ? `${id}-problem` : undefined,
        };
        return (
          <div key={name} className="task-field">
            {kind === 'boolean' ? (
              <label htmlFor={id}>
                <input {...common} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />{' '}
                {label}
              </label>
            ) : (
              <>
                <label htmlFor={id}>{label}</label>
                {kind === 'enum' ? (
                  <select
                    {...common}
                    value={typeof value === 'string' ? value : ''}
                    onChange={(e) => set(e.target.value)}
                  >
                    <option value="" />
                    {field.enum?.map((option) => (
                      <option key={String(option)} value={String(option)}>
                        {String(option)}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    {...common}
                    type={kind === 'number' || kind === 'integer' ? 'number' : kind === 'date' ? 'date' : 'text'}
                    step={kind === 'integer' ? 1 : kind === 'number' ? 'any' : undefined}
                    value={typeof value === 'string' ? value : ''}
                    onChange={(e) => set(e.target.value)}
                  />
                )}
              </>
            )}
            {field.description && <small className="muted">{field.description}</small>}
            {invalid && (
              <small id={`${id}-problem`} className="error">
                {problems[name]}
              </small>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
