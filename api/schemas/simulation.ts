/** The dry run's request and answer (POST /api/workflows/:id/simulate), for the route and the OpenAPI document. */
import { z } from 'zod';
import { isoMoment, versionNumber } from '../params';

const NodeId = z.string().min(1).max(200);
const Outcome = z.string().min(1).max(100);

const Decision = z.union([
  Outcome,
  z.strictObject({
    outcome: Outcome,
    after: z
      .string()
      .max(50)
      .optional()
      .meta({ description: 'How long after the approval is asked the decision arrives (e.g. "2h", "P3D")' }),
    comment: z.string().max(2000).optional(),
  }),
]);

/** One entry for every visit, or a list: the n-th entry for the n-th visit. */
const perVisit = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1).max(1000)]);

const FormData = z.record(z.string(), z.unknown());

export const SimulateBody = z
  .strictObject({
    input: z.unknown().optional(),
    version: versionNumber.optional().meta({ description: 'A published version to simulate; the draft when absent' }),
    startAt: isoMoment.optional().meta({ description: 'When the simulated run starts; now when absent' }),
    decisions: z
      .record(NodeId, perVisit(Decision))
      .optional()
      .meta({
        description:
          'Per approval node: its outcome on every visit, or a list with one per visit. `expired`, or a visit left ' +
          'out, means nobody decides: the approval expires if it can, else the run waits there',
      }),
    responses: z
      .record(NodeId, z.unknown())
      .optional()
      .meta({
        description:
          'Per node that does work (http, integration, notification, subworkflow): its output, or `{ "error": ' +
          '"message" }` to fail it (after its retries). Nodes left out answer a default',
      }),
    data: z
      .record(NodeId, perVisit(FormData))
      .optional()
      .meta({ description: 'Per approval node: the form data its decision carries (`nodes.<id>.output.data`)' }),
  })
  .nullish()
  .meta({
    examples: [
      {
        input: { amount: 1200 },
        decisions: { review: ['changes_requested', { outcome: 'approved', after: '2h' }] },
        responses: { notify_erp: { error: 'the ERP answered 500' } },
        data: { review: [{ note: 'split the order' }, { note: 'fine' }] },
      },
    ],
  });

const moment = z.string().meta({ description: 'Simulated time, ISO 8601' });
const NodeError = z.object({ message: z.string(), type: z.string().optional(), nodeId: z.string().optional() });

const PathEntry = z.object({
  seq: z.number().int(),
  nodeId: z.string(),
  nodeType: z.string(),
  label: z.string().nullable(),
  visit: z.number().int(),
  stepKey: z.string(),
  at: moment,
  elapsedMs: z.number().meta({ description: 'Simulated milliseconds since the run started' }),
  completedAt: moment.nullable(),
  status: z.string(),
  handle: z.string().nullable(),
  output: z.unknown(),
  error: NodeError.nullable(),
  attempt: z.number().int(),
  answer: z
    .enum(['scripted', 'default', 'expired'])
    .optional()
    .meta({ description: 'Where the answer of a node that does work or an approval came from' }),
});

const SimulationEvent = z.object({
  kind: z.enum(['asked', 'reminded', 'dueSoon', 'escalated', 'decided', 'expired']),
  nodeId: z.string(),
  stepKey: z.string(),
  at: moment,
  elapsedMs: z.number(),
  approverRoles: z.array(z.string()).optional(),
  outcome: z.string().optional(),
});

const SimulatedWait = z.object({
  kind: z.literal('approval'),
  nodeId: z.string(),
  stepKey: z.string(),
  label: z.string(),
  since: moment,
  elapsedMs: z.number(),
  approverRoles: z.array(z.string()),
  approverUsers: z.array(z.string()),
  outcomes: z.array(z.string()),
});

export const SimulationReport = z
  .object({
    workflowId: z.string(),
    version: z.number().int().nullable().meta({ description: 'The version simulated; null for the draft' }),
    status: z.enum(['completed', 'failed', 'cancelled', 'waiting']),
    output: z.unknown(),
    error: NodeError.nullable(),
    startedAt: moment,
    endedAt: moment,
    elapsedMs: z.number(),
    path: z.array(PathEntry),
    events: z.array(SimulationEvent).meta({
      description: 'Approvals asked, reminded (and of their due date: dueSoon), escalated, decided, expired',
    }),
    waits: z.array(SimulatedWait).meta({ description: 'What the run would still wait on (status `waiting`)' }),
    visits: z.record(z.string(), z.number().int()),
  })
  .meta({ id: 'SimulationReport' });
