/**
 * Events: `POST /api/events/:name` and the platform's own (`run.completed`,
 * `run.failed`, `approval.expired`) start every published workflow whose
 * `event` trigger names the event and whose optional condition holds over the
 * payload (`body.*`). With an idempotency key, each workflow starts once per key.
 * The platform's names are its own: a caller may listen for them, never post them.
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { workflows, workflowTriggers } from '../../db/schema';
import { type Condition, evaluateCondition } from '../../interpreter/conditions';
import { render } from '../../interpreter/templates';
import { forbidden, HttpProblem } from '../errors';
import { type RunDeps, type Starter, startRun } from './runs';

/** The events the platform emits itself (workflows/run-graph.ts); their namespaces `run.` and `approval.` are reserved whole. */
export const PLATFORM_EVENTS = ['run.completed', 'run.failed', 'approval.expired'] as const;
const RESERVED_NAMESPACE = /^(run|approval)\./i;

export const isPlatformEvent = (name: string) => RESERVED_NAMESPACE.test(name);

/** Refuses a platform event name from a caller: a forged `run.failed` would start every error handler listening for it. */
export function assertPostable(name: string): void {
  if (isPlatformEvent(name)) {
    throw forbidden(`"${name}" is a platform event name (run.* and approval.* are reserved; the platform emits ${PLATFORM_EVENTS.join(', ')}). A workflow may listen for it, but only the platform posts it; post your own events under another name.`);
  }
}

export interface EventRun {
  workflowId: string;
  workflowName: string;
  runId?: string;
  status: 'started' | 'duplicate' | 'skipped' | 'refused';
  reason?: string;
}

export async function startEventRuns(deps: RunDeps, starter: Starter, name: string, payload: unknown, idempotencyKey: string | undefined): Promise<EventRun[]> {
  const rows = await deps.db
    .select({ trigger: workflowTriggers, workflowName: workflows.name, workflowStatus: workflows.status })
    .from(workflowTriggers)
    .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
    .where(and(eq(workflowTriggers.tenantId, starter.tenantId), eq(workflowTriggers.isActive, true), eq(workflowTriggers.triggerType, 'event'), eq(workflowTriggers.eventName, name)));
  const delivery = { body: payload, event: name };
  const results: EventRun[] = [];
  for (const { trigger, workflowName, workflowStatus } of rows) {
    const base = { workflowId: trigger.workflowId, workflowName };
    if (workflowStatus === 'archived') {
      results.push({ ...base, status: 'skipped', reason: 'archived' });
      continue;
    }
    const cfg = trigger.config as { condition?: Condition; input?: unknown };
    try {
      if (cfg.condition && !evaluateCondition(cfg.condition, delivery)) {
        results.push({ ...base, status: 'skipped', reason: 'condition does not hold' });
        continue;
      }
      const runId = idempotencyKey ? `evt-${createHash('sha256').update(`${starter.tenantId}\u0000${trigger.workflowId}\u0000${name}\u0000${idempotencyKey}`).digest('hex').slice(0, 32)}` : undefined;
      const started = await startRun(deps, starter, {
        workflowId: trigger.workflowId,
        input: cfg.input === undefined ? payload : render(cfg.input, delivery),
        ...(runId ? { runId } : {}),
        trigger: { type: 'event', nodeId: trigger.nodeId, body: payload, event: name },
      });
      results.push({ ...base, runId: started.runId, status: started.created ? 'started' : 'duplicate' });
    } catch (error) {
      results.push({ ...base, status: 'refused', reason: error instanceof HttpProblem ? `${error.message}${error.errors ? ` ${JSON.stringify(error.errors)}` : ''}` : (error as Error).message });
    }
  }
  return results;
}
