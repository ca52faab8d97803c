/**
 * The interpreter's port, as the workflow answers it: work through activities, waits on durable timers, approvals on
 * the desk, children as child runs, steps written behind the run. Whatever a step already did (in this run, or in an
 * earlier one before continue-as-new) is answered from the memo instead of being done again.
 */
import { condition, sleep } from '@temporalio/workflow';
import type { ApprovalResult, EnginePort } from '../interpreter/engine';
import type { approvalWaiter } from './approval-wait';
import type { RunNotices } from './configured-notifications';
import { EVENTS_PER_LOCAL_ACTIVITY, EVENTS_PER_TIMER, type HistoryBudget } from './history-budget';
import { projection, type WriteBehind } from './projection-writer';
import type { Checkpoint, RunGraphInput } from './types';
import { runChild, runWork } from './work-routing';

/** What a run knows from earlier runs and has done itself: carried on by continue-as-new. */
export type Memo = Pick<Checkpoint, 'work' | 'approvals' | 'children' | 'timers' | 'recorded'>;

/** The memo a run starts with: what an earlier generation carried, or what a failed run left to a resumed one. */
export function memoFrom(carried: Memo | undefined): Memo {
  return {
    work: { ...carried?.work },
    approvals: { ...carried?.approvals },
    children: { ...carried?.children },
    timers: { ...carried?.timers },
    recorded: [...(carried?.recorded ?? [])],
  };
}

export interface PortDeps {
  args: RunGraphInput;
  runId: string;
  memo: Memo;
  budget: HistoryBudget;
  writes: WriteBehind;
  notices: RunNotices;
  awaitApproval: ReturnType<typeof approvalWaiter>;
  /** Resolves when the run may start its next node: not while paused or draining for continue-as-new. */
  isHeld: () => boolean;
}

export function enginePort(deps: PortDeps): EnginePort {
  const { args, runId, memo, budget, writes, notices } = deps;
  const { tenantId } = args;
  const run = { tenantId, runId };
  const recorded = new Set(memo.recorded);
  /** Projection writes made by this run (this generation; workflow time orders generations). */
  let written = 0;
  return {
    now: () => Date.now(),
    async runWork(request) {
      const known = memo.work[request.stepKey];
      if (known) return known;
      const result = await budget.counted(() => runWork(request, run, writes.takeForWork()));
      memo.work[request.stepKey] = result;
      if (!result.ok && notices.listens('error')) {
        await notices.notify('error', request.stepKey, {
          node: { id: request.nodeId, label: request.label },
          error: result.error,
        });
      }
      return result;
    },
    async recordStep(step, progress) {
      if (recorded.has(step.stepKey)) return;
      if (writes.batches) {
        // Paced as when each record was a write of its own: a workflow task stays as short as it was.
        budget.pace.wrote();
        await writes.gatherStep(step, progress, { at: Date.now(), count: ++written });
      } else {
        budget.add(EVENTS_PER_LOCAL_ACTIVITY);
        const stamp = { at: Date.now(), count: ++written };
        budget.pace.wrote();
        await writes.write(() => projection.recordStep({ tenantId, runId, step, progress, stamp }));
      }
      if (step.status === 'completed' || step.status === 'failed') {
        recorded.add(step.stepKey);
        memo.recorded.push(step.stepKey);
      }
    },
    async sleep(ms, summary, stepKey) {
      const deadline = memo.timers[stepKey] ?? Date.now() + ms;
      if (deadline === 0) return;
      memo.timers[stepKey] = deadline;
      const left = deadline - Date.now();
      budget.add(EVENTS_PER_TIMER);
      if (left > 0) {
        await sleep(left, { summary });
        budget.pace.rested();
      }
      memo.timers[stepKey] = 0;
    },
    // The same promise as before 'pace-long-stretches' unless a pause is due: runs in flight replay unchanged.
    whenRunning: () =>
      deps.isHeld() ? condition(() => !deps.isHeld()) : (budget.pace.beforeNode() ?? Promise.resolve()),
    async awaitApproval(request): Promise<ApprovalResult> {
      const known = memo.approvals[request.stepKey];
      if (known) return known;
      const result = await deps.awaitApproval(request);
      memo.approvals[request.stepKey] = result;
      return result;
    },
    async runChild(request) {
      const known = memo.children[request.stepKey];
      if (known) return known;
      const result = await budget.counted(() => runChild(request, args, runId));
      memo.children[request.stepKey] = result;
      return result;
    },
  };
}
