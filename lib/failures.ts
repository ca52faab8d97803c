/**
 * Every named failure the platform raises, in one place: the `type` a step,
 * a run or an API problem carries, and whether a retry could ever help.
 *
 * Pure data (no imports), so workflows/, interpreter/, activities/ and api/
 * all read the same names. `retry` says who decides:
 * - `never`: nothing about the world changes the answer (invalid input or
 *   config, a constraint violation, a refused address, a 4xx other than
 *   408/429); Temporal must not try again.
 * - `yes`: the world may change (a timeout, a 5xx, a rate limit).
 * - `by-cause`: the same name for both, chosen where it is raised (an HTTP
 *   status: 4xx never, 5xx/408/429 yes).
 */

export type RetryVerdict = 'never' | 'yes' | 'by-cause';

export interface FailureKind {
  readonly type: string;
  readonly retry: RetryVerdict;
  /** What happened, for a person reading a failed step. */
  readonly meaning: string;
}

const kind = <T extends string, R extends RetryVerdict>(type: T, retry: R, meaning: string) =>
  ({ type, retry, meaning }) as const;

export const FAILURES = {
  // Any work: what the activity was given cannot be done, however often it is tried.
  InvalidConfig: kind(
    'InvalidConfig',
    'never',
    "a node's config, as rendered for this run, does not fit its provider's schema",
  ),
  InvalidInput: kind('InvalidInput', 'never', 'the database refused a value as malformed (SQLSTATE class 22)'),
  ConstraintViolation: kind(
    'ConstraintViolation',
    'never',
    'the database refused a write that breaks a constraint (SQLSTATE class 23)',
  ),
  SecretMissing: kind('SecretMissing', 'never', 'a {{ secrets.NAME }} names no secret set for the tenant'),

  // HTTP and outbound webhooks.
  HttpBadRequest: kind(
    'HttpBadRequest',
    'never',
    'the URL is not an http or https URL (or a redirect led to one that is not)',
  ),
  HttpBlocked: kind(
    'HttpBlocked',
    'never',
    'the address guard refused a private or loopback target (HTTP_ALLOW_PRIVATE)',
  ),
  HttpTooManyRedirects: kind('HttpTooManyRedirects', 'never', 'the target redirected more than five times'),
  HttpStatusError: kind(
    'HttpStatusError',
    'by-cause',
    'the target answered a status not expected; 408, 429 and 5xx are tried again',
  ),
  HttpConnectionError: kind('HttpConnectionError', 'yes', 'no answer: the connection failed or timed out'),
  WebhookSecretMissing: kind(
    'WebhookSecretMissing',
    'never',
    "the webhook's secretRef names no secret set for the tenant",
  ),

  // Email.
  EmailNotConfigured: kind('EmailNotConfigured', 'never', 'SMTP_URL is not set'),
  EmailRefused: kind('EmailRefused', 'never', 'the SMTP server refused the message for good (5xx)'),
  EmailUnavailable: kind('EmailUnavailable', 'yes', 'the SMTP server could not be reached or asked to try later (4xx)'),
  NoRecipients: kind('NoRecipients', 'never', 'the recipients, once rendered, name nobody'),
  AttachmentNotFound: kind('AttachmentNotFound', 'never', 'an attachment names a document the tenant does not have'),
  AttachmentBadUrl: kind('AttachmentBadUrl', 'never', "an attachment's URL is not an http or https URL"),
  AttachmentUnavailable: kind(
    'AttachmentUnavailable',
    'by-cause',
    "an attachment's URL answered an error; 408, 429 and 5xx are tried again",
  ),
  AttachmentTooLarge: kind('AttachmentTooLarge', 'never', 'an attachment is larger than 10 MiB'),

  // Slack.
  SlackNotConfigured: kind('SlackNotConfigured', 'never', 'SLACK_TOKEN is not set'),
  SlackRefused: kind('SlackRefused', 'never', 'Slack refused the message (a platform error such as channel_not_found)'),
  SlackRateLimited: kind(
    'SlackRateLimited',
    'yes',
    'Slack rate limited the call; tried again after the delay it asked for',
  ),
  SlackUnavailable: kind('SlackUnavailable', 'yes', 'Slack could not be reached'),

  // Notifications.
  BadChannel: kind('BadChannel', 'never', 'a notification names a channel that has no provider'),

  // Subworkflows (activities/projection.ts starts the child).
  SubworkflowNotFound: kind('SubworkflowNotFound', 'never', 'the subworkflow does not exist'),
  SubworkflowArchived: kind('SubworkflowArchived', 'never', 'the subworkflow is archived and starts no runs'),
  SubworkflowNotPublished: kind(
    'SubworkflowNotPublished',
    'never',
    'the subworkflow has no published version (of the one asked for)',
  ),

  // Raised by the workflow (workflows/) and the interpreter: a node's or a run's end, never retried by Temporal.
  NotAvailable: kind('NotAvailable', 'never', 'no activity does the work of this channel or provider'),
  SubworkflowEnded: kind('SubworkflowEnded', 'never', 'the child run ended other than completed'),
  RunTimeout: kind('RunTimeout', 'never', 'the run exceeded its configuration.timeout'),
  RunFailed: kind('RunFailed', 'never', 'the run failed; the workflow ends with this failure'),
  EndFailed: kind('EndFailed', 'never', 'the run reached an end node whose status is failed'),
  RunFailure: kind(
    'RunFailure',
    'never',
    'the interpreter could not go on (no route, a missing node, too many visits)',
  ),
  ConditionError: kind('ConditionError', 'never', 'a condition could not be evaluated'),

  // Approval decisions refused by the workflow's Update validator; the API maps them to 400, 403 and 409.
  ApprovalNotAllowed: kind(
    'ApprovalNotAllowed',
    'never',
    'the caller is not one of the approvers, or is the requester',
  ),
  ApprovalAlreadyDecided: kind('ApprovalAlreadyDecided', 'never', 'the approval was already decided'),
  ApprovalAlreadyVoted: kind('ApprovalAlreadyVoted', 'never', 'the caller has already voted'),
  ApprovalExpired: kind('ApprovalExpired', 'never', 'the approval expired before the decision arrived'),
  ApprovalCancelled: kind('ApprovalCancelled', 'never', 'the run was cancelled before the decision arrived'),
  ApprovalUnknown: kind('ApprovalUnknown', 'never', 'the run has no such approval waiting'),
  ApprovalBadDecision: kind('ApprovalBadDecision', 'never', "the decision is not one of the approval's outcomes"),
  ApprovalBadData: kind('ApprovalBadData', 'never', "the decision's data does not fit the approval's form"),
  ApprovalClaimed: kind('ApprovalClaimed', 'never', 'another approver has claimed the approval'),
  ApprovalHoldsPart: kind('ApprovalHoldsPart', 'never', 'the delegate can already decide the approval'),

  // A move to another version refused by the workflow's Update validator; the API maps them to 422 and 409.
  MigrationRefused: kind(
    'MigrationRefused',
    'never',
    'a node the run is at has no counterpart of the same kind in the new version',
  ),
  MigrationConflict: kind('MigrationConflict', 'never', 'the run is already moving to a version, or is finishing'),
} as const satisfies Record<string, FailureKind>;

export type FailureName = keyof typeof FAILURES;
export type Failure = (typeof FAILURES)[FailureName];
/** A failure that may be raised as permanent (non-retryable). */
export type PermanentFailureKind = Extract<Failure, { retry: 'never' | 'by-cause' }>;
/** A failure that may be raised as worth another attempt. */
export type RetryableFailureKind = Extract<Failure, { retry: 'yes' | 'by-cause' }>;

/**
 * Failure types the approval decision validator raises (workflows/messages.ts re-exports this); the API maps them to
 * 400, 403 and 409.
 */
export const DECISION_FAILURES = {
  notAllowed: FAILURES.ApprovalNotAllowed.type,
  alreadyDecided: FAILURES.ApprovalAlreadyDecided.type,
  alreadyVoted: FAILURES.ApprovalAlreadyVoted.type,
  expired: FAILURES.ApprovalExpired.type,
  cancelled: FAILURES.ApprovalCancelled.type,
  unknown: FAILURES.ApprovalUnknown.type,
  badDecision: FAILURES.ApprovalBadDecision.type,
  badData: FAILURES.ApprovalBadData.type,
  claimed: FAILURES.ApprovalClaimed.type,
  holdsPart: FAILURES.ApprovalHoldsPart.type,
} as const;
