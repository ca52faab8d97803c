/**
 * Schedules (`GET /api/schedules`), events (`POST /api/events/:name`) and the integration catalogue (`GET
 * /api/integrations`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { INTEGRATIONS } from '../../interpreter/integrations';
import { callerOf } from '../auth';
import { idempotencyKeyOf } from '../idempotency';
import { assertPostable, startEventRuns } from '../services/events';
import { scheduleIdFor } from '../services/schedules';
import { activeTriggers } from '../services/active-triggers';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { EventAccepted, Integration, Schedule } from '../schemas/resources';
import { IdempotencyHeaders } from '../schemas/headers';

export const triggerRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/schedules',
    {
      schema: {
        operationId: 'listSchedules',
        summary: 'List schedule triggers with their next and recent runs',
        tags: ['triggers'],
        response: withProblems({
          200: answer(
            'Every schedule (one page)',
            z.strictObject({ items: z.array(Schedule), nextCursor: z.null() }).meta({ id: 'SchedulePage' }),
          ),
        }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await activeTriggers(db, caller.tenantId, 'schedule');
      const items = await Promise.all(
        rows.map(async ({ trigger, workflowName, workflowStatus }) => {
          const scheduleId = scheduleIdFor(trigger.workflowId, trigger.nodeId);
          const cfg = trigger.config as { cron?: string; timezone?: string };
          const base = {
            scheduleId,
            workflowId: trigger.workflowId,
            workflowName,
            workflowStatus,
            nodeId: trigger.nodeId,
            cron: cfg.cron ?? null,
            timezone: cfg.timezone ?? null,
          };
          try {
            const described = await app.temporal.schedule.getHandle(scheduleId).describe();
            return {
              ...base,
              paused: described.state.paused,
              note: described.state.note ?? null,
              nextRunTimes: described.info.nextActionTimes.map((d) => d.toISOString()),
              recentRuns: described.info.recentActions.map((a) => ({
                scheduledAt: a.scheduledAt.toISOString(),
                runId: a.action.workflow.workflowId,
              })),
            };
          } catch (error) {
            return {
              ...base,
              paused: null,
              note: `not found in Temporal: ${(error as Error).message}`,
              nextRunTimes: [],
              recentRuns: [],
            };
          }
        }),
      );
      return { items, nextCursor: null };
    },
  );

  app.get(
    '/api/integrations',
    {
      schema: {
        operationId: 'listIntegrations',
        summary: 'The integration catalogue: providers, actions and their settings',
        tags: ['integrations'],
        response: withProblems({
          200: answer(
            'Every integration',
            z.strictObject({ items: z.array(Integration) }).meta({ id: 'IntegrationList' }),
          ),
        }),
      },
    },
    async () => ({
      items: INTEGRATIONS.map(({ provider, label, action, config }) => ({
        provider,
        label,
        actions: [{ action, configSchema: z.toJSONSchema(config, { unrepresentable: 'any' }) }],
      })),
    }),
  );

  app.post(
    '/api/events/:name',
    {
      schema: {
        operationId: 'postEvent',
        summary: 'Post an event: starts the published workflows that listen for it',
        tags: ['triggers'],
        params: z.object({
          name: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'event names are letters, digits, ".", "_", ":" and "-"'),
        }),
        headers: IdempotencyHeaders,
        body: z
          .unknown()
          .meta({ description: "The event's payload, any JSON", examples: [{ orderId: 'A-4711', total: 129.5 }] }),
        response: withProblems({ 202: answer('What each listening workflow did with the event', EventAccepted) }, [
          409,
          503,
          ...JSON_BODY,
        ]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      assertPostable(request.params.name);
      const runs = await startEventRuns(
        app.runDeps,
        { tenantId: caller.tenantId, userId: caller.userId },
        request.params.name,
        request.body ?? {},
        idempotencyKeyOf(request),
      );
      return reply.code(202).send({ event: request.params.name, runs });
    },
  );
};
