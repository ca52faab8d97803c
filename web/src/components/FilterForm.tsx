/**
 * The filter form the runs list, the reports and the dashboard share: the workflow and client pickers (loaded once
 * per page), status, requester and a range. Filters live in the page's URL, so a filtered page can be linked,
 * reloaded and reached by a click on a chart; applying the form navigates to the same page with the new query.
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactElement } from 'react';
import type { Session } from '../App';
import { apiFor, need } from '../api';
import { navigate } from '../router';

export const RUN_STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;

export type FilterName = 'workflowId' | 'clientId' | 'status' | 'triggeredBy' | 'from' | 'to';
export type Filters = Partial<Record<FilterName, string>>;

export interface Choice {
  id: string;
  name: string;
}

export interface Choices {
  workflows: Choice[];
  clients: Choice[];
  problem: string | null;
}

/** The tenant's workflows and clients, for pickers (the first hundred of each, as the other pages list them). */
export function useChoices(session: Session): Choices {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const [workflows, setWorkflows] = useState<Choice[]>([]);
  const [clients, setClients] = useState<Choice[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    need(api.GET('/api/workflows', { params: { query: { limit: 100 } } }))
      .then((page) => setWorkflows(page.items.map((w) => ({ id: w.id, name: w.name }))))
      .catch((error: Error) => setProblem(error.message));
    need(api.GET('/api/clients', { params: { query: { limit: 100 } } }))
      .then((page) => setClients(page.items.map((c) => ({ id: c.id, name: c.name }))))
      .catch(() => setClients([]));
  }, [api]);
  return { workflows, clients, problem };
}

/** The filters a page's query names, among `names`. */
export function filtersOf(search: URLSearchParams, names: readonly FilterName[]): Filters {
  return Object.fromEntries(names.flatMap((name) => (search.get(name) ? [[name, search.get(name)!]] : [])));
}

/** A link to `path` with these filters (empty ones left out). */
export function filterHref(path: string, filters: Filters): string {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as Array<[string, string]>);
  return query.size ? `${path}?${query.toString()}` : path;
}

/** A moment as a datetime-local input holds it (local time, to the minute). */
export const localInput = (date: Date) =>
  new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** A datetime-local value (or an ISO moment) as the API takes it. */
export const isoOf = (value: string | undefined) => (value ? new Date(value).toISOString() : undefined);

interface FilterFormProps {
  /** The pickers' workflows and clients (useChoices, called once by the page). */
  choices: Choices;
  /** The page the form navigates to (its own). */
  path: string;
  fields: readonly FilterName[];
  value: Filters;
  label: string;
  submit: string;
  /** Fields that must be filled (the reports need a workflow and a range). */
  required?: readonly FilterName[];
  /** Added to the query on apply, e.g. the dashboard's bucket. */
  keep?: Record<string, string>;
}

export function FilterForm({ choices, path, fields, value, label, submit, required = [], keep = {} }: FilterFormProps) {
  const { workflows, clients, problem } = choices;
  const [draft, setDraft] = useState<Filters>(value);
  const valueKey = JSON.stringify(value);
  useEffect(() => setDraft(value), [valueKey]);
  // A required workflow starts at the first one, so the form can be applied at once.
  useEffect(() => {
    if (required.includes('workflowId') && !draft.workflowId && workflows[0])
      setDraft((current) => ({ ...current, workflowId: workflows[0]!.id }));
  }, [workflows]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(filterHref(path, { ...keep, ...draft } as Filters));
  };
  const field = (name: FilterName) => ({
    value: draft[name] ?? '',
    required: required.includes(name),
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const picker = (name: FilterName, title: string, choices: Choice[]) => (
    <label key={name}>
      {title}
      <select {...field(name)}>
        {!required.includes(name) && <option value="">any</option>}
        {choices.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
  const inputs: Record<FilterName, () => ReactElement> = {
    workflowId: () => picker('workflowId', 'Workflow', workflows),
    clientId: () => picker('clientId', 'Client', clients),
    status: () =>
      picker(
        'status',
        'Status',
        RUN_STATUSES.map((s) => ({ id: s, name: s })),
      ),
    triggeredBy: () => (
      <label key="triggeredBy">
        Started by (user id)
        <input {...field('triggeredBy')} />
      </label>
    ),
    from: () => (
      <label key="from">
        From
        <input type="datetime-local" {...field('from')} />
      </label>
    ),
    to: () => (
      <label key="to">
        To
        <input type="datetime-local" {...field('to')} />
      </label>
    ),
  };
  return (
    <>
      <form className="filters" onSubmit={apply} aria-label={label}>
        {fields.map((name) => inputs[name]())}
        <button type="submit">{submit}</button>
      </form>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </>
  );
}
