/**
 * What is only the designer's own about node types: the data a new node starts with, and what each type's output
 * holds, for template completions (docs/definition-format.md, "A node's output"). Fields, help and handles come
 * from the server (catalogue.ts).
 */

export type NodeData = Record<string, unknown> & { label?: unknown };

/** What a node of each type starts with: enough to say what it is; validation names what is still missing. */
export function initialData(type: string, label: string): NodeData {
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

/** The keys of `nodes.<id>.output` a node of this type produces, when the format names them. */
export function outputKeys(type: string, data: NodeData): string[] {
  switch (type) {
    case 'action':
      if (data.action === 'http') return ['status', 'headers', 'body'];
      if (data.action === 'set' && data.vars && typeof data.vars === 'object') return Object.keys(data.vars);
      return [];
    case 'integration':
      return data.provider === 'http' || data.provider === 'webhook' ? ['status', 'headers', 'body'] : [];
    case 'approval':
      return ['outcome', 'decidedBy', 'comment', 'votes', 'data'];
    case 'notification':
      return ['notificationId', 'status'];
    default:
      return [];
  }
}
