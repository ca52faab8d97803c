/**
 * The port between the interpreter and its host: what the engine asks of
 * the world (do this work, wait this long, wait for this decision, record
 * this step) and what it hands back (the run's outcome). The workflow
 * implements it with Temporal; tests with fake-port.ts.
 */
import type { Definition } from './schema';
import type { RetryPolicy } from './limits';
import type { Form } from './forms';

export type { RetryPolicy } from './limits';

export interface RunInfo {
  id: string;
  workflowId: string;
  workflowName: string;
  version: number;
  startedAt: string;
  triggeredBy: string | null;
  priority: string;
}

export interface TriggerInfo {
  type: 'manual' | 'webhook' | 'schedule' | 'event';
  /** The trigger node that fired; the first trigger when absent. */
  nodeId?: string;
  body?: unknown;
  /** For event triggers: the event's name. */
  event?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface RunStart {
  /** The published definition as stored; the engine parses it into its typed graph when the run starts. */
  definition: Definition;
  input: unknown;
  trigger: TriggerInfo;
  run: RunInfo;
  /** The tenant's variables when the run started (`{{ vars.NAME }}`); `set` nodes add and override. */
  variables?: Record<string, unknown>;
}

export interface NodeState {
  output?: unknown;
  outcome?: string | null;
  error?: NodeError;
}

/** What a run reads: definition-format.md, "The run context". */
export interface RunContext {
  input: unknown;
  trigger: TriggerInfo;
  vars: Record<string, unknown>;
  nodes: Record<string, NodeState>;
  run: RunInfo;
  item?: unknown;
  index?: number;
}

export interface NodeError {
  message: string;
  type?: string;
}

/** Work that leaves the workflow: run by an activity. */
export interface WorkRequest {
  kind: 'http' | 'integration' | 'notification';
  nodeId: string;
  nodeType: string;
  /** `<scope><nodeId>:<visit>`: names this execution of the node within the run. */
  stepKey: string;
  /** `<runId>:<stepKey>`: the same across retries, so side effects happen once per intent. */
  idempotencyKey: string;
  config: Record<string, unknown>;
  retry: RetryPolicy;
  timeoutMs: number;
  label: string;
}

export type WorkResult =
  { ok: true; output: unknown; attempt?: number } | { ok: false; error: NodeError; attempt?: number };

export interface ApprovalRequest {
  nodeId: string;
  stepKey: string;
  label: string;
  approverRoles: string[];
  approverUsers: string[];
  quorum: number;
  outcomes: string[];
  /** Absolute deadline (ms since epoch), or null for none. */
  expiresAt: number | null;
  allowSelfApproval: boolean;
  message: string | null;
  /** Remind those who have not decided this often (ms), or never. */
  reminderEveryMs: number | null;
  /** At this time (ms since epoch) these roles become approvers too, and are told. */
  escalation: { at: number; toRoles: string[] } | null;
  /** How approvers are asked: email (a signed link each) and/or a Slack message. */
  notify: { channels: Array<'email' | 'slack'>; slackChannel: string | null };
  /** The data a decision carries (absent on runs from before forms). */
  form?: Form | null;
  /** When the task is due (ms since epoch), from the node's `dueIn`: a reminder goes out before it. */
  dueAt?: number | null;
}

export interface ApprovalResult {
  /** One of the node's outcomes, or `expired`. */
  outcome: string;
  decidedBy: string | null;
  comment: string | null;
  votes: unknown[];
  /** The deciding vote's form data, when it carried any (`nodes.<id>.output.data`). */
  data?: Record<string, unknown>;
}

export interface ChildRequest {
  nodeId: string;
  stepKey: string;
  workflowId: string;
  version: number | null;
  input: unknown;
  wait: boolean;
  label: string;
}

export type StepStatus = 'running' | 'completed' | 'failed' | 'waiting_approval';

export interface StepRecord {
  /** Order of entry into the run's nodes (the same on every re-execution), for listing steps in order. */
  seq: number;
  nodeId: string;
  nodeType: string;
  label: string | null;
  stepKey: string;
  visit: number;
  status: StepStatus;
  handle: string | null;
  input: unknown;
  output: unknown;
  error: NodeError | null;
  attempt: number;
  startedAt: number;
  completedAt: number | null;
}

export interface RunProgress {
  progress: number;
  currentSteps: string[];
}

export interface EnginePort {
  now(): number;
  runWork(request: WorkRequest): Promise<WorkResult>;
  recordStep(step: StepRecord, progress: RunProgress): Promise<void>;
  /** A durable timer; `stepKey` names the node execution that waits. */
  sleep(ms: number, label: string, stepKey: string): Promise<void>;
  /** Waits for a decision on an approval, or its expiry. */
  awaitApproval(request: ApprovalRequest): Promise<ApprovalResult>;
  /** Runs another published workflow as a child run. */
  runChild(request: ChildRequest): Promise<WorkResult>;
  /** Resolves at once unless the run is paused; then when it is resumed. */
  whenRunning(): Promise<void>;
}

export interface RunOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  output: unknown;
  error: (NodeError & { nodeId?: string }) | null;
  visits: Record<string, number>;
}

/** What a query sees of a run in flight. */
export interface RunSnapshot {
  activeNodes: string[];
  visits: Record<string, number>;
  progress: number;
  finished: boolean;
}

export interface RunHandle {
  outcome: Promise<RunOutcome>;
  snapshot(): RunSnapshot;
}
