/** A tenant's active triggers of one type, each with its workflow's name and status: what the trigger lists show. */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { type TRIGGER_TYPES, workflows, workflowTriggers } from '../../db/schema';

export function activeTriggers(db: Db, tenantId: string, type: (typeof TRIGGER_TYPES)[number]) {
  return db
    .select({ trigger: workflowTriggers, workflowName: workflows.name, workflowStatus: workflows.status })
    .from(workflowTriggers)
    .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
    .where(
      and(
        eq(workflowTriggers.tenantId, tenantId),
        eq(workflowTriggers.isActive, true),
        eq(workflowTriggers.triggerType, type),
      ),
    );
}
