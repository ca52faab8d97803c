import type { RunDetail } from '../api';
import { relative, when } from '../format';
import { StatusBadge } from './StatusBadge';

type Vote = { userId: string; decision: string; comment?: string; at?: string };

/** The run's approvals with each vote, and its notifications with their delivery status. */
export function RunApprovals({ run }: { run: RunDetail }) {
  return (
    <>
      <h2>Approvals</h2>
      {run.approvals.length === 0 && <p className="muted">None.</p>}
      <ul className="cards">
        {run.approvals.map((approval) => {
          const votes = (approval.votes as Vote[] | undefined) ?? [];
          return (
            <li key={approval.id} className="card">
              <p>
                <strong>{approval.nodeId}</strong> <StatusBadge status={approval.status} />{' '}
                {approval.outcome ? <span>→ {String(approval.outcome)}</span> : null}
              </p>
              {typeof approval.message === 'string' && <p>{approval.message}</p>}
              <p className="muted">
                {votes.length} of {String(approval.quorum ?? 1)} vote(s) · approvers{' '}
                {[
                  ...((approval.approverRoles as string[]) ?? []),
                  ...((approval.approverUsers as string[]) ?? []),
                ].join(', ') || '—'}
                {approval.status === 'pending' && approval.expiresAt
                  ? ` · expires ${relative(String(approval.expiresAt))}`
                  : ''}
              </p>
              {votes.length > 0 && (
                <ul className="votes">
                  {votes.map((vote, i) => (
                    <li key={i}>
                      {vote.userId}: <strong>{vote.decision}</strong>
                      {vote.comment ? ` “${vote.comment}”` : ''}
                      {vote.at ? ` · ${when(vote.at)}` : ''}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      <h2>Notifications</h2>
      {run.notifications.length === 0 && <p className="muted">None.</p>}
      <ul className="cards">
        {run.notifications.map((n) => (
          <li key={n.id} className="card">
            <strong>{n.channel}</strong> <StatusBadge status={n.status} />{' '}
            <span className="muted">{Array.isArray(n.recipients) ? (n.recipients as string[]).join(', ') : ''}</span>
            {typeof n.error === 'string' && n.error && <p className="error">{n.error}</p>}
          </li>
        ))}
      </ul>
    </>
  );
}
