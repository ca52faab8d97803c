/**
 * The caller's pending approvals: the request's context, quorum progress, time to expiry, one button per
 * outcome and a comment. Live: any change to the tenant's runs reads the inbox again.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type Approval } from '../api';
import { json, relative } from '../format';
import { useLive } from '../live';
import { Link } from '../router';

type Context = { workflowName: string; input: unknown; label: string | null; canDecide: boolean };

export function Inbox({ session }: { session: Session }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const [items, setItems] = useState<Approval[] | null>(null);
  const [contexts, setContexts] = useState<Record<string, Context>>({});
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await need(
        api.GET('/api/approvals', { params: { query: { mine: 'true', status: 'pending', limit: 50 } } }),
      );
      setItems(page.items);
      setProblem(null);
      const details = await Promise.all(
        page.items.map((a) =>
          need(api.GET('/api/approvals/{id}', { params: { path: { id: a.id } } })).catch(() => null),
        ),
      );
      setContexts(
        Object.fromEntries(
          details
            .filter((d) => d !== null)
            .map((d) => [
              d.id,
              { workflowName: d.run.workflowName, input: d.run.input, label: d.label, canDecide: d.canDecide },
            ]),
        ),
      );
    } catch (error) {
      setProblem((error as Error).message);
    }
  }, [api]);

  useEffect(() => void load(), [load]);
  useLive('/api/run-events', session.key, (changes) => {
    if (changes.some((c) => c.kind === 'approval' || c.kind === 'resync' || c.kind === 'run')) void load();
  });

  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Inbox</h1>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {items?.length === 0 && <p className="muted">Nothing waits for you.</p>}
      <ul className="cards inbox">
        {items?.map((approval) => (
          <ApprovalCard
            key={approval.id}
            session={session}
            approval={approval}
            context={contexts[approval.id]}
            onDecided={load}
          />
        ))}
      </ul>
    </section>
  );
}

function ApprovalCard({
  session,
  approval,
  context,
  onDecided,
}: {
  session: Session;
  approval: Approval;
  context: Context | undefined;
  onDecided: () => Promise<void>;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const decide = async (decision: string) => {
    setBusy(true);
    setProblem(null);
    try {
      await need(
        apiFor(session.key).POST('/api/approvals/{id}/decision', {
          params: { path: { id: approval.id } },
          body: { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) },
        }),
      );
      await onDecided();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const commentId = `comment-${approval.id}`;
  const title = context?.label ?? approval.nodeId;
  return (
    <li className="card" aria-label={`Approval: ${title}`}>
      <h2>
        {title} <span className="muted">· {context?.workflowName ?? ''}</span>
      </h2>
      {approval.message && <p>{approval.message}</p>}
      <p className="muted">
        {approval.votes.length} of {approval.quorum} vote(s) · requested {relative(approval.requestedAt)}
        {approval.expiresAt ? ` · expires ${relative(approval.expiresAt)}` : ''} ·{' '}
        <Link href={`/runs/${encodeURIComponent(approval.runId)}`}>open the run</Link>
      </p>
      {context && (
        <details>
          <summary>The run's input</summary>
          <pre>{json(context.input)}</pre>
        </details>
      )}
      {context?.canDecide === false ? (
        <p className="muted">You cannot decide this one (you started the run, or already voted).</p>
      ) : (
        <>
          <label htmlFor={commentId}>Comment</label>
          <textarea
            id={commentId}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            rows={2}
            maxLength={5000}
          />
          <div className="actions" role="group" aria-label="Decision">
            {approval.outcomes.map((outcome) => (
              <button
                key={outcome}
                type="button"
                disabled={busy}
                className={outcome === 'rejected' ? 'danger' : undefined}
                onClick={() => decide(outcome)}
              >
                {outcome}
              </button>
            ))}
          </div>
        </>
      )}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </li>
  );
}
