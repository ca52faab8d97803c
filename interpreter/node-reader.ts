/**
 * The typed node model (node-model.ts) read without zod, for the workflow: each stored node and edge made into the
 * TypedNode and TypedEdge that TypedNodeSchema and TypedEdgeSchema make of it, defaults, durations in milliseconds
 * and all, and refused where they refuse it. node-reader.test.ts holds the two to that over generated nodes; a field
 * added to one must be added to the other.
 */
import { checkCondition, type Condition } from './conditions';
import { parseDuration } from './durations';
import { readForm } from './form-reader';
import { DEFAULT_MAX_ITERATIONS, type RetryOverrides } from './limits';
import { DEFAULT_APPROVAL_OUTCOMES, isApprovalChannel } from './node-handles';
import type { TypedEdge, TypedNode } from './node-model';
import { MAX_INT32 } from './node-types';
import {
  anyOf,
  array,
  boolean,
  byKey,
  fail,
  map,
  nullish,
  number,
  object,
  oneOf,
  optional,
  orElse,
  type Reader,
  readAll,
  record,
  refine,
  string,
  unknown,
  withDefault,
} from './readers';

const condition = refine(
  unknown,
  (value) => checkCondition(value, '').length === 0,
  'not a valid condition',
) as Reader<Condition>;

const DURATION_HINT = '(e.g. "90s", "15m", "48h", "7d", "P2D")';

const toMs = <T>(read: Reader<T>): Reader<number> =>
  map(read, (value, at, issues) => {
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
    return fail(issues, at, `"${String(value)}" is not a duration ${DURATION_HINT}`);
  });

const durationMs = toMs(string());
const workDurationMs = toMs(unknown);
const template = string();
const strings = array(string());

const ATTEMPTS = 'maximumAttempts is a whole number from 1 to 100';

const nodeRetry = map(
  object(
    {
      maximumAttempts: optional(number({ int: true, min: [1, ATTEMPTS], max: [100, ATTEMPTS] }, ATTEMPTS)),
      initialInterval: optional(workDurationMs),
      backoffCoefficient: optional(number({ min: [1] })),
      maximumInterval: optional(workDurationMs),
    },
    'loose',
    'retry is an object like { "maximumAttempts": 3 }',
  ),
  (retry): RetryOverrides => ({
    ...(retry.maximumAttempts !== undefined ? { maximumAttempts: retry.maximumAttempts } : {}),
    ...(retry.backoffCoefficient !== undefined ? { backoffCoefficient: retry.backoffCoefficient } : {}),
    ...(retry.initialInterval !== undefined ? { initialIntervalMs: retry.initialInterval } : {}),
    ...(retry.maximumInterval !== undefined ? { maximumIntervalMs: retry.maximumInterval } : {}),
  }),
);

const nodeData = { label: orElse(optional(string()), () => undefined) };
const workData = { ...nodeData, retry: optional(nodeRetry), timeout: optional(workDurationMs) };

const approvalOutcomes = withDefault(
  refine(
    refine(
      array(string({ pattern: [/^[a-z][a-z0-9_]*$/, 'outcomes are lower_snake_case'] }), { min: [1] }),
      (outcomes) => !outcomes.includes('expired') && !outcomes.includes('error'),
      '"expired" and "error" are reserved handles, not outcomes',
    ),
    (outcomes) => new Set(outcomes).size === outcomes.length,
    'outcomes must be distinct',
  ),
  () => [...DEFAULT_APPROVAL_OUTCOMES],
);

const approvalNotify = orElse(
  object(
    {
      channels: map(
        orElse(array(unknown), () => ['email']),
        (channels) => channels.filter(isApprovalChannel),
      ),
      slackChannel: orElse(optional(template), () => undefined),
    },
    'strip',
  ),
  () => ({ channels: ['email' as const] }),
);

