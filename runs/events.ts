/**
 * Events start runs: `POST /api/events/:name` and the platform's own (`run.completed`, `run.failed`,
 * `approval.expired`, emitted through the worker) start every published workflow whose `event` trigger names
 * the event and whose optional condition holds over the payload (`body.*`). With an idempotency key, each
 * workflow starts once per key.
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { workflows, workflowTriggers } from '../db/schema';
import { type Condition, evaluateCondition } from '../interpreter/conditions';
import { render } from '../interpreter/templates';
import { InvalidInput } from '../lib/domain-errors';
import { type StartDeps, type Starter, startRun } from './start';

/**
 * The events the platform emits itself (workflows/run-graph.ts); their namespaces `run.` and `approval.` are reserved
 * whole.
 */
export const PLATFORM_EVENTS = ['run.completed', 'run.failed', 'approval.expired'] as const;
const RESERVED_NAMESPACE = /^(run|approval)\./i;

export const isPlatformEvent = (name: string) => RESERVED_NAMESPACE.test(name);

export interface EventRun {
  workflowId: string;
  workflowName: string;
  runId?: string;
  status: 'started' | 'duplicate' | 'skipped' | 'refused';
  reason?: string;
}

/** Why a listening workflow started nothing, as the event's answer lists it (with every input problem). */
function refusalReason(error: unknown): string {
  if (error instanceof InvalidInput) return `${error.message} ${JSON.stringify(error.problems)}`;
  return (error as Error).message;
}

/** The run an event starts for a workflow under an idempotency key: the same key always names the same run. */
const eventRunId = (tenantId: string, workflowId: string, name: string, key: string) =>
  `evt-${createHash('sha256').update(`${tenantId}\u0000${workflowId}\u0000${name}\u0000${key}`).digest('hex').slice(0, 32)}`;

export async function startEventRuns(
  deps: StartDeps,
  starter: Starter,
  name: string,
  payload: unknown,
  idempotencyKey: string | undefined,
): Promise<EventRun[]> {
  const rows = await deps.db
    .select({ trigger: workflowTriggers, workflowName: workflows.name, workflowStatus: workflows.status })
    .from(workflowTriggers)
    .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
    .where(
      and(
        eq(workflowTriggers.tenantId, starter.tenantId),
        eq(workflowTriggers.isActive, true),
        eq(workflowTriggers.triggerType, 'event'),
        eq(workflowTriggers.eventName, name),
      ),
    );
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
      const started = await startRun(deps, starter, {
        workflowId: trigger.workflowId,
        input: cfg.input === undefined ? payload : render(cfg.input, delivery),
        ...(idempotencyKey ? { runId: eventRunId(starter.tenantId, trigger.workflowId, name, idempotencyKey) } : {}),
        trigger: { type: 'event', nodeId: trigger.nodeId, body: payload, event: name },
      });
      results.push({ ...base, runId: started.runId, status: started.created ? 'started' : 'duplicate' });
    } catch (error) {
      // One workflow's refusal is its own: the others still hear the event.
      results.push({ ...base, status: 'refused', reason: refusalReason(error) });
    }
  }
  return results;
}
