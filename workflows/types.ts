/** Inputs and results of the generic workflow, shared by the API, worker and tests. */
import type { ApprovalRequest, ApprovalResult, RunOutcome, TriggerInfo, WorkResult } from '../interpreter/engine';
import type { ClosedHow, Vote } from '../interpreter/approval-rules';
import type { Definition } from '../interpreter/schema';

/** The published version a run is pinned to: editing or republishing never changes a run in flight. */
export interface PinnedDefinition {
  workflowId: string;
  versionId: string;
  version: number;
  contentHash: string;
  name: string;
  graph: Definition;
}

export interface RunGraphInput {
  tenantId: string;
  definition: PinnedDefinition;
  input: unknown;
  trigger: TriggerInfo;
  triggeredBy: string | null;
  priority: 'low' | 'normal' | 'high' | 'critical';
  /** The tenant's variables (not secrets) when the run started. */
  variables?: Record<string, unknown>;
  /** Continue as new once the history holds this many events (default 8,000; Temporal's own suggestion comes first). */
  historyLimit?: number;
  /** Set when this run continues an earlier one of the same run id. */
  continued?: Checkpoint;
  /**
   * Set when this run resumes a failed one (`POST /api/runs/:id/retry` with `from: "failed"`): what that run
   * finished, answered from the memo as if this run had done it. Runs without it start with an empty memo.
   */
  seed?: RunSeed;
}

/** What a resumed run takes over from the failed run it retries, by step key (the same graph walks the same keys). */
export interface RunSeed {
  retryOf: string;
  memo: Pick<Checkpoint, 'work' | 'approvals' | 'children' | 'timers' | 'recorded'>;
}

/**
 * What a run carries through continue-as-new. The interpreter is deterministic,
 * so the new run re-executes the graph from its trigger, answering each
 * finished node's work from `work`, `approvals` and `children` instead of
 * doing it again, and picks up waits where they stood.
 */
export interface Checkpoint {
  startedAt: string;
  /** How many times this run has continued as new. */
  generation: number;
  paused: boolean;
  /** Results of finished work, approvals and children, by step key. */
  work: Record<string, WorkResult>;
  approvals: Record<string, ApprovalResult>;
  children: Record<string, WorkResult>;
  /** Timers by step key: their deadline (ms since epoch), or 0 once fired. */
  timers: Record<string, number>;
  /** Approvals still waiting, by step key, with their id and votes so far. */
  pendingApprovals: Record<
    string,
    {
      approvalId: string;
      request: ApprovalRequest;
      votes: Vote[];
      requestedAt?: number;
      reminders?: number;
      escalated?: boolean;
    }
  >;
  /** Approvals closed in earlier runs, so a late decision is told why it is refused. */
  closedApprovals: Record<string, ClosedHow>;
  /** Step keys whose final step row was already written. */
  recorded: string[];
}

export type RunGraphResult = Pick<RunOutcome, 'status' | 'output' | 'error'>;

export const TASK_QUEUE_DEFAULT = 'workflows';

/**
 * Step records ride with a run's work (workflows/projection-writer.ts): work still going after CARRIED_RECORDS_WAIT_MS
 * writes what it carries (activities/carried-records.ts), so a slow step shows within a second; a run moving through
 * quick work writes its records itself once they are CARRIED_RECORDS_AT_MOST_MS old.
 */
export const CARRIED_RECORDS_WAIT_MS = 1000;
export const CARRIED_RECORDS_AT_MOST_MS = 10_000;
