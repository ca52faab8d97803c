/** `graphflow approve APPROVAL_ID --decision D [--comment C] [--data FILE]`: casts the caller's vote on an approval. */
import { type Connection, expectOk } from '../api';
import { readDataFile } from '../definition-file';
import { CliError } from '../errors';
import type { Output } from '../output';

export interface ApproveOptions {
  decision: string;
  comment?: string;
  data?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function approveCommand(
  connection: Connection,
  approvalId: string,
  options: ApproveOptions,
  out: Output,
): Promise<void> {
  if (!UUID.test(approvalId))
    throw new CliError(`"${approvalId}" is not an approval id (a UUID, as graphflow run --watch shows it)`);
  const data = options.data === undefined ? undefined : readDataFile(options.data);
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data)))
    throw new CliError(`${options.data} must hold one object: the form's fields`);
  // `data` (an approval form's fields) is sent only when given; a server whose approvals take no form says so (400).
  const body = {
    decision: options.decision,
    ...(options.comment !== undefined ? { comment: options.comment } : {}),
    ...(data !== undefined ? { data: data as Record<string, unknown> } : {}),
  };
  const approval = await expectOk(
    `deciding approval ${approvalId}`,
    connection.api.POST('/api/approvals/{id}/decision', { params: { path: { id: approvalId } }, body }),
  );
  const outcome =
    approval.status === 'pending'
      ? 'vote recorded; the approval still waits for more votes'
      : `${approval.status}${approval.outcome && approval.outcome !== approval.status ? ` (${approval.outcome})` : ''}`;
  out.line(`approval ${approval.id} at ${approval.nodeId} of run ${approval.runId}: ${outcome}`);
}
