/**
 * `POST /hooks/:scope/:path`: starts a run of the published workflow whose webhook trigger has this path, in
 * the tenant the scope names (its id), once per delivery. Paths are the tenant's own: another tenant cannot
 * learn them, and no path is "taken" across tenants. The delivery's name becomes the run id, so a redelivery
 * (or a retry after the API died mid-answer) answers the same run and starts nothing; a signed request seen
 * again under another delivery id is the same delivery too (lib/webhook-signature.ts says which name counts).
 *
 * A stranger's request costs one read and one counter update: refusals are counted on the trigger
 * (`rejected_count`, `last_rejected_at`, `last_rejection_reason`), never stored one by one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, lt, ne, sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookSignatures, workflows, workflowTriggers } from '../../db/schema';
import { renderString, render, toText } from '../../interpreter/templates';
import { badRequest, HttpProblem, notFound } from '../errors';
import { startRun } from '../services/runs';
import { parseUntrustedJson, refuseHostile } from '../hostile-input';
import { findSecret } from '../../db/secrets';
import { secretKeysOf } from '../../config';
import {
  DEFAULT_TOLERANCE_SECONDS,
  deliveryKeyOf,
  verifyWebhook,
  type WebhookPreset,
} from '../../lib/webhook-signature';
import { z } from 'zod';
import { answer, withProblems } from '../schemas/problem';
import { HookAccepted } from '../schemas/resources';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** A delivery's run id: the same delivery always names the same run, whichever process receives it. */
export const webhookRunId = (triggerId: string, deliveryId: string) =>
  `hook-${createHash('sha256').update(`${triggerId}\u0000${deliveryId}`).digest('hex').slice(0, 32)}`;

