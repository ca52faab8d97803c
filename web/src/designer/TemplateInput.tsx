/**
 * A text field (or, multiline, a text area: JSON values hold templates too) that offers template paths: typing `{{`
 * opens a list of the paths the node may read (completions.ts), narrowed as more is typed; Enter, Tab or a click
 * writes `{{ path }}` in place.
 */
import { useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react';

const OPEN = /\{\{\s*([\w.[\]-]*)$/;
const SHOWN = 12;

interface Props {
  id: string;
  value: string;
  placeholder?: string;
  describedBy?: string;
  paths: () => string[];
  onChange: (value: string) => void;
  onBlur?: () => void;
  /** A text area of this many rows. */
  rows?: number;
}

export function TemplateInput({ id, value, placeholder, describedBy, paths, onChange, onBlur, rows }: Props) {
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  // Where the `{{` being completed starts, and what follows it so far.
  const [open, setOpen] = useState<{ from: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const options = open
    ? paths()
        .filter((p) => p.toLowerCase().includes(open.query.toLowerCase()))
        .slice(0, SHOWN)
    : [];

  const track = (text: string, caret: number | null) => {
    const match = caret === null ? null : OPEN.exec(text.slice(0, caret));
    setOpen(match ? { from: match.index, query: match[1]! } : null);
    setActive(0);
  };

  const choose = (path: string) => {
    if (!open) return;
    const caret = field.current?.selectionStart ?? value.length;
    const inserted = `{{ ${path} }}`;
    onChange(value.slice(0, open.from) + inserted + value.slice(caret));
    setOpen(null);
    const at = open.from + inserted.length;
    requestAnimationFrame(() => field.current?.setSelectionRange(at, at));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (!open || options.length === 0) return;
    if (event.key === 'ArrowDown') setActive((i) => (i + 1) % options.length);
    else if (event.key === 'ArrowUp') setActive((i) => (i - 1 + options.length) % options.length);
    else if (event.key === 'Enter' || event.key === 'Tab') choose(options[active]!);
    else if (event.key === 'Escape') setOpen(null);
    else return;
    event.preventDefault();
  };

  const listId = `${id}-paths`;
  const fieldProps = {
    ref: field,
    id,
    value,
    placeholder,
    role: 'combobox',
    'aria-autocomplete': 'list' as const,
    'aria-expanded': options.length > 0,
    'aria-controls': listId,
    'aria-describedby': describedBy,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      onChange(e.target.value);
      track(e.target.value, e.target.selectionStart);
    },
    onKeyDown,
    onBlur: () => {
      setOpen(null);
      onBlur?.();
    },
  };
  return (
    <div className="template-input">
      {rows ? <textarea {...fieldProps} rows={rows} /> : <input {...fieldProps} />}
      {options.length > 0 && (
        <ul id={listId} role="listbox" aria-label="Template paths" className="template-paths">
          {options.map((path, i) => (
            <li
              key={path}
              role="option"
              aria-selected={i === active}
              // Before the field's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                choose(path);
              }}
            >
              {path}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
