/** The fields of an approval's form as HTML inputs on the approval link page (names `field.<name>`). */
import { type Form, kindOf } from '../../interpreter/forms';

type Escape = (text: unknown) => string;

/** HTML inputs for every field of `form` (nothing without one); the browser checks what it can, the server all. */
export function formFields(form: Form | null, escape: Escape): string {
  if (!form) return '';
  const heading = form.title ? `<h2>${escape(form.title)}</h2>` : '';
  const intro = form.description ? `<p class="muted">${escape(form.description)}</p>` : '';
  const fields = Object.entries(form.properties).map(([name, field]) => {
    const id = `field-${escape(name)}`;
    const required = form.required.includes(name);
    const label = `${escape(field.title ?? name)}${required ? ' (required)' : ''}`;
    const help = field.description ? `<br><span class="muted">${escape(field.description)}</span>` : '';
    const input = inputFor(field, `field.${name}`, id, escape);
    if (kindOf(field) === 'boolean') return `<p><label for="${id}">${input} ${label}</label>${help}</p>`;
    return `<p><label for="${id}">${label}</label>${help}<br>${input}</p>`;
  });
  return `<fieldset>${heading}${intro}${fields.join('')}</fieldset>`;
}

function inputFor(field: Form['properties'][string], name: string, id: string, escape: Escape): string {
  const attrs = `name="${escape(name)}" id="${id}"`;
  switch (kindOf(field)) {
    case 'boolean':
      return `<input type="checkbox" ${attrs} value="true">`;
    case 'number':
      return `<input type="number" step="any" ${attrs}>`;
    case 'integer':
      return `<input type="number" step="1" ${attrs}>`;
    case 'date':
      return `<input type="date" ${attrs}>`;
    case 'enum': {
      const values = (field as { enum: Array<string | number> }).enum;
      const options = values.map((v) => `<option value="${escape(v)}">${escape(v)}</option>`).join('');
      return `<select ${attrs}><option value=""></option>${options}</select>`;
    }
    default:
      return `<input type="text" ${attrs}>`;
  }
}
