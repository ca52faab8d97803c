/**
 * Cancel, pause, resume, retry: each shown only when the caller's roles allow it (operator, editor, admin) and
 * the run's status does; the server checks both again.
 */
import { useState } from 'react';
import { apiFor, canOperate, need, type RunDetail } from '../api';
import type { Session } from '../App';
import { navigate } from '../router';

const OPEN = ['pending', 'running', 'paused'];

export function RunActions({ session, run, onDone }: { session: Session; run: RunDetail; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (!canOperate(session.me)) return null;
  const api = apiFor(session.key);
  const params = { params: { path: { runId: run.id } } };
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      onDone();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="actions" role="group" aria-label="Run actions">
      {OPEN.includes(run.status) && (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            window.confirm('Cancel this run?') && act(() => need(api.POST('/api/runs/{runId}/cancel', params)))
          }
        >
          Cancel
        </button>
      )}
      {(run.status === 'pending' || run.status === 'running') && (
        <button
          type="button"
          disabled={busy}
          onClick={() => act(() => need(api.POST('/api/runs/{runId}/pause', params)))}
        >
          Pause
        </button>
      )}
      {run.status === 'paused' && (
        <button
          type="button"
          disabled={busy}
          onClick={() => act(() => need(api.POST('/api/runs/{runId}/resume', params)))}
        >
          Resume
        </button>
      )}
      {(run.status === 'failed' || run.status === 'cancelled') && (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            act(async () =>
              navigate(`/runs/${encodeURIComponent((await need(api.POST('/api/runs/{runId}/retry', params))).runId)}`),
            )
          }
        >
          Retry as a new run
        </button>
      )}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </div>
  );
}
