/** The seed of a resumed run, from a failed run's step rows: pure, so each kind of step is checked here. */
import { describe, expect, it } from 'vitest';
import type { workflowExecutions, workflowInstances } from '../db/schema';
import { resumedRunId, seedFrom, triggerFrom } from './resume';

type StepRow = typeof workflowExecutions.$inferSelect;
type RunRow = typeof workflowInstances.$inferSelect;

const run = { id: 'run-1', input: { item: 'a crate' }, triggerSource: 'manual' } as RunRow;
const step = (
  stepKey: string,
  nodeType: string,
  status: string,
  output: unknown = null,
  input: unknown = {},
): StepRow =>
  ({
    input,
    id: `run-1:${stepKey}`,
    nodeId: stepKey.split(':').at(-2)!.split('/').at(-1)!,
    nodeType,
    status,
    output,
    visit: Number(stepKey.split(':').at(-1)),
    attempt: 2,
  }) as StepRow;

describe('seedFrom', () => {
  it('answers each completed step as the port would have, and carries nothing that failed or was still running', () => {
    const decision = { outcome: 'approved', decidedBy: 'u1', comment: null, votes: [] };
    const { seed, carried } = seedFrom(run, [
      step('t:1', 'trigger', 'completed', run.input),
      step('call:1', 'action', 'completed', { status: 200, body: { order: 'A-17' } }),
      step('ask:1', 'approval', 'completed', decision),
      step('child:1', 'subworkflow', 'completed', { done: true }),
      step('wait:1', 'delay', 'completed', { waitedMs: 5 }),
      step('loop/2/mail:1', 'integration', 'completed', { messageId: 'm' }),
      step('vars:1', 'action', 'completed', { n: 1 }, null),
      step('broken:1', 'action', 'failed'),
      step('other:1', 'notification', 'running'),
      step('pending:1', 'approval', 'waiting_approval'),
    ]);
    expect(seed.retryOf).toBe('run-1');
    expect(seed.memo.work).toEqual({
      'call:1': { ok: true, output: { status: 200, body: { order: 'A-17' } }, attempt: 2 },
      'loop/2/mail:1': { ok: true, output: { messageId: 'm' }, attempt: 2 },
    });
    expect(seed.memo.approvals).toEqual({ 'ask:1': decision });
    expect(seed.memo.children).toEqual({ 'child:1': { ok: true, output: { done: true } } });
    expect(seed.memo.timers).toEqual({ 'wait:1': 0 });
    expect(seed.memo.recorded).toEqual(['t:1', 'call:1', 'ask:1', 'child:1', 'wait:1', 'loop/2/mail:1', 'vars:1']);
    expect(carried.map((c) => c.stepKey)).toEqual(seed.memo.recorded);
  });

  it("ignores rows that are not the run's own", () => {
    const stray = { ...step('call:1', 'action', 'completed'), id: 'run-2:call:1' };
    expect(seedFrom(run, [stray]).seed.memo.recorded).toEqual([]);
  });
});

describe('triggerFrom', () => {
  it('gives the trigger node the output it had: a body only when the trigger carried one', () => {
    expect(triggerFrom(run, [step('t:1', 'trigger', 'completed', run.input)])).toEqual({ type: 'manual', nodeId: 't' });
    const hooked = { ...run, triggerSource: 'webhook' } as RunRow;
    expect(triggerFrom(hooked, [step('t:1', 'trigger', 'completed', { raw: true })])).toEqual({
      type: 'webhook',
      nodeId: 't',
      body: { raw: true },
    });
  });
});

describe('resumedRunId', () => {
  it('names one resumed run per failed run, shaped like any run id', () => {
    expect(resumedRunId('run-1')).toBe(resumedRunId('run-1'));
    expect(resumedRunId('run-1')).not.toBe(resumedRunId('run-2'));
    expect(resumedRunId('run-1')).toMatch(/^run-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
