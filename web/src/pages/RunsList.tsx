/**
 * Runs, newest first, a page at a time (the API's cursor: thousands of runs never load at once), filtered by
 * what GET /api/runs supports. The filters are the page's URL (`/?workflowId=…&clientId=…&from=…`), so the reports
 * and the dashboard link here filtered. Live: any change to the tenant's runs reads the first page again.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type Run } from '../api';
import {
  FilterForm,
  filtersOf,
  isoOf,
  RUN_STATUSES,
  useChoices,
  type FilterName,
  type Filters,
} from '../components/FilterForm';
import { StatusBadge } from '../components/StatusBadge';
import { when } from '../format';
import { useLive } from '../live';
import { Link, useLocation } from '../router';

const PAGE = 25;
const FIELDS: readonly FilterName[] = ['workflowId', 'clientId', 'status', 'triggeredBy', 'from', 'to'];

function query(filters: Filters, cursor?: string) {
  return {
    limit: PAGE,
    ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
    ...(filters.clientId ? { clientId: filters.clientId } : {}),
    ...(filters.status ? { status: filters.status as (typeof RUN_STATUSES)[number] } : {}),
    ...(filters.triggeredBy ? { triggeredBy: filters.triggeredBy } : {}),
    ...(filters.from ? { from: isoOf(filters.from) } : {}),
    ...(filters.to ? { to: isoOf(filters.to) } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

export function RunsList({ session }: { session: Session }) {
  const api = apiFor(session.key);
  const { search } = useLocation();
  const searchKey = search.toString();
  const filters = useMemo(() => filtersOf(search, FIELDS), [searchKey]);
  const [runs, setRuns] = useState<Run[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const choices = useChoices(session);
  const { workflows } = choices;
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

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

  const names = new Map(workflows.map((w) => [w.id, w.name]));

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <FilterForm choices={choices} path="/" fields={FIELDS} value={filters} label="Filter runs" submit="Apply" />
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
