/**
 * Temporal Schedules for `schedule` triggers: one per trigger node, id
 * `sched-<workflowId>-<nodeId>`, starting `runGraph` pinned to the latest
 * published version. Publishing creates or updates them and deletes those
 * whose trigger is gone; archiving pauses them.
 */
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { workflowTriggers } from '../../db/schema';
import { parseDuration } from '../../interpreter/durations';
import { Unavailable } from '../../lib/domain-errors';
import { findVersion, findWorkflow, pinnedDefinition } from '../../runs/pin';
import { type StartDeps, tenantVariables } from '../../runs/start';
import { scheduleAction } from '../../runs/start-options';
import type { RunGraphInput } from '../../workflows/types';

export const scheduleIdFor = (workflowId: string, nodeId: string) => `sched-${workflowId}-${nodeId}`;

const OVERLAP: Record<string, (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy]> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

export function specFor(cron: string, timezone: string | undefined): ScheduleSpec {
  const every = /^@every\s+(\S+)$/.exec(cron.trim());
  if (every) return { intervals: [{ every: parseDuration(every[1]) ?? 60_000 }] };
  return { cronExpressions: [cron.trim()], ...(timezone ? { timezone } : {}) };
}

/** Brings the workflow's Temporal Schedules in line with its active schedule triggers. */
export async function syncSchedules(deps: StartDeps, tenantId: string, workflowId: string): Promise<void> {
  const { db, temporal, config } = deps;
  const workflow = await findWorkflow(db, tenantId, workflowId);
  if (!workflow) return;
  // The latest published version, archived or not: an archived workflow's schedules are paused, not dropped.
  const version = await findVersion(db, tenantId, workflowId, undefined);
  // Every schedule trigger this workflow has had (a publish deactivates the old rows, never deletes them).
  const all = await db
    .select()
    .from(workflowTriggers)
    .where(and(eq(workflowTriggers.workflowId, workflowId), eq(workflowTriggers.triggerType, 'schedule')));
  const triggers = all.filter((t) => t.isActive);
  const wanted = new Set(triggers.map((t) => scheduleIdFor(workflowId, t.nodeId)));
  const gone = new Set(all.map((t) => scheduleIdFor(workflowId, t.nodeId)).filter((id) => !wanted.has(id)));
  try {
    // Schedules of this workflow whose trigger is gone; a workflow that never had one touches no schedule.
    for (const scheduleId of gone) {
      await temporal.schedule
        .getHandle(scheduleId)
        .delete()
        .catch((error: unknown) => {
          if (!(error instanceof ScheduleNotFoundError)) throw error;
        });
    }
    if (!version) return;
    const definition = pinnedDefinition(workflow, version);
    // Scheduled runs see the variables as they were when the workflow was last published.
    const variables = await tenantVariables(db, tenantId);
    const paused = workflow.status === 'archived';
    const note = paused ? 'workflow archived' : `version ${version.version}`;
    for (const trigger of triggers) {
      const cfg = trigger.config as {
        cron?: string;
        timezone?: string;
        input?: unknown;
        overlap?: string;
        catchupWindow?: string;
      };
      const args: RunGraphInput = {
        tenantId,
        definition,
        input: cfg.input ?? {},
        trigger: { type: 'schedule', nodeId: trigger.nodeId },
        triggeredBy: null,
        priority: 'normal',
        historyLimit: config.runHistoryLimit,
        variables,
      };
      const scheduleId = scheduleIdFor(workflowId, trigger.nodeId);
      const options: ScheduleOptions = {
        scheduleId,
        spec: specFor(cfg.cron ?? '@every 1h', cfg.timezone),
        action: scheduleAction(config.temporal.taskQueue, scheduleId, args),
        policies: {
          overlap: OVERLAP[cfg.overlap ?? 'skip'] ?? ScheduleOverlapPolicy.SKIP,
          catchupWindow: parseDuration(cfg.catchupWindow) ?? 60_000,
        },
        state: { paused, note },
      };
      const handle = temporal.schedule.getHandle(scheduleId);
      try {
        await handle.update((previous) => ({
          ...previous,
          spec: options.spec,
          action: options.action,
          policies: { ...previous.policies, ...options.policies },
          state: { ...previous.state, paused, note },
        }));
        if (paused) await handle.pause(note);
        else await handle.unpause(note);
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        await temporal.schedule.create(options);
      }
    }
  } catch (error) {
    throw new Unavailable(
      'temporal',
      `The workflow was saved, but its schedules could not be updated in Temporal: ${(error as Error).message}. Publish again once Temporal is reachable.`,
      'schedules-not-synced',
    );
  }
}
