/**
 * What an editor tells people about each node type and its fields, in docs/definition-format.md's words. Kept next to
 * the node schemas (node-model.ts) rather than parsed from the doc: `GET /api/node-types` merges these into the JSON
 * Schema it generates from the zod schemas, so a field added there shows in the designer at once, and gains its help
 * text here.
 */
import type { NodeType } from './schema';

export interface NodeHelp {
  title: string;
  help: string;
  /** Help of a field of `data`, by dotted path (`trigger.cron`); a field of every branch (`url`) applies to each. */
  fields: Record<string, string>;
  /** Whether edges may enter it: a trigger only starts a run. */
  acceptsEdges: boolean;
}

const TEMPLATE = 'May hold templates: {{ input.* }}, {{ nodes.<id>.output.* }}, {{ vars.* }}.';
const DURATION = 'A duration: ISO 8601 or "90s", "15m", "48h", "7d".';
const WORK_FIELDS = {
  retry: 'Overrides the workflow\'s configuration.retry, e.g. { "maximumAttempts": 3, "initialInterval": "1s" }.',
  timeout: `How long one attempt may take. ${DURATION}`,
};

export const NODE_HELP: Record<NodeType, NodeHelp> = {
  trigger: {
    title: 'Trigger',
    help: 'Starts a run: manual, a webhook (path, secretRef), a schedule (cron, timezone, input) or an event (its name).',
    acceptsEdges: false,
    fields: {
      'trigger.type': 'manual | webhook | schedule | event.',
      'trigger.path': 'Webhook: the path under /hooks/<tenant>/ that starts this workflow.',
      'trigger.secretRef': 'Webhook: the secret that signs deliveries; unsigned deliveries are refused.',
      'trigger.cron': 'Schedule: a cron expression, e.g. "0 9 * * 1-5".',
      'trigger.timezone': 'Schedule: an IANA time zone, e.g. "Europe/Paris".',
      'trigger.event': 'Event: the name posted to POST /api/events/:name.',
      'trigger.input': 'Schedule: the input each run starts with.',
    },
  },
  action: {
    title: 'Action',
    help: 'Does work in the run: an HTTP call (method, url, headers, body, expectStatus), set variables (vars), or log.',
    acceptsEdges: true,
    fields: {
      action: 'http | set | log.',
      url: `The address called. ${TEMPLATE}`,
      headers: 'Request headers: { "name": template }.',
      body: `The request body (JSON). ${TEMPLATE}`,
      expectStatus: 'The status (or list of statuses) that counts as success.',
      vars: 'Variables to set: { "name": template }; read later as vars.<name>.',
      message: `What is logged. ${TEMPLATE}`,
      ...WORK_FIELDS,
    },
  },
  integration: {
    title: 'Integration',
    help: 'Calls a provider (email, slack, http, webhook) with its config; leaves by error when it still fails.',
    acceptsEdges: true,
    fields: {
      provider: 'email | slack | http | webhook.',
      to: `Recipients. ${TEMPLATE}`,
      subject: TEMPLATE,
      text: TEMPLATE,
      channel: 'Slack: the channel to post to.',
      url: TEMPLATE,
      ...WORK_FIELDS,
    },
  },
  notification: {
    title: 'Notification',
    help: 'Sends a message (email, slack, webhook) to recipients; recorded with its delivery status.',
    acceptsEdges: true,
    fields: {
      channel: 'email | slack | webhook.',
      recipients: `Who receives it. ${TEMPLATE}`,
      subject: TEMPLATE,
      message: TEMPLATE,
      ...WORK_FIELDS,
    },
  },
  condition: {
    title: 'Condition',
    help: 'Routes the run: on its outgoing edges, or with its own condition for a plain true / false split.',
    acceptsEdges: true,
    fields: {
      condition:
        'JSON, never code: { "field": "input.amount", "operator": "greater_than", "value": 100 }, ' +
        'or { "all": [...] }, { "any": [...] }, { "not": ... }. Leaves by true or false.',
    },
  },
  approval: {
    title: 'Approval',
    help: 'Waits for people to decide: leaves by the outcome decided (approved, rejected, or a custom one) or expired.',
    acceptsEdges: true,
    fields: {
      approverRoles: 'Roles whose members may decide, e.g. manager.',
      approverUsers: `Users who may decide (ids or emails). ${TEMPLATE}`,
      quorum: 'How many approvals it takes (default 1).',
      expiresIn: `After this long it leaves by expired. ${DURATION}`,
      reminderEvery: `Approvers are reminded this often. ${DURATION}`,
      escalation: 'e.g. { "after": "24h", "toRoles": ["director"] }.',
      message: `What approvers are asked. ${TEMPLATE}`,
      outcomes: 'The decisions offered, each a handle (default approved, rejected).',
      allowSelfApproval: "Whether the run's requester may decide (default false).",
      notify: 'How approvers are asked: default { "channels": ["email"] }; slack adds a message to slackChannel.',
      form: 'A JSON Schema for the data a decision carries.',
      dueIn: `The task's due date, shown in the inbox and on the board. ${DURATION}`,
    },
  },
  delay: {
    title: 'Delay',
    help: 'Waits for a duration, or until a time.',
    acceptsEdges: true,
    fields: { duration: DURATION, until: `A timestamp. ${TEMPLATE}` },
  },
  loop: {
    title: 'Loop',
    help: 'Leaves by body once per element of a list (item and index set), then by done with every result.',
    acceptsEdges: true,
    fields: {
      forEach: 'The path of a list, e.g. input.items.',
      as: 'A name for the element (default item).',
      maxIterations: 'At most this many elements.',
      concurrency: 'How many iterations run at a time (default 1).',
    },
  },
  join: {
    title: 'Join',
    help: 'Brings branches together: all waits for every incoming edge, any continues at the first.',
    acceptsEdges: true,
    fields: { mode: 'all | any.' },
  },
  subworkflow: {
    title: 'Sub-workflow',
    help: "Runs another published workflow; its output is the child run's output.",
    acceptsEdges: true,
    fields: {
      workflowId: 'The workflow to run.',
      version: 'Its version (default: latest published).',
      input: `The child's input. ${TEMPLATE}`,
      wait: 'Whether to wait for the child to finish (default true).',
      ...WORK_FIELDS,
    },
  },
  end: {
    title: 'End',
    help: 'Ends the branch; failed or cancelled ends the whole run with that status.',
    acceptsEdges: true,
    fields: { status: 'completed | failed | cancelled.', output: `The run's output. ${TEMPLATE}` },
  },
};
