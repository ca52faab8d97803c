/**
 * Temporal Schedules for `schedule` triggers: one per trigger node, id
 * `sched-<workflowId>-<nodeId>`, starting `runGraph` pinned to the latest
 * published version. Publishing creates or updates them and deletes those
 * whose trigger is gone; archiving pauses them.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { and, desc, eq } from 'drizzle-orm';
import { workflows, workflowTriggers, workflowVersions } from '../../db/schema';
import { parseDuration } from '../../interpreter/durations';
import type { Definition } from '../../interpreter/schema';
import { RunStatusKey, TenantKey, VersionKey, WorkflowIdKey, WorkflowNameKey } from '../../workflows/search-attributes';
import type { RunGraphInput } from '../../workflows/types';
import { HttpProblem } from '../errors';
import { type RunDeps, tenantVariables } from './runs';

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
export async function syncSchedules(deps: RunDeps, tenantId: string, workflowId: string): Promise<void> {
  const { db, temporal, config } = deps;
  const workflow = (await db.select().from(workflows).where(and(eq(workflows.id, workflowId), eq(workflows.tenantId, tenantId))).limit(1))[0];
  if (!workflow) return;
  const version = (await db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, workflowId)).orderBy(desc(workflowVersions.version)).limit(1))[0];
  // Every schedule trigger this workflow has had (a publish deactivates the old rows, never deletes them).
  const all = await db.select().from(workflowTriggers).where(and(eq(workflowTriggers.workflowId, workflowId), eq(workflowTriggers.triggerType, 'schedule')));
  const triggers = all.filter((t) => t.isActive);
  const wanted = new Set(triggers.map((t) => scheduleIdFor(workflowId, t.nodeId)));
  const gone = new Set(all.map((t) => scheduleIdFor(workflowId, t.nodeId)).filter((id) => !wanted.has(id)));
  try {
    // Schedules of this workflow whose trigger is gone; a workflow that never had one touches no schedule.
    for (const scheduleId of gone) {
      await temporal.schedule.getHandle(scheduleId).delete().catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
    }
    if (!version) return;
    for (const trigger of triggers) {
      const cfg = trigger.config as { cron?: string; timezone?: string; input?: unknown; overlap?: string; catchupWindow?: string };
      const args: RunGraphInput = {
        tenantId,
        definition: { workflowId, versionId: version.id, version: version.version, contentHash: version.contentHash, name: workflow.name, graph: version.workflowData as Definition },
        input: cfg.input ?? {},
        trigger: { type: 'schedule', nodeId: trigger.nodeId },
        triggeredBy: null,
        priority: 'normal',
        historyLimit: config.runHistoryLimit,
        // Scheduled runs see the variables as they were when the workflow was last published.
        variables: await tenantVariables(db, tenantId),
      };
      const scheduleId = scheduleIdFor(workflowId, trigger.nodeId);
      const options: ScheduleOptions = {
        scheduleId,
        spec: specFor(cfg.cron ?? '@every 1h', cfg.timezone),
        action: {
          type: 'startWorkflow',
          workflowType: 'runGraph',
          workflowId: scheduleId,
          taskQueue: config.temporal.taskQueue,
          args: [args],
          typedSearchAttributes: [
            { key: WorkflowNameKey, value: workflow.name },
            { key: WorkflowIdKey, value: workflowId },
            { key: VersionKey, value: version.version },
            { key: RunStatusKey, value: 'pending' },
            { key: TenantKey, value: tenantId },
          ],
        },
        policies: { overlap: OVERLAP[cfg.overlap ?? 'skip'] ?? ScheduleOverlapPolicy.SKIP, catchupWindow: parseDuration(cfg.catchupWindow) ?? 60_000 },
        state: { paused: workflow.status === 'archived', note: workflow.status === 'archived' ? 'workflow archived' : `version ${version.version}` },
      };
      const handle = temporal.schedule.getHandle(scheduleId);
      try {
        await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies }, state: { ...previous.state, paused: options.state!.paused!, note: options.state!.note! } }));
        if (workflow.status === 'archived') await handle.pause('workflow archived');
        else await handle.unpause(`version ${version.version}`);
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        await temporal.schedule.create(options);
      }
    }
  } catch (error) {
    throw new HttpProblem(503, 'schedules-not-synced', `The workflow was saved, but its schedules could not be updated in Temporal: ${(error as Error).message}. Publish again once Temporal is reachable.`);
  }
}
