/**
 * One run: its graph coloured by node state, the selected node's detail, the timeline, approvals and
 * notifications, and the actions the caller may take. Live: each change of this run reads it again.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type RunDetail, type Step } from '../api';
import { NodeDetail } from '../components/NodeDetail';
import { RunActions } from '../components/RunActions';
import { RunApprovals } from '../components/RunApprovals';
import { RunGraph, type GraphDefinition, type NodeState } from '../components/RunGraph';
import { StatusBadge } from '../components/StatusBadge';
import { Timeline } from '../components/Timeline';
import { json, when } from '../format';
import { useLive } from '../live';
import { Link } from '../router';

function nodeStates(run: RunDetail): Map<string, NodeState> {
  const states = new Map<string, NodeState>();
  // Steps come in start order: the latest visit of a node decides its colour.
  for (const step of run.steps) {
    const s = step.status;
    states.set(
      step.nodeId,
      s === 'completed'
        ? 'completed'
        : s === 'failed'
          ? 'failed'
          : s === 'skipped'
            ? 'skipped'
            : s === 'waiting_approval'
              ? 'waiting'
              : 'running',
    );
  }
  for (const approval of run.approvals) if (approval.status === 'pending') states.set(approval.nodeId, 'waiting');
  return states;
}

export function RunPage({ session, runId }: { session: Session; runId: string }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [definition, setDefinition] = useState<GraphDefinition | null>(null);
  const [workflowName, setWorkflowName] = useState<string>('');
  const [selected, setSelected] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const api = useMemo(() => apiFor(session.key), [session.key]);

  const load = useCallback(async () => {
    try {
      setRun(await need(api.GET('/api/runs/{runId}', { params: { path: { runId } } })));
      setProblem(null);
    } catch (error) {
      setProblem((error as Error).message);
    }
  }, [api, runId]);

  useEffect(() => {
    setRun(null);
    setSelected(null);
    void load();
  }, [load]);

  // The graph of the run's own version: fetched once per version.
  const versionKey = run ? `${run.workflowId}/${run.version}` : null;
  useEffect(() => {
    if (!run) return;
    need(api.GET('/api/workflows/{id}/versions/{n}', { params: { path: { id: run.workflowId, n: run.version } } }))
      .then((version) => setDefinition(version.definition as unknown as GraphDefinition))
      .catch((error: Error) => setProblem(`The graph could not be read: ${error.message}`));
    need(api.GET('/api/workflows/{id}', { params: { path: { id: run.workflowId } } }))
      .then((w) => setWorkflowName(w.name))
      .catch(() => {});
  }, [versionKey]);

  useLive(`/api/runs/${encodeURIComponent(runId)}/events`, session.key, () => void load());

  const states = useMemo(() => (run ? nodeStates(run) : new Map<string, NodeState>()), [run]);
  if (problem && !run)
    return (
      <p role="alert" className="error">
        {problem}
      </p>
    );
  if (!run) return <p aria-live="polite">Loading the run …</p>;

  const selectedNode = definition?.nodes.find((n) => n.id === selected);
  const stepsOf = (nodeId: string): Step[] => run.steps.filter((s) => s.nodeId === nodeId);
  return (
    <article className="run" aria-labelledby="run-title">
      <header className="run-head">
        <h1 id="run-title">
          {workflowName || 'Run'} <span className="muted">v{run.version}</span> <StatusBadge status={run.status} />
        </h1>
        <p className="muted">
          {run.id} · started {when(run.startedAt ?? run.createdAt)}
          {run.completedAt ? ` · finished ${when(run.completedAt)}` : ''} · {run.progress}%
          {session.me.temporalUiUrl && (
            <>
              {' '}
              ·{' '}
              <a
                href={`${session.me.temporalUiUrl}/workflows/${encodeURIComponent(run.id)}`}
                target="_blank"
                rel="noreferrer"
              >
                Open in Temporal
              </a>
            </>
          )}
        </p>
        <RunActions session={session} run={run} onDone={() => void load()} />
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
      </header>
      <div className="run-body">
        <div className="run-main">
          {definition ? (
            <RunGraph definition={definition} states={states} selected={selected} onSelect={setSelected} />
          ) : (
            <div className="graph" aria-busy="true" />
          )}
          <ul className="legend" aria-label="Legend">
            {(['not-reached', 'running', 'waiting', 'completed', 'failed', 'skipped'] as NodeState[]).map((s) => (
              <li key={s}>
                <span className={`swatch state-${s}`} />
                {s.replace('-', ' ')}
              </li>
            ))}
          </ul>
          {run.error !== null && run.error !== undefined && (
            <>
              <h2>Error</h2>
              <pre className="error">{json(run.error)}</pre>
            </>
          )}
        </div>
        <aside className="run-side">
          {selected ? (
            <NodeDetail
              nodeId={selected}
              label={selectedNode?.data?.label ?? selected}
              state={states.get(selected) ?? 'not-reached'}
              steps={stepsOf(selected)}
            />
          ) : (
            <p className="muted">Select a node (in the graph or the timeline) to see what it did.</p>
          )}
        </aside>
      </div>
      <div className="run-lists">
        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <Timeline steps={run.steps} selected={selected} onSelect={setSelected} />
        </section>
        <section aria-label="Approvals and notifications">
          <RunApprovals run={run} />
        </section>
      </div>
      <p>
        <Link href="/">← All runs</Link>
      </p>
    </article>
  );
}
