/**
 * `httpRequest`: the activity behind `action: http`, integrations of provider http or webhook, and webhook
 * notifications. It fills in secrets, checks the config with its provider's schema, records a call that may
 * change something in the intent ledger, sends through the provider, and answers the size-capped response.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { expand, offload } from '../db/payloads';
import { fillSecrets, findSecret, type FilledSecrets, type SecretKeys } from '../db/secrets';
import type { HttpConfig } from '../integrations/http-request';
import { showSecretMarkers } from '../interpreter/secret-refs';
import { FAILURES } from '../lib/failures';
import { redactorFor } from '../lib/redact';
import { permanentFailure } from './errors';
import type { Ledger } from './ledger';
import type { Checked } from './providers/checked';
import { checkHttpConfig, type HttpResponseOutput, sendHttp } from './providers/http';
import { type CheckedWebhook, checkWebhookConfig, sendWebhook } from './providers/webhook';

export type { HttpResponseOutput } from './providers/http';

/** Which run and node a piece of work belongs to, and its intent's key (the same across retries). */
export interface WorkScope {
  tenantId: string;
  runId: string;
  /** `<runId>:<stepKey>`: side effects happen once per key. */
  idempotencyKey: string;
  /** The node doing the work (recorded with the intent). */
  nodeId?: string;
}

/**
 * An HTTP call as the workflow sends it: the node's config as rendered for this run (`provider`, `method`, `url`,
 * `headers`, `body`, `expectStatus`, `secretRef`) beside the scope. Templates may render any JSON, so nothing about the
 * config is promised here: the provider's schema checks it (checkCall), and one that does not fit fails as
 * `InvalidConfig`, never retried.
 */
export type HttpRequestInput = WorkScope & { [field: string]: unknown };

/** What the workflow puts beside the scope: the node's rendered config. */
export type HttpCall = Record<string, unknown>;

export interface HttpRequestResult {
  output: HttpResponseOutput;
  attempt: number;
}

export interface HttpDeps {
  db: Db;
  /** HTTP_ALLOW_PRIVATE: let requests reach loopback and private addresses. */
  allowPrivate: boolean;
  secretKeys: SecretKeys;
  /** Response bodies larger than this are stored in PostgreSQL and referenced. */
  maxInlineBytes: number;
}

/** Methods that change nothing by HTTP's own rules: repeating them is harmless, so they skip the ledger. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The call, checked by its provider's schema: a webhook (signed when it names a secret) or a plain HTTP call. */
function checkCall(
  input: HttpRequestInput,
): { provider: 'webhook'; webhook: CheckedWebhook } | { provider: 'http'; request: Checked<HttpConfig> } {
  const { tenantId: _t, runId: _r, idempotencyKey: _k, nodeId: _n, ...config } = input;
  if (input.provider === 'webhook' || (input.secretRef !== undefined && input.secretRef !== null))
    return { provider: 'webhook', webhook: checkWebhookConfig(config) };
  return { provider: 'http', request: checkHttpConfig(config) };
}

export function createHttpActivities(deps: HttpDeps, ledger: Ledger) {
  return {
    async httpRequest(raw: HttpRequestInput): Promise<HttpRequestResult> {
      const attempt = Context.current().info.attempt;
      // Secrets are filled in before stored payloads are expanded, so text from a stored output is never read for
      // markers.
      let filled: FilledSecrets<HttpRequestInput>;
      try {
        filled = await fillSecrets(deps.db, deps.secretKeys, raw.tenantId, raw);
      } catch (error) {
        throw permanentFailure((error as Error).message, FAILURES.SecretMissing);
      }
      const expanded = (await expand(deps.db, raw.tenantId, filled.value)) as HttpRequestInput;
      let signingSecret: string | undefined;
      let redact = filled.redact;
      try {
        const call = checkCall(expanded);
        const secretRef = call.provider === 'webhook' ? call.webhook.secretRef : undefined;
        if (secretRef !== undefined) {
          signingSecret = await findSecret(deps.db, deps.secretKeys, raw.tenantId, secretRef);
          if (!signingSecret)
            throw permanentFailure(
              `the signing secret "${secretRef}" is not set (PUT /api/variables/<name> as a secret)`,
              FAILURES.WebhookSecretMissing,
            );
          redact = redactorFor(new Map([...filled.redact.secrets, [secretRef, signingSecret]]));
        }
        const options = { idempotencyKey: raw.idempotencyKey, allowPrivate: deps.allowPrivate };
        if (call.provider === 'webhook')
          return await recorded(call.webhook.request.method, () =>
            sendWebhook(call.webhook, { ...options, signingSecret }),
          );
        return await recorded(call.request.method, () => sendHttp(call.request, options));
      } catch (thrown) {
        // Nothing that leaves this activity (the failure, the ledger row, the log) may quote a secret it filled in.
        throw redact.error(thrown);
      }

      /**
       * Sends through the ledger when the call may change something; a retry that finds it made returns what it
       * answered.
       */
      async function recorded(
        method: string | undefined,
        sendCall: () => Promise<HttpResponseOutput>,
      ): Promise<HttpRequestResult> {
        const inLedger = !SAFE_METHODS.has(method ?? 'GET');
        if (inLedger) {
          const target = String(showSecretMarkers(raw.url ?? ''));
          const row = await ledger.open({
            tenantId: raw.tenantId,
            runId: raw.runId,
            nodeId: raw.nodeId ?? null,
            idempotencyKey: raw.idempotencyKey,
            type: 'http.request',
            channel: signingSecret ? 'webhook' : 'http',
            recipients: [target],
            subject: `${method ?? 'GET'} ${target}`,
            message: null,
          });
          if (row.status === 'sent' && row.result) return { output: row.result as HttpResponseOutput, attempt };
        }
        try {
          const safe = redact(await sendCall());
          safe.body = await offload(
            deps.db,
            { tenantId: raw.tenantId, runId: raw.runId, key: `${raw.idempotencyKey}:body` },
            safe.body,
            deps.maxInlineBytes,
          );
          if (inLedger) await ledger.sent(raw.tenantId, raw.idempotencyKey, safe);
          return { output: safe, attempt };
        } catch (thrown) {
          if (inLedger) {
            const error = redact.error(thrown);
            const message = (error as Error).message;
            if (error instanceof ApplicationFailure && error.nonRetryable)
              await ledger.failed(raw.tenantId, raw.idempotencyKey, message);
            else await ledger.attemptFailed(raw.tenantId, raw.idempotencyKey, message);
          }
          throw thrown;
        }
      }
    },
  };
}
