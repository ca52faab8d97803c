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
import { eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../db/client';
import { workflowTriggers } from '../../db/schema';
import { renderString, render, toText } from '../../interpreter/templates';
import { badRequest, HttpProblem, notFound } from '../errors';
import { checkedInput, existingRun, launchRun, runFactsOf } from '../../runs/start';
import { isRefusal, refusalError } from '../../runs/pin';
import type { RunFacts } from '../../runs/run-row';
import { claimDelivery, recordStarted, releaseDelivery, sweepExpiredSignatures } from '../services/webhook-deliveries';
import { type DefinitionsFeed, WebhookTargetCache, type WebhookTarget } from '../services/webhook-targets';
import { parseUntrustedJson, refuseHostile } from '../hostile-input';
import { findSecret, open, type SecretKeys } from '../../db/secrets';
import { secretKeysOf } from '../../config';
import { DEFAULT_TOLERANCE_SECONDS, deliveryKeyOf, verifyWebhook } from '../../lib/webhook-signature';
import { z } from 'zod';
import { answer, withProblems } from '../schemas/problem';
import { HookAccepted } from '../schemas/resources';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** A delivery's run id: the same delivery always names the same run, whichever process receives it. */
export const webhookRunId = (triggerId: string, deliveryId: string) =>
  `hook-${createHash('sha256').update(`${triggerId}\u0000${deliveryId}`).digest('hex').slice(0, 32)}`;

/** The public path of a tenant's webhook: what a sender (GitHub, Stripe, ...) is given. */
export const webhookUrlPath = (tenantId: string, path: string) => `/hooks/${tenantId}/${path}`;

/** Without a LISTEN nothing is announced, so nothing is kept: every delivery reads. */
const NEVER_LIVE: DefinitionsFeed = { live: false, onDefinitionsChanged: () => () => {} };

/** How often each API process deletes the signatures past their keeping time (several doing it is harmless). */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

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

/** The trigger's secrets, opened: the store's first, else (default tenant only) those ENV_SECRETS lists. */
async function secretsOf(db: Db, keys: SecretKeys, target: WebhookTarget): Promise<string[]> {
  const { config, tenantId } = target.trigger;
  const opened = await Promise.all(
    [config.secretRef, config.previousSecretRef].map(async (name) => {
      if (!name) return undefined;
      const sealed = target.secrets.find((s) => s.name === name);
      if (sealed?.encrypted) {
        try {
          return open(keys, sealed.encrypted, sealed.keyId);
        } catch {
          return undefined;
        }
      }
      return keys.envSecrets?.has(name) ? findSecret(db, keys, tenantId, name) : undefined;
    }),
  );
  return opened.filter((s): s is string => !!s);
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
  // Made at the first delivery: the run-events hub (whose LISTEN announces changes) registers after these routes.
  let targets: WebhookTargetCache | undefined;
  const targetsOf = () =>
    (targets ??= new WebhookTargetCache(db, (app as { runEvents?: DefinitionsFeed }).runEvents ?? NEVER_LIVE));
  app.addHook('onClose', async () => targets?.close());
  // A signature is kept as long as a redelivery may come; after that its row only takes room.
  const keepMs = Math.max(app.config.idempotencyTtlMs, DEFAULT_TOLERANCE_SECONDS * 2000);
  const sweep = setInterval(() => {
    sweepExpiredSignatures(db, keepMs).catch((error: unknown) =>
      app.log.warn({ err: error }, 'expired webhook signatures could not be swept; the next sweep tries again'),
    );
  }, SWEEP_EVERY_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
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
      const target = UUID.test(scope) ? await targetsOf().find(scope, path) : undefined;
      if (!target) throw notFound('Webhook', `${scope}/${path}`);
      const { trigger } = target;
      const { config } = trigger;
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const keys = secretKeysOf(app.config);
      const secrets = await secretsOf(db, keys, target);
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
      const duplicate = (first: string) => reply.code(200).send({ runId: first, duplicate: true });

      // Why no run can start (no published version, input the schema refuses) is known before any write, but the
      // answer waits for the claim: a delivery seen before answers its run whatever changed since.
      const { pin } = target;
      const starter = { tenantId: trigger.tenantId, userId: null };
      const runTrigger = {
        type: 'webhook' as const,
        nodeId: trigger.nodeId,
        body,
        headers: delivery.headers,
        query: request.query,
      };
      let refusal: Error | undefined;
      let facts: RunFacts | undefined;
      if (isRefusal(pin)) refusal = refusalError(pin, trigger.workflowId, undefined);
      else {
        try {
          const input = checkedInput(pin, config.input === undefined ? body : render(config.input, delivery));
          facts = runFactsOf(starter, pin, runId, input, { trigger: runTrigger });
        } catch (error) {
          refusal = error as Error;
        }
      }
      const claim = {
        triggerId: trigger.id,
        tenantId: trigger.tenantId,
        deliveryId,
        signatureHash: verdict.fingerprint,
        runId,
        keepMs,
        run: facts,
      };
      const claimed = await claimDelivery(db, claim);
      if (claimed.kind === 'replay') return duplicate(claimed.runId);
      if (claimed.kind === 'started') return duplicate(runId);
      try {
        if (refusal || isRefusal(pin) || !facts) throw refusal;
        if (!claimed.runInserted) {
          const answered = await existingRun(db, facts, undefined);
          if (answered) {
            await recordStarted(db, trigger.id, deliveryId, false);
            return duplicate(runId);
          }
        }
        const created = await launchRun(app.runDeps, pin, facts, runTrigger, target.variables, claimed.runInserted);
        // The run exists (this request started it, or an earlier one that died before answering did): later repeats
        // need not ask Temporal.
        await recordStarted(db, trigger.id, deliveryId, created);
        return reply.code(created ? 202 : 200).send({ runId, duplicate: !created });
      } catch (error) {
        await releaseDelivery(db, claim, (error as Error).message);
        throw error;
      }
    },
  );
};
