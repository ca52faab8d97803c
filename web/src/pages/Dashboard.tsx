/**
 * The dashboard: for a range (and optionally one workflow and one client), runs over time by status
 * (GET /api/reports/series), duration percentiles per workflow (GET /api/reports/overview), and for the chosen
 * workflow (or the busiest one) its slowest nodes and its approvers' time to decision (GET /api/reports/workflows/:id).
 * A click on a point or bar opens the runs list filtered to what it counts.
 */
import { useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type WorkflowReport } from '../api';
import type { components } from '../../../client';
import { Chart } from '../components/Chart';
import {
  FilterForm,
  filterHref,
  filtersOf,
  isoOf,
  localInput,
  useChoices,
  type FilterName,
  type Filters,
} from '../components/FilterForm';
import { duration } from '../format';
import { navigate, useLocation } from '../router';

type Overview = components['schemas']['ReportOverview'];
type Series = components['schemas']['RunSeries'];

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const FIELDS: readonly FilterName[] = ['workflowId', 'clientId', 'from', 'to'];
/** The colours of the run statuses, as the badges and the graph show them. */
const STATUS_COLOURS: Record<string, string> = {
  completed: '#1f8a4c',
  failed: '#c0392b',
  running: '#2554c7',
  paused: '#b7791f',
  pending: '#7a8394',
  cancelled: '#4a4f59',
};
const P95 = '#7d9be0';
const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
const hours = (ms: number | null) => (ms === null ? null : ms / HOUR_MS);
const inWords = (s: number) => duration(s * 1000);
const P50 = '#2554c7';

