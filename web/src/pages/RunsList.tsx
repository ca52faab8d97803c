/**
 * Runs, newest first, a page at a time (the API's cursor: thousands of runs never load at once), filtered by
 * what GET /api/runs supports. Live: any change to the tenant's runs reads the first page again.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Session } from '../App';
import { apiFor, need, type Run } from '../api';
import { StatusBadge } from '../components/StatusBadge';
import { when } from '../format';
import { useLive } from '../live';
import { Link } from '../router';

const STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
const PAGE = 25;

interface Filters {
  workflowId: string;
  status: string;
  triggeredBy: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { workflowId: '', status: '', triggeredBy: '', from: '', to: '' };

/** Filters a link may carry (`/?workflowId=…&from=…&to=…`, as the reports page links here). */
function linkedFilters(): Filters {
  const search = new URLSearchParams(window.location.search);
  return Object.fromEntries(
    Object.entries(EMPTY).map(([name, empty]) => [name, search.get(name) ?? empty]),
  ) as unknown as Filters;
}

function query(filters: Filters, cursor?: string) {
  return {
    limit: PAGE,
    ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
    ...(filters.status ? { status: filters.status as (typeof STATUSES)[number] } : {}),
    ...(filters.triggeredBy ? { triggeredBy: filters.triggeredBy } : {}),
    ...(filters.from ? { from: new Date(filters.from).toISOString() } : {}),
    ...(filters.to ? { to: new Date(filters.to).toISOString() } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

export function RunsList({ session }: { session: Session }) {
  const api = apiFor(session.key);
  const [draft, setDraft] = useState<Filters>(linkedFilters);
  const [filters, setFilters] = useState<Filters>(linkedFilters);
  const [runs, setRuns] = useState<Run[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [workflows, setWorkflows] = useState<Array<{ id: string; name: string }>>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    need(api.GET('/api/workflows', { params: { query: { limit: 100 } } }))
      .then((page) => setWorkflows(page.items.map((w) => ({ id: w.id, name: w.name }))))
      .catch(() => setWorkflows([]));
  }, [session.key]);

  const firstPage = useCallback(async () => {
    try {
      const page = await need(api.GET('/api/runs', { params: { query: query(filters) } }));
      // Live refresh keeps the pages already loaded below the first one.
      setRuns((current) => {
        const fresh = new Set(page.items.map((r) => r.id));
        const oldest = page.items.at(-1)?.createdAt;
        const kept = page.nextCursor && oldest ? current.filter((r) => !fresh.has(r.id) && r.createdAt < oldest) : [];
        return [...page.items, ...kept];
      });
      setCursor((current) => (current && page.nextCursor ? current : page.nextCursor));
      setProblem(null);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setLoading(false);
    }
  }, [session.key, filters]);

  useEffect(() => {
    setRuns([]);
    setCursor(null);
    setLoading(true);
    void firstPage();
  }, [firstPage]);

  useLive('/api/run-events', session.key, () => void firstPage());

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await need(api.GET('/api/runs', { params: { query: query(filters, cursor) } }));
      setRuns((current) => [...current, ...page.items.filter((r) => !current.some((c) => c.id === r.id))]);
      setCursor(page.nextCursor);
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const names = new Map(workflows.map((w) => [w.id, w.name]));
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter runs">
        <label>
          Workflow
          <select {...field('workflowId')}>
            <option value="">any</option>
            {workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select {...field('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started by (user id)
          <input {...field('triggeredBy')} />
        </label>
        <label>
          From
          <input type="datetime-local" {...field('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" {...field('to')} />
        </label>
        <button type="submit">Apply</button>
      </form>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <div className="table-wrap">
        <table className="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Workflow</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Started</th>
              <th>Started by</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-run-id={run.id}>
                <td>
                  <Link href={`/runs/${encodeURIComponent(run.id)}`}>{run.id.slice(0, 16)}…</Link>
                </td>
                <td>
                  {names.get(run.workflowId) ?? run.workflowId.slice(0, 8)}{' '}
                  <span className="muted">v{run.version}</span>
                </td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>{run.progress}%</td>
                <td>{when(run.startedAt ?? run.createdAt)}</td>
                <td>{run.triggeredBy ?? run.triggerSource}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && runs.length === 0 && <p className="muted">No runs match.</p>}
      {cursor && (
        <button type="button" onClick={more}>
          Load more
        </button>
      )}
    </section>
  );
}