/** The public path of a tenant's webhook: what a sender (GitHub, Stripe, ...) is given. */
export const webhookUrlPath = (tenantId: string, path: string) => `/hooks/${tenantId}/${path}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Counts a refusal on the trigger, in one statement, for the operator (GET /api/webhooks). */
async function countRejection(db: Db, triggerId: string, reason: string): Promise<void> {
  await db
    .update(workflowTriggers)
    .set({
      rejectedCount: sql`${workflowTriggers.rejectedCount} + 1`,
      lastRejectedAt: new Date(),
      lastRejectionReason: reason.slice(0, 500),
    })
    .where(eq(workflowTriggers.id, triggerId));
}

/**
 * The run a signature already answered, or undefined after recording that it answers `runId` now. Kept for
 * IDEMPOTENCY_TTL, and at least as long as a timestamp stays fresh, so a replay under another id is caught.
 */
async function runOfSignature(
  db: Db,
  ttlMs: number,
  row: { triggerId: string; tenantId: string; signatureHash: string; runId: string },
): Promise<string | undefined> {
  const keepMs = Math.max(ttlMs, DEFAULT_TOLERANCE_SECONDS * 2000);
  await db.delete(webhookSignatures).where(lt(webhookSignatures.seenAt, new Date(Date.now() - keepMs)));
  const inserted = await db
    .insert(webhookSignatures)
    .values(row)
    .onConflictDoNothing()
    .returning({ runId: webhookSignatures.runId });
  if (inserted.length) return undefined;
  const seen = (
    await db
      .select({ runId: webhookSignatures.runId })
      .from(webhookSignatures)
      .where(
        and(eq(webhookSignatures.triggerId, row.triggerId), eq(webhookSignatures.signatureHash, row.signatureHash)),
      )
      .limit(1)
  )[0];
  return seen?.runId === row.runId ? undefined : seen?.runId;
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (!text) return {};
  if ((contentType ?? '').includes('application/x-www-form-urlencoded'))
    return refuseHostile(Object.fromEntries(new URLSearchParams(text)));
  // Too deep, a NUL or a lone surrogate is a 400 here, after the signature was checked on the exact bytes.
  const parsed = parseUntrustedJson(text);
  if (parsed.ok) return parsed.value;
  if ((contentType ?? '').includes('json'))
    throw badRequest('The body is not valid JSON.', [{ path: 'body', message: 'not valid JSON' }]);
  return refuseHostile(text);
}

export const hookRoutes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;
  // The signature covers the exact bytes sent: keep them, for every content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  app.post<{ Params: { scope: string; path: string }; Querystring: Record<string, string> }>(
    '/hooks/:scope/:path',
    {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        operationId: 'receiveWebhook',
        params: z.object({
          scope: z.string().meta({ description: "The tenant's id (GET /api/webhooks gives the whole URL)" }),
          path: z.string().meta({ description: "The webhook trigger's path" }),
        }),
        summary: 'A webhook delivery: starts a run once per delivery (signed; no API key)',
        tags: ['webhooks'],
        security: [],
        // Documented, not validated here: the signature is checked on the exact bytes first (the body is parsed after).
        response: withProblems(
          {
            200: answer('This delivery was seen before: the run it started', HookAccepted),
            202: answer('A run was started', HookAccepted),
          },
          [400, 401, 404, 409, 413, 429, 503],
          { publicRoute: true },
        ),
      },
    },
    async (request, reply) => {
      const { scope, path } = request.params;
      const found = !UUID.test(scope)
        ? undefined
        : (
            await db
              .select({ trigger: workflowTriggers, workflowStatus: workflows.status })
              .from(workflowTriggers)
              .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
              .where(
                and(
                  eq(workflowTriggers.tenantId, scope),
                  eq(workflowTriggers.path, path),
                  eq(workflowTriggers.isActive, true),
                  eq(workflowTriggers.triggerType, 'webhook'),
                ),
              )
              .limit(1)
          )[0];
      if (!found || found.workflowStatus === 'archived') throw notFound('Webhook', `${scope}/${path}`);
      const { trigger } = found;
      const config = trigger.config as {
        secretRef?: string;
        previousSecretRef?: string;
        preset?: WebhookPreset;
        input?: unknown;
        idempotencyKey?: string;
      };
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const keys = secretKeysOf(app.config);
      const secrets = [
        await findSecret(db, keys, trigger.tenantId, config.secretRef),
        await findSecret(db, keys, trigger.tenantId, config.previousSecretRef),
      ].filter((s): s is string => !!s);
      // Without its secret the trigger refuses everything, and answers as a wrong signature would: a stranger learns
      // nothing more.
      const unconfigured = secrets.length === 0;
      const verdict = verifyWebhook({
        preset: config.preset ?? 'generic',
        headers: request.headers,
        raw,
        secrets: unconfigured ? [randomBytes(32).toString('hex')] : secrets,
        now: Date.now(),
      });
      if (!verdict.ok || unconfigured) {
        const reason = verdict.ok ? 'signature does not match' : verdict.reason;
        await countRejection(
          db,
          trigger.id,
          unconfigured ? `the secret "${config.secretRef ?? ''}" is not configured on the server` : reason,
        );
        throw new HttpProblem(
          401,
          'bad-signature',
          `The webhook signature was refused: ${reason}. Nothing was started.`,
        );
      }

      const body = parseBody(raw, request.headers['content-type']);
      const delivery = { body, headers: request.headers as Record<string, string>, query: request.query };
      const keyed = config.idempotencyKey ? toText(renderString(config.idempotencyKey, delivery)) : '';
      const deliveryId = deliveryKeyOf(verdict, keyed || undefined);
      const runId = webhookRunId(trigger.id, deliveryId);
      const input = config.input === undefined ? body : render(config.input, delivery);
      const duplicate = (first: string) => reply.code(200).send({ runId: first, duplicate: true });

      const earlier = await runOfSignature(db, app.config.idempotencyTtlMs, {
        triggerId: trigger.id,
        tenantId: trigger.tenantId,
        signatureHash: verdict.fingerprint,
        runId,
      });
      if (earlier) return duplicate(earlier);
      const known = (
        await db
          .select({ status: webhookDeliveries.status })
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.triggerId, trigger.id), eq(webhookDeliveries.deliveryId, deliveryId)))
          .limit(1)
      )[0];
      if (known?.status === 'started') return duplicate(runId);

      if (!known)
        await db
          .insert(webhookDeliveries)
          .values({
            tenantId: trigger.tenantId,
            triggerId: trigger.id,
            deliveryId,
            verified: true,
            runId,
            status: 'received',
          })
          .onConflictDoNothing();
      try {
        const started = await startRun(
          app.runDeps,
          { tenantId: trigger.tenantId, userId: null },
          {
            workflowId: trigger.workflowId,
            input,
            runId,
            trigger: { type: 'webhook', nodeId: trigger.nodeId, body, headers: delivery.headers, query: request.query },
          },
        );
        // The run exists (this request started it, or an earlier one that died before answering did): later repeats
        // need not ask Temporal.
        await db
          .update(webhookDeliveries)
          .set({ status: 'started', error: null })
          .where(
            and(
              eq(webhookDeliveries.triggerId, trigger.id),
              eq(webhookDeliveries.deliveryId, deliveryId),
              ne(webhookDeliveries.status, 'started'),
            ),
          );
        if (started.created) {
          await db
            .update(workflowTriggers)
            .set({ lastTriggered: new Date(), triggerCount: sql`${workflowTriggers.triggerCount} + 1` })
            .where(eq(workflowTriggers.id, trigger.id));
        }
        return reply.code(started.created ? 202 : 200).send({ runId, duplicate: !started.created });
      } catch (error) {
        // Refused (bad input, Temporal away): the sender may retry this delivery, so its signature names no run yet.
        await db
          .delete(webhookSignatures)
          .where(
            and(
              eq(webhookSignatures.triggerId, trigger.id),
              eq(webhookSignatures.signatureHash, verdict.fingerprint),
              eq(webhookSignatures.runId, runId),
            ),
          );
        await db
          .update(webhookDeliveries)
          .set({ status: 'refused', error: (error as Error).message })
          .where(
            and(
              eq(webhookDeliveries.triggerId, trigger.id),
              eq(webhookDeliveries.deliveryId, deliveryId),
              eq(webhookDeliveries.status, 'received'),
            ),
          );
        throw error;
      }
    },
  );
};
