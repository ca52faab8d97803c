/**
 * The messages `runGraph` answers: approval decisions and a move to another
 * version (Updates with validators), pause and resume (signals), and its live
 * state (a query).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Claim, Decider, Delegation, RefusalKind, Vote } from '../interpreter/approval-rules';
import type { RunSnapshot } from '../interpreter/engine';
import { DECISION_FAILURES as DECISION_FAILURE_TYPES } from '../lib/failures';
import type { MigrationAccepted, MigrationInput } from './migration';

export type { Claim, Delegation, Vote };
/** Who decides: checked by the API against its key, and again by the workflow's validator. */
export type Actor = Decider;

export interface DecisionInput {
  approvalId: string;
  /** One of the node's outcomes; `approve` and `reject` stand for `approved` and `rejected`. */
  decision: string;
  comment?: string;
  /** The form data the decision carries, checked against the approval's form. */
  data?: Record<string, unknown>;
  actor: Actor;
}

/** One approver takes the task (`claim`), or hands their part to another user of the tenant (`delegate`). */
export interface TaskInput {
  approvalId: string;
  actor: Actor;
  /** For `delegate`: who gets the part (the API has found them in the caller's tenant). */
  to?: Actor;
}

export interface ApprovalView {
  approvalId: string;
  nodeId: string;
  status: 'pending' | 'decided';
  outcome: string | null;
  votes: Vote[];
  claim?: Claim | null;
  delegations?: Delegation[];
}

/** Failure types the decision validator raises (the API maps them to 403 and 409): one for each refusal kind. */
export const DECISION_FAILURES: Record<RefusalKind, string> = DECISION_FAILURE_TYPES;

export const decideUpdate = defineUpdate<ApprovalView, [DecisionInput]>('decide');
export const claimUpdate = defineUpdate<ApprovalView, [TaskInput]>('claim');
export const delegateUpdate = defineUpdate<ApprovalView, [TaskInput]>('delegate');
/** Moves the run to another published version of its workflow at its wait points (workflows/migration.ts). */
export const migrateUpdate = defineUpdate<MigrationAccepted, [MigrationInput]>('migrate');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

export interface RunState extends RunSnapshot {
  status: 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
  pendingApprovals: Array<{
    approvalId: string;
    nodeId: string;
    approverRoles: string[];
    approverUsers: string[];
    votes: Vote[];
    expiresAt: string | null;
    dueAt?: string | null;
    claim?: Claim | null;
    delegations?: Delegation[];
  }>;
}
export const stateQuery = defineQuery<RunState>('state');
