/** Inputs and results of the generic workflow, shared by the API, worker and tests. */
import type { RunOutcome, TriggerInfo } from '../interpreter/engine';
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
}

export type RunGraphResult = Pick<RunOutcome, 'status' | 'output' | 'error'>;

export const TASK_QUEUE_DEFAULT = 'workflows';