export function Dashboard({ session }: { session: Session }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const { search } = useLocation();
  const choices = useChoices(session);
  const searchKey = search.toString();
  const chosen = useMemo(() => filtersOf(search, FIELDS), [searchKey]);
  // Without a range in the URL: the last 7 days, to the next minute.
  const range = useMemo(() => {
    const now = Date.now();
    return {
      from: chosen.from ?? localInput(new Date(now - 7 * DAY_MS)),
      to: chosen.to ?? localInput(new Date(now + 60_000)),
    };
  }, [chosen]);
  const filters: Filters = { ...chosen, ...range };
  const { workflowId, clientId } = chosen;
  const from = isoOf(range.from)!;
  const to = isoOf(range.to)!;
  const bucket = Date.parse(to) - Date.parse(from) <= 3 * DAY_MS ? 'hour' : 'day';

  const [series, setSeries] = useState<Series | null>(null);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [report, setReport] = useState<WorkflowReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  /** Approver id → the user's name, for the approver chart (an approver that is not a user keeps its id). */
  const [names, setNames] = useState<Record<string, string>>({});

  useEffect(() => {
    const client = clientId ? { clientId } : {};
    setProblem(null);
    Promise.all([
      need(
        api.GET('/api/reports/series', {
          params: { query: { from, to, bucket, ...client, ...(workflowId ? { workflowId } : {}) } },
        }),
      ),
      need(api.GET('/api/reports/overview', { params: { query: { from, to, ...client } } })),
    ])
      .then(([s, o]) => {
        setSeries(s);
        setOverview(o);
      })
      .catch((error: Error) => setProblem(error.message));
  }, [api, from, to, bucket, workflowId, clientId]);

  // The node and approver charts need one workflow: the chosen one, else the one with the most runs.
  const focus = workflowId ?? overview?.workflows[0]?.workflowId;
  useEffect(() => {
    setReport(null);
    if (!focus) return;
    need(
      api.GET('/api/reports/workflows/{id}', {
        params: { path: { id: focus }, query: { from, to, ...(clientId ? { clientId } : {}) } },
      }),
    )
      .then(setReport)
      .catch((error: Error) => setProblem(error.message));
  }, [api, focus, from, to, clientId]);

  useEffect(() => {
    const ids = report?.approvals.byApprover.map((a) => a.approver) ?? [];
    if (!ids.length) return;
    // The route names 25 at a time.
    const chunks = Array.from({ length: Math.ceil(Math.min(ids.length, 100) / 25) }, (_, i) =>
      ids.slice(i * 25, i * 25 + 25),
    );
    Promise.all(
      chunks.map((chunk) => need(api.GET('/api/reports/approvers', { params: { query: { ids: chunk.join(',') } } }))),
    )
      .then((answers) =>
        setNames(Object.fromEntries(answers.flatMap((found) => found.approvers.map((a) => [a.id, a.name])))),
      )
      .catch((error: Error) => setProblem(error.message));
  }, [api, report]);

  /** The runs list, filtered like the dashboard and narrowed by `more`. */
  const openRuns = (more: Filters) => navigate(filterHref('/', { workflowId, clientId, ...range, ...more }));
  const perWorkflow = (overview?.workflows ?? []).filter((w) => !workflowId || w.workflowId === workflowId);
  const slowest = [...(report?.nodes ?? [])].sort((a, b) => (b.duration.p95 ?? 0) - (a.duration.p95 ?? 0)).slice(0, 10);
  const approvers = report?.approvals.byApprover ?? [];
  const total = series?.points.reduce((sum, p) => sum + p.total, 0);
  const focusName = choices.workflows.find((w) => w.id === focus)?.name ?? 'the busiest workflow';

  return (
    <section aria-labelledby="dashboard-title" className="dashboard">
      <h1 id="dashboard-title">Dashboard</h1>
      <FilterForm
        choices={choices}
        path="/dashboard"
        fields={FIELDS}
        value={filters}
        label="Dashboard filters"
        submit="Show"
      />
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <dl className="figures" aria-label="Summary">
        <div>
          <dt>Runs in range</dt>
          <dd data-figure="runs-total">{total ?? '…'}</dd>
        </div>
        <div>
          <dt>Success rate</dt>
          <dd data-figure="success-rate">
            {overview?.totals.successRate == null ? '—' : `${Math.round(overview.totals.successRate * 1000) / 10}%`}
          </dd>
        </div>
        <div>
          <dt>Duration p50 / p95</dt>
          <dd>
            {duration(overview?.totals.duration.p50)} / {duration(overview?.totals.duration.p95)}
          </dd>
        </div>
      </dl>
      <div className="charts">
        {series && (
          <Chart
            title={`Runs over time by status (per ${series.bucket})`}
            kind="time"
            yLabel="runs"
            x={series.points.map((p) => Date.parse(p.start) / 1000)}
            series={Object.keys(STATUS_COLOURS).map((status) => ({
              label: status,
              color: STATUS_COLOURS[status]!,
              values: series.points.map((p) => p.byStatus[status as keyof typeof p.byStatus]),
            }))}
            onPick={(i) => {
              const start = Date.parse(series.points[i]!.start);
              const size = series.bucket === 'hour' ? HOUR_MS : DAY_MS;
              openRuns({ from: localInput(new Date(start)), to: localInput(new Date(start + size)) });
            }}
          />
        )}
        {overview && (
          <Chart
            title="Run duration p50 and p95 by workflow"
            kind="bars"
            categories={perWorkflow.map((w) => w.name)}
            series={[
              { label: 'p95', color: P95, values: perWorkflow.map((w) => seconds(w.duration.p95)) },
              { label: 'p50', color: P50, values: perWorkflow.map((w) => seconds(w.duration.p50)) },
            ]}
            format={inWords}
            yLabel="seconds"
            categoryLabel="Workflow"
            onPick={(i) => openRuns({ workflowId: perWorkflow[i]!.workflowId })}
          />
        )}
        {report && (
          <Chart
            title={`Slowest nodes of ${focusName} (p95)`}
            kind="bars"
            categories={slowest.map((n) => n.label ?? n.nodeId)}
            series={[
              { label: 'p95', color: P95, values: slowest.map((n) => seconds(n.duration.p95)) },
              { label: 'p50', color: P50, values: slowest.map((n) => seconds(n.duration.p50)) },
            ]}
            format={inWords}
            yLabel="seconds"
            categoryLabel="Node"
            onPick={() => openRuns({ workflowId: focus })}
          />
        )}
        {report && (
          <Chart
            title={`Approval latency by approver, ${focusName}`}
            kind="bars"
            categories={approvers.map((a) => names[a.approver] ?? a.approver)}
            series={[
              { label: 'p95', color: P95, values: approvers.map((a) => hours(a.timeToDecision.p95)) },
              { label: 'p50', color: P50, values: approvers.map((a) => hours(a.timeToDecision.p50)) },
            ]}
            format={(h) => duration(h * HOUR_MS)}
            yLabel="hours"
            categoryLabel="Approver"
            onPick={() => openRuns({ workflowId: focus })}
          />
        )}
      </div>
    </section>
  );
}
