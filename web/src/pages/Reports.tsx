/**
 * A workflow's report (GET /api/reports/workflows/:id) for a range: runs by status, success rate and duration
 * percentiles, each node's executions, failures and durations, and approvals by approver. Bars are plain elements
 * sized against the largest figure of their table. A node row leads to the runs list of that workflow and range.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { Session } from '../App';
import { apiFor, need, type WorkflowReport } from '../api';
import { duration } from '../format';
import { Link, navigate, useLocation } from '../router';

const DAY_MS = 24 * 3600 * 1000;

/** A moment as a datetime-local input holds it (local time, to the minute). */
const localInput = (date: Date) =>
  new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

interface Choice {
  workflowId: string;
  from: string;
  to: string;
}

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
  const [workflows, setWorkflows] = useState<Array<{ id: string; name: string }>>([]);
  const now = new Date();
  const [draft, setDraft] = useState<Choice>({
    workflowId: search.get('workflowId') ?? '',
    from: search.get('from') ?? localInput(new Date(now.getTime() - 30 * DAY_MS)),
    to: search.get('to') ?? localInput(new Date(now.getTime() + 60_000)),
  });
  const [report, setReport] = useState<WorkflowReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    need(api.GET('/api/workflows', { params: { query: { limit: 100 } } }))
      .then((page) => {
        setWorkflows(page.items.map((w) => ({ id: w.id, name: w.name })));
        setDraft((current) =>
          current.workflowId || !page.items[0] ? current : { ...current, workflowId: page.items[0].id },
        );
      })
      .catch((error: Error) => setProblem(error.message));
  }, [session.key]);

  const shown = search.get('workflowId') ?? '';
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  useEffect(() => {
    if (!shown || !from || !to) return;
    setReport(null);
    need(
      api.GET('/api/reports/workflows/{id}', {
        params: {
          path: { id: shown },
          query: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
        },
      }),
    )
      .then((answer) => {
        setReport(answer);
        setProblem(null);
      })
      .catch((error: Error) => setProblem(error.message));
  }, [session.key, shown, from, to]);

  const show = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/reports?${new URLSearchParams({ ...draft }).toString()}`);
  };
  const field = (name: keyof Choice) => ({
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const runsOf = `/?${new URLSearchParams({ workflowId: shown, from, to }).toString()}`;

  return (
    <section aria-labelledby="reports-title" className="reports">
      <h1 id="reports-title">Reports</h1>
      <form className="filters" onSubmit={show} aria-label="Choose a report">
        <label>
          Workflow
          <select {...field('workflowId')} required>
            {workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" {...field('from')} required />
        </label>
        <label>
          To
          <input type="datetime-local" {...field('to')} required />
        </label>
        <button type="submit">Show</button>
      </form>
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
