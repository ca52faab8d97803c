/**
 * The work board: for one workflow, a column per node where its open runs stand (running, waiting, paused),
 * a card per run with a few input fields, its age and who it waits on; optionally only one client's runs. Live like
 * the runs list.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type Approval, type Run } from '../api';
import { useChoices } from '../components/FilterForm';
import { relative } from '../format';
import { useLive } from '../live';
import { Link } from '../router';

export function Board({ session }: { session: Session }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const { workflows, clients, problem: choicesProblem } = useChoices(session);
  const [workflowId, setWorkflowId] = useState('');
  const [clientId, setClientId] = useState('');
  const [role, setRole] = useState('');
  const [runs, setRuns] = useState<Run[]>([]);
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [labels, setLabels] = useState<Map<string, string>>(new Map());
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => setWorkflowId((current) => current || workflows[0]?.id || ''), [workflows]);

  const load = useCallback(async () => {
    if (!workflowId) return;
    try {
      const client = clientId ? { clientId } : {};
      const [running, paused, pending, workflow] = await Promise.all([
        need(api.GET('/api/runs', { params: { query: { workflowId, status: 'running', limit: 100, ...client } } })),
        need(api.GET('/api/runs', { params: { query: { workflowId, status: 'paused', limit: 100, ...client } } })),
        need(api.GET('/api/approvals', { params: { query: { status: 'pending', limit: 100 } } })),
        need(api.GET('/api/workflows/{id}', { params: { path: { id: workflowId } } })),
      ]);
      setRuns([...running.items, ...paused.items]);
      setApprovals(pending.items);
      const nodes =
        (workflow as { definition?: { nodes?: Array<{ id: string; data?: { label?: string } }> } }).definition?.nodes ??
        [];
      setLabels(new Map(nodes.map((n) => [n.id, n.data?.label ?? n.id])));
      setProblem(null);
    } catch (error) {
      setProblem((error as Error).message);
    }
  }, [api, workflowId, clientId]);

  useEffect(() => void load(), [load]);
  useLive('/api/run-events', session.key, () => void load());

  const waitingOn = (run: Run) =>
    approvals.filter((a) => a.runId === run.id).flatMap((a) => [...a.approverRoles, ...a.approverUsers]);
  const visible = runs.filter((run) => !role || waitingOn(run).includes(role));
  const columns = new Map<string, Run[]>();
  for (const run of visible)
    for (const nodeId of run.currentSteps.length ? run.currentSteps : ['(starting)'])
      columns.set(nodeId, [...(columns.get(nodeId) ?? []), run]);
  const roles = [...new Set(approvals.flatMap((a) => a.approverRoles))];

  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">Work board</h1>
      <div className="filters">
        <label>
          Workflow
          <select value={workflowId} onChange={(e) => setWorkflowId(e.target.value)}>
            {workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Client
          <select value={clientId} onChange={(e) => setClientId(e.target.value)}>
            <option value="">any</option>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Waiting on role
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="">anyone</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
      </div>
      {(problem ?? choicesProblem) && (
        <p role="alert" className="error">
          {problem ?? choicesProblem}
        </p>
      )}
      {columns.size === 0 && <p className="muted">No open runs.</p>}
      <div className="board">
        {[...columns].map(([nodeId, cards]) => (
          <section
            key={nodeId}
            className="column"
            aria-label={`Column ${labels.get(nodeId) ?? nodeId}`}
            data-node-id={nodeId}
          >
            <h2>
              {labels.get(nodeId) ?? nodeId} <span className="muted">{cards.length}</span>
            </h2>
            <ul>
              {cards.map((run) => (
                <li key={run.id} className="card" data-run-id={run.id}>
                  <Link href={`/runs/${encodeURIComponent(run.id)}`}>{run.id.slice(0, 12)}…</Link>
                  <dl>
                    {Object.entries((run.input as Record<string, unknown>) ?? {})
                      .slice(0, 3)
                      .map(([k, v]) => (
                        <div key={k}>
                          <dt>{k}</dt>
                          <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
                        </div>
                      ))}
                  </dl>
                  <p className="muted">
                    {relative(run.startedAt ?? run.createdAt)}
                    {waitingOn(run).length ? ` · waits on ${waitingOn(run).join(', ')}` : ''}
                  </p>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </section>
  );
}
