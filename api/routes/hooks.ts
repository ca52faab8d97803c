/**
 * `POST /hooks/:path`: starts a run of the published workflow whose webhook
 * trigger has this path, once per delivery. The delivery id becomes the run
 * id, so a redelivery (or a retry after the API died mid-answer) answers the
 * same run and starts nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { webhookDeliveries, workflows, workflowTriggers } from '../../db/schema';
import { renderString, render, toText } from '../../interpreter/templates';
import { badRequest, HttpProblem, notFound } from '../errors';
import { startRun } from '../services/runs';
import { findSecret } from '../../db/secrets';
import { secretKeysOf } from '../../config';
import { verifyWebhook, type WebhookPreset } from '../../lib/webhook-signature';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** A delivery's run id: the same delivery always names the same run, whichever process receives it. */
export const webhookRunId = (triggerId: string, deliveryId: string) => `hook-${createHash('sha256').update(`${triggerId}\u0000${deliveryId}`).digest('hex').slice(0, 32)}`;

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (!text) return {};
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    if ((contentType ?? '').includes('json')) throw badRequest('The body is not valid JSON.', [{ path: 'body', message: 'not valid JSON' }]);
    return text;
  }
}

export const hookRoutes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;
  // The signature covers the exact bytes sent: keep them, for every content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post<{ Params: { path: string }; Querystring: Record<string, string> }>('/hooks/:path', { bodyLimit: WEBHOOK_BODY_LIMIT, schema: { hide: true } }, async (request, reply) => {
    const found = (
      await db
        .select({ trigger: workflowTriggers, workflowStatus: workflows.status })
        .from(workflowTriggers)
        .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
        .where(and(eq(workflowTriggers.path, request.params.path), eq(workflowTriggers.isActive, true), eq(workflowTriggers.triggerType, 'webhook')))
        .limit(1)
    )[0];
    if (!found || found.workflowStatus === 'archived') throw notFound('Webhook', request.params.path);
    const { trigger } = found;
    const config = trigger.config as { secretRef?: string; previousSecretRef?: string; preset?: WebhookPreset; input?: unknown; idempotencyKey?: string };
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const keys = secretKeysOf(app.config);
    const secrets = [await findSecret(db, keys, trigger.tenantId, config.secretRef), await findSecret(db, keys, trigger.tenantId, config.previousSecretRef)].filter((s): s is string => !!s);
    if (secrets.length === 0) {
      throw new HttpProblem(503, 'webhook-not-configured', `The secret "${config.secretRef ?? ''}" for this webhook is not configured on the server; the delivery was not accepted.`);
    }
    const verdict = verifyWebhook({ preset: config.preset ?? 'generic', headers: request.headers, raw, secrets, now: Date.now() });
    if (!verdict.ok) {
      // Recorded under an id of our own: an unverified request must not claim a delivery id a genuine one will use.
      await db.insert(webhookDeliveries).values({ tenantId: trigger.tenantId, triggerId: trigger.id, deliveryId: `rejected:${randomUUID()}`, verified: false, status: 'rejected', error: verdict.reason });
      throw new HttpProblem(401, 'bad-signature', `The webhook signature was refused: ${verdict.reason}. Nothing was started.`);
    }

    const body = parseBody(raw, request.headers['content-type']);
    const delivery = { body, headers: request.headers as Record<string, string>, query: request.query };
    const keyed = config.idempotencyKey ? toText(renderString(config.idempotencyKey, delivery)) : '';
    const deliveryId = verdict.deliveryId ?? (keyed || randomUUID());
    const runId = webhookRunId(trigger.id, deliveryId);
    const input = config.input === undefined ? body : render(config.input, delivery);

    await db.insert(webhookDeliveries).values({ tenantId: trigger.tenantId, triggerId: trigger.id, deliveryId, verified: true, runId, status: 'received' }).onConflictDoNothing();
    try {
      const started = await startRun(app.runDeps, { tenantId: trigger.tenantId, userId: null }, {
        workflowId: trigger.workflowId,
        input,
        runId,
        trigger: { type: 'webhook', nodeId: trigger.nodeId, body, headers: delivery.headers, query: request.query },
      });
      // The delivery's row says how its first arrival went; redeliveries leave it as it is.
      if (started.created) await db.update(webhookDeliveries).set({ status: 'started' }).where(and(eq(webhookDeliveries.triggerId, trigger.id), eq(webhookDeliveries.deliveryId, deliveryId)));
      if (started.created) {
        await db.update(workflowTriggers).set({ lastTriggered: new Date(), triggerCount: sql`${workflowTriggers.triggerCount} + 1` }).where(eq(workflowTriggers.id, trigger.id));
      }
      return reply.code(started.created ? 202 : 200).send({ runId, duplicate: !started.created });
    } catch (error) {
      await db.update(webhookDeliveries).set({ status: 'refused', error: (error as Error).message }).where(and(eq(webhookDeliveries.triggerId, trigger.id), eq(webhookDeliveries.deliveryId, deliveryId), eq(webhookDeliveries.status, 'received')));
      throw error;
    }
  });
};