const trigger = object(
  {
    ...nodeData,
    trigger: object(
      {
        type: oneOf(['manual', 'webhook', 'schedule', 'event']),
        path: optional(
          string({
            pattern: [/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a webhook path is letters, digits, ".", "_" and "-"'],
          }),
        ),
        secretRef: optional(string()),
        previousSecretRef: optional(string()),
        preset: optional(oneOf(['generic', 'github', 'stripe', 'slack'])),
        idempotencyKey: optional(string()),
        cron: optional(string()),
        timezone: optional(string()),
        input: optional(unknown),
        event: optional(string()),
        condition: optional(condition),
      },
      'loose',
    ),
  },
  'loose',
);

const statusCodes = anyOf<number | number[]>([number({ int: true }), array(number({ int: true }))]);

const action = byKey('action', {
  http: object(
    {
      ...workData,
      action: oneOf(['http']),
      method: withDefault(string(), () => 'GET'),
      url: template,
      headers: withDefault(record(undefined, template), () => ({})),
      body: optional(unknown),
      expectStatus: optional(statusCodes),
    },
    'loose',
  ),
  set: object(
    {
      ...workData,
      action: oneOf(['set']),
      vars: record(string({ pattern: [/^[A-Za-z_][\w-]*$/, 'variable names are letters, digits, _ and -'] }), unknown),
    },
    'loose',
  ),
  log: object(
    {
      ...workData,
      action: oneOf(['log']),
      message: optional(unknown),
      level: optional(oneOf(['debug', 'info', 'warn', 'error'])),
    },
    'loose',
  ),
});

const integration = object({ ...workData, provider: oneOf(['email', 'slack', 'http', 'webhook']) }, 'loose');

const notification = object(
  {
    ...workData,
    channel: oneOf(['email', 'slack', 'webhook']),
    recipients: anyOf<string | string[]>([strings, template]),
    subject: optional(template),
    message: template,
  },
  'loose',
);

const conditionNode = object({ ...nodeData, condition: optional(condition) }, 'loose');

const approval = object(
  {
    ...nodeData,
    approverRoles: withDefault(strings, () => []),
    approverUsers: withDefault(strings, () => []),
    quorum: withDefault(number({ int: true, min: [1], max: [MAX_INT32] }), () => 1),
    expiresIn: optional(durationMs),
    reminderEvery: optional(durationMs),
    escalation: optional(object({ after: durationMs, toRoles: array(string(), { min: [1] }) }, 'strip')),
    message: optional(template),
    outcomes: approvalOutcomes,
    allowSelfApproval: withDefault(boolean, () => false),
    notify: approvalNotify,
    form: optional(readForm),
    dueIn: optional(durationMs),
  },
  'loose',
);

const delay = object({ ...nodeData, duration: optional(durationMs), until: optional(template) }, 'loose');

const loop = object(
  {
    ...nodeData,
    forEach: string(),
    as: optional(string()),
    maxIterations: withDefault(number({ int: true, min: [1] }), () => DEFAULT_MAX_ITERATIONS),
    concurrency: withDefault(number({ int: true, min: [1], max: [100] }), () => 1),
  },
  'loose',
);

const join = object({ ...nodeData, mode: withDefault(oneOf(['all', 'any']), () => 'all' as const) }, 'loose');

const subworkflow = object(
  {
    ...workData,
    workflowId: string(),
    version: optional(number({ int: true, min: [1], max: [MAX_INT32] })),
    input: withDefault(unknown, () => ({})),
    wait: withDefault(boolean, () => true),
  },
  'loose',
);

const end = object(
  {
    ...nodeData,
    status: withDefault(oneOf(['completed', 'failed', 'cancelled']), () => 'completed' as const),
    output: optional(unknown),
  },
  'loose',
);

const DATA: Record<string, Reader<unknown>> = {
  trigger,
  action,
  integration,
  notification,
  condition: conditionNode,
  approval,
  delay,
  loop,
  join,
  subworkflow,
  end,
};

// A stored node without `data` has none to read (the structural schema defaults it the same way).
const typedNode = byKey(
  'type',
  Object.fromEntries(
    Object.entries(DATA).map(([type, data]) => [
      type,
      object(
        {
          id: string(),
          type: oneOf([type]),
          data: (value, at, issues, present) => data(value ?? {}, at, issues, present),
        },
        'strip',
      ),
    ]),
  ),
);

const typedEdge = object(
  {
    id: string({ min: [1, 'an edge needs an id'], max: [200] }),
    source: string({ min: [1] }),
    target: string({ min: [1] }),
    sourceHandle: nullish(string()),
    targetHandle: nullish(string()),
    condition: nullish(condition),
    isDefault: optional(boolean),
  },
  'loose',
);

/** A stored node as TypedNodeSchema reads it. */
export const readNode = (node: unknown) => readAll(typedNode as Reader<TypedNode>, node);

/** A stored edge as TypedEdgeSchema reads it. */
export const readEdge = (edge: unknown) => readAll(typedEdge as Reader<TypedEdge>, edge);
