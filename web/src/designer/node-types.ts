/**
 * What the designer knows about each node type (docs/definition-format.md): the data a new node starts with, the
 * handles it leaves by, and the main fields its property panel offers. The engine's own rules live in
 * interpreter/node-model.ts; this mirrors the parts an editor needs, and validation on the server stays the judge.
 */

export const NODE_TYPES = [
  'trigger',
  'action',
  'integration',
  'notification',
  'condition',
  'approval',
  'delay',
  'loop',
  'join',
  'subworkflow',
  'end',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export type NodeData = Record<string, unknown> & { label?: unknown };

/** What a node of each type starts with: enough to say what it is; validation names what is still missing. */
export function initialData(type: NodeType, label: string): NodeData {
  switch (type) {
    case 'trigger':
      return { label, trigger: { type: 'manual' } };
    case 'action':
      return { label, action: 'log', message: '' };
    case 'integration':
      return { label, provider: 'email' };
    case 'notification':
      return { label, channel: 'email', recipients: [], message: '' };
    case 'join':
      return { label, mode: 'all' };
    case 'end':
      return { label, status: 'completed' };
    default:
      return { label };
  }
}

const DEFAULT_OUTCOMES = ['approved', 'rejected'];

/** The handles a node leaves by; null is the default (unnamed) handle. Mirrors handlesOf in the node model. */
export function handlesOf(type: string, data: NodeData): Array<string | null> {
  switch (type) {
    case 'trigger':
    case 'delay':
    case 'join':
      return [null];
    case 'action':
    case 'integration':
    case 'notification':
    case 'subworkflow':
      return [null, 'error'];
    case 'condition':
      return data.condition === undefined ? [null] : ['true', 'false'];
    case 'approval': {
      const outcomes = Array.isArray(data.outcomes) ? data.outcomes.filter((o) => typeof o === 'string') : [];
      return [...(outcomes.length ? outcomes : DEFAULT_OUTCOMES), 'expired'];
    }
    case 'loop':
      return ['body', 'done'];
    default:
      return [];
  }
}

/** Whether edges may enter the node: a trigger only starts a run. */
export const takesEdges = (type: string) => type !== 'trigger';

export type FieldKind = 'text' | 'number' | 'list' | 'select' | 'json';

export interface Field {
  /** A key of `data`, or a dotted path into it (`trigger.type`). */
  key: string;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  help?: string;
}

/** The type's main fields; the rest of `data` is edited as JSON. */
export const FIELDS: Record<NodeType, readonly Field[]> = {
  trigger: [
    { key: 'trigger.type', label: 'Trigger', kind: 'select', options: ['manual', 'webhook', 'schedule', 'event'] },
    { key: 'trigger.cron', label: 'Cron (schedule)', kind: 'text' },
    { key: 'trigger.path', label: 'Path (webhook)', kind: 'text' },
  ],
  action: [
    { key: 'action', label: 'Action', kind: 'select', options: ['http', 'set', 'log'] },
    { key: 'method', label: 'Method (http)', kind: 'text' },
    { key: 'url', label: 'URL (http)', kind: 'text', help: 'May hold templates: {{ input.id }}' },
    { key: 'message', label: 'Message (log)', kind: 'text' },
  ],
  integration: [
    { key: 'provider', label: 'Provider', kind: 'select', options: ['email', 'slack', 'http', 'webhook'] },
    { key: 'to', label: 'To (email)', kind: 'text' },
    { key: 'subject', label: 'Subject (email)', kind: 'text' },
    { key: 'channel', label: 'Channel (slack)', kind: 'text' },
    { key: 'text', label: 'Text', kind: 'text' },
    { key: 'url', label: 'URL (http, webhook)', kind: 'text' },
  ],
  notification: [
    { key: 'channel', label: 'Channel', kind: 'select', options: ['email', 'slack', 'webhook'] },
    { key: 'recipients', label: 'Recipients', kind: 'list', help: 'Comma-separated; templates allowed' },
    { key: 'subject', label: 'Subject', kind: 'text' },
    { key: 'message', label: 'Message', kind: 'text' },
  ],
  condition: [
    {
      key: 'condition',
      label: 'Condition (JSON)',
      kind: 'json',
      help: 'e.g. { "field": "input.amount", "operator": "greater_than", "value": 100 }: leaves by true or false',
    },
  ],
  approval: [
    { key: 'approverRoles', label: 'Approver roles', kind: 'list', help: 'Comma-separated role names' },
    { key: 'approverUsers', label: 'Approver users', kind: 'list', help: 'Comma-separated user ids or templates' },
    { key: 'quorum', label: 'Quorum', kind: 'number' },
    { key: 'expiresIn', label: 'Expires in', kind: 'text', help: 'A duration: "48h", "7d", "P2D"' },
    { key: 'message', label: 'Message', kind: 'text' },
    { key: 'outcomes', label: 'Outcomes', kind: 'list', help: 'Default: approved, rejected' },
  ],
  delay: [
    { key: 'duration', label: 'Duration', kind: 'text', help: 'A duration: "90s", "15m", "2d"' },
    { key: 'until', label: 'Until', kind: 'text', help: 'A timestamp or template' },
  ],
  loop: [
    { key: 'forEach', label: 'For each (path of a list)', kind: 'text', help: 'e.g. input.items' },
    { key: 'as', label: 'As', kind: 'text' },
    { key: 'maxIterations', label: 'Max iterations', kind: 'number' },
    { key: 'concurrency', label: 'Concurrency', kind: 'number' },
  ],
  join: [{ key: 'mode', label: 'Mode', kind: 'select', options: ['all', 'any'] }],
  subworkflow: [
    { key: 'workflowId', label: 'Workflow id', kind: 'text' },
    { key: 'version', label: 'Version (empty: latest)', kind: 'number' },
  ],
  end: [
    { key: 'status', label: 'Status', kind: 'select', options: ['completed', 'failed', 'cancelled'] },
    { key: 'output', label: 'Output (JSON)', kind: 'json' },
  ],
};

export const isNodeType = (type: unknown): type is NodeType => NODE_TYPES.includes(type as NodeType);
