/**
 * The caller's pending approvals, overdue ones first: the request's context, quorum progress, due date and time to
 * expiry, the approval's form when it has one, one button per outcome and a comment; claim and delegate. Live: any
 * change to the tenant's runs reads the inbox again.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need, type Approval } from '../api';
import { json, relative } from '../format';
import { useLive } from '../live';
import { Link } from '../router';
import { asTaskForm, formData, type FormValues, TaskFormFields } from './TaskForm';

type Context = { workflowName: string; input: unknown; label: string | null; canDecide: boolean };

export function Inbox({ session }: { session: Session }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const [items, setItems] = useState<Approval[] | null>(null);
  const [contexts, setContexts] = useState<Record<string, Context>>({});
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await need(
        api.GET('/api/approvals', { params: { query: { mine: 'true', status: 'pending', sort: 'due', limit: 50 } } }),
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
  const form = asTaskForm(approval.form);
  const [values, setValues] = useState<FormValues>({});
  const [fieldProblems, setFieldProblems] = useState<Record<string, string>>({});
  const [delegateTo, setDelegateTo] = useState('');
  const api = apiFor(session.key);
  /** Runs one action on the task; its problem (and a form's problems, by field) show on the card. */
  const act = async (call: () => Promise<{ error?: unknown; response: Response }>) => {
    setBusy(true);
    setProblem(null);
    setFieldProblems({});
    try {
      const { error, response } = await call();
      if (error !== undefined) {
        const answer = error as { detail?: string; errors?: Array<{ path: string; message: string }> };
        const byField = (answer.errors ?? [])
          .filter((e) => e.path.startsWith('body.data.'))
          .map((e) => [e.path.slice('body.data.'.length), e.message]);
        setFieldProblems(Object.fromEntries(byField));
        setProblem(answer.detail ?? `The server answered ${response.status}.`);
        return;
      }
      await onDecided();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const decide = (decision: string) =>
    act(() =>
      api.POST('/api/approvals/{id}/decision', {
        params: { path: { id: approval.id } },
        body: {
          decision,
          ...(comment.trim() ? { comment: comment.trim() } : {}),
          ...(form ? { data: formData(form, values) } : {}),
        },
      }),
    );
  const claim = () => act(() => api.POST('/api/approvals/{id}/claim', { params: { path: { id: approval.id } } }));
  const delegate = () =>
    act(() =>
      api.POST('/api/approvals/{id}/delegate', {
        params: { path: { id: approval.id } },
        body: { userId: delegateTo.trim() },
      }),
    );
  const claimedBy =
    approval.claimedBy === null ? null : approval.claimedBy === session.me.userId ? 'you' : 'another approver';
  const commentId = `comment-${approval.id}`;
  const title = context?.label ?? approval.nodeId;
  return (
    <li className="card" aria-label={`Approval: ${title}`}>
      <h2>
        {title} <span className="muted">· {context?.workflowName ?? ''}</span>
      </h2>
      {approval.message && <p>{approval.message}</p>}
      {(approval.overdue || claimedBy) && (
        <p>
          {approval.overdue && <span className="badge status-failed">Overdue</span>}{' '}
          {claimedBy && <span className="badge">Claimed by {claimedBy}</span>}
        </p>
      )}
      <p className="muted">
        {approval.votes.length} of {approval.quorum} vote(s) · requested {relative(approval.requestedAt)}
        {approval.dueAt ? ` · due ${relative(approval.dueAt)}` : ''}
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
          {form && (
            <TaskFormFields
              idPrefix={`form-${approval.id}`}
              form={form}
              values={values}
              problems={fieldProblems}
              onChange={setValues}
            />
          )}
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
          <div className="actions" role="group" aria-label="Task">
            {approval.claimedBy === null && (
              <button type="button" disabled={busy} onClick={claim}>
                Claim
              </button>
            )}
            <label htmlFor={`delegate-${approval.id}`}>Delegate to (user id)</label>
            <input
              id={`delegate-${approval.id}`}
              value={delegateTo}
              onChange={(e) => setDelegateTo(e.target.value)}
              maxLength={36}
            />
            <button type="button" disabled={busy || delegateTo.trim() === ''} onClick={delegate}>
              Delegate
            </button>
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
