/**
 * A workflow's report (GET /api/reports/workflows/:id) for a range: runs by status, success rate and duration
 * percentiles, each node's executions, failures and durations, and approvals by approver. Bars are plain elements
 * sized against the largest figure of their table. A node row leads to the runs list of that workflow and range.
 */
import { useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type WorkflowReport } from '../api';
import {
  FilterForm,
  filterHref,
  filtersOf,
  isoOf,
  localInput,
  useChoices,
  type FilterName,
} from '../components/FilterForm';
import { duration } from '../format';
import { Link, useLocation } from '../router';

const DAY_MS = 24 * 3600 * 1000;
const FIELDS: readonly FilterName[] = ['workflowId', 'clientId', 'from', 'to'];

function Bar({ value, max, label }: { value: number; max: number; label: string }) {
  const share = max > 0 ? Math.round((value / max) * 100) : 0;
  return (
    <span className="bar-track" role="img" aria-label={label}>
      <span className="bar" style={{ width: `${share}%` }} />
    </span>
  );
}

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`);

export function Reports({ session }: { session: Session }) {
  const api = apiFor(session.key);
  const { search } = useLocation();
  const choices = useChoices(session);
  const searchKey = search.toString();
  const chosen = useMemo(() => filtersOf(search, FIELDS), [searchKey]);
  // The form starts at the last 30 days; the report shows once the URL names a workflow and a range.
  const initial = useMemo(() => {
    const now = Date.now();
    return { from: localInput(new Date(now - 30 * DAY_MS)), to: localInput(new Date(now + 60_000)), ...chosen };
  }, [chosen]);
  const [report, setReport] = useState<WorkflowReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const { workflowId: shown, clientId, from, to } = chosen;
  useEffect(() => {
    if (!shown || !from || !to) return;
    setReport(null);
    need(
      api.GET('/api/reports/workflows/{id}', {
        params: {
          path: { id: shown },
          query: { from: isoOf(from), to: isoOf(to), ...(clientId ? { clientId } : {}) },
        },
      }),
    )
      .then((answer) => {
        setReport(answer);
        setProblem(null);
      })
      .catch((error: Error) => setProblem(error.message));
  }, [session.key, shown, clientId, from, to]);

  const runsOf = filterHref('/', { workflowId: shown, clientId, from, to });

  return (
    <section aria-labelledby="reports-title" className="reports">
      <h1 id="reports-title">Reports</h1>
      <FilterForm
        choices={choices}
        path="/reports"
        fields={FIELDS}
        value={initial}
        required={['workflowId', 'from', 'to']}
        label="Choose a report"
        submit="Show"
      />
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {report && <ReportFigures report={report} runsOf={runsOf} />}
    </section>
  );
}

function ReportFigures({ report, runsOf }: { report: WorkflowReport; runsOf: string }) {
  const statuses = Object.entries(report.runs.byStatus);
  const mostRuns = Math.max(0, ...statuses.map(([, n]) => n));
  const slowest = Math.max(0, ...report.nodes.map((n) => n.duration.p95 ?? 0));
  const { approvals } = report;
  return (
    <>
      <dl className="figures" aria-label="Summary">
        <div>
          <dt>Runs</dt>
          <dd data-figure="runs-total">{report.runs.total}</dd>
        </div>
        <div>
          <dt>Success rate</dt>
          <dd data-figure="success-rate">{percent(report.successRate)}</dd>
        </div>
        <div>
          <dt>Duration p50</dt>
          <dd data-figure="duration-p50">{duration(report.duration.p50)}</dd>
        </div>
        <div>
          <dt>Duration p95</dt>
          <dd data-figure="duration-p95">{duration(report.duration.p95)}</dd>
        </div>
        <div>
          <dt>Approvals decided</dt>
          <dd data-figure="approvals-decided">{approvals.decided}</dd>
        </div>
        <div>
          <dt>Approvals pending</dt>
          <dd data-figure="approvals-pending">{approvals.pending}</dd>
        </div>
        <div>
          <dt>Time to decision p50 / p95</dt>
          <dd data-figure="decision">
            {duration(approvals.timeToDecision.p50)} / {duration(approvals.timeToDecision.p95)}
          </dd>
        </div>
      </dl>

      <h2>Runs by status</h2>
      <div className="table-wrap">
        <table className="runs" aria-label="Runs by status">
          <tbody>
            {statuses.map(([status, n]) => (
              <tr key={status} data-status={status}>
                <th scope="row">{status}</th>
                <td className="num">{n}</td>
                <td className="bar-cell">
                  <Bar value={n} max={mostRuns} label={`${n} ${status}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Nodes</h2>
      <div className="table-wrap">
        <table className="runs" aria-label="Nodes">
          <thead>
            <tr>
              <th>Node</th>
              <th>Executions</th>
              <th>Failures</th>
              <th>p50</th>
              <th>p95</th>
              <th>p95 against the slowest</th>
            </tr>
          </thead>
          <tbody>
            {report.nodes.map((node) => (
              <tr key={node.nodeId} data-node-id={node.nodeId}>
                <td>
                  <Link href={runsOf} title="The runs of this workflow in this range">
                    {node.label ?? node.nodeId}
                  </Link>
                </td>
                <td className="num">{node.executions}</td>
                <td className="num">{node.failures}</td>
                <td>{duration(node.duration.p50)}</td>
                <td>{duration(node.duration.p95)}</td>
                <td className="bar-cell">
                  <Bar value={node.duration.p95 ?? 0} max={slowest} label={`p95 ${duration(node.duration.p95)}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {report.nodes.length === 0 && <p className="muted">No node ran in this range.</p>}

      <h2>Approvers</h2>
      <div className="table-wrap">
        <table className="runs" aria-label="Approvers">
          <thead>
            <tr>
              <th>Approver</th>
              <th>Decided</th>
              <th>p50</th>
              <th>p95</th>
            </tr>
          </thead>
          <tbody>
            {approvals.byApprover.map((a) => (
              <tr key={a.approver} data-approver={a.approver}>
                <td>{a.email ?? a.approver}</td>
                <td className="num">{a.decided}</td>
                <td>{duration(a.timeToDecision.p50)}</td>
                <td>{duration(a.timeToDecision.p95)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {approvals.byApprover.length === 0 && <p className="muted">No decision in this range.</p>}
    </>
  );
}
