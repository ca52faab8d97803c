/** Every path starts runGraph with the same search attributes and summary; API starts never reuse a run id. */
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { RunGraphInput } from '../workflows/types';
import { runStartOptions, scheduleAction } from './start-options';

const args: RunGraphInput = {
  tenantId: 't-1',
  definition: {
    workflowId: 'w-1',
    versionId: 'v-1',
    version: 3,
    contentHash: 'h',
    name: 'Expenses',
    graph: { nodes: [], edges: [] } as never,
  },
  input: {},
  trigger: { type: 'manual' },
  triggeredBy: null,
  priority: 'normal',
};
const attributes = (list: unknown) =>
  (list as Array<{ key: { name: string }; value: unknown }>).map((p) => [p.key.name, p.value]);
const expected = [
  ['GraphWorkflowName', 'Expenses'],
  ['GraphWorkflowId', 'w-1'],
  ['GraphVersion', 3],
  ['GraphRunStatus', 'pending'],
  ['GraphTenant', 't-1'],
];

describe('start options', () => {
  it('a run started by us is the run id, once ever, findable by workflow, version, status and tenant', () => {
    const options = runStartOptions('queue', 'run-1', args);
    expect(options).toMatchObject({
      taskQueue: 'queue',
      workflowId: 'run-1',
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [args],
      staticSummary: 'Expenses v3',
    });
    expect(attributes(options.typedSearchAttributes)).toEqual(expected);
  });

  it('a schedule starts the same runGraph with the same attributes and summary', () => {
    const action = scheduleAction('queue', 'sched-w-1-t', args);
    expect(action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'runGraph',
      workflowId: 'sched-w-1-t',
      taskQueue: 'queue',
      args: [args],
      staticSummary: 'Expenses v3',
    });
    expect(attributes(action.typedSearchAttributes)).toEqual(expected);
  });
});
