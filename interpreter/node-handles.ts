/**
 * What the engine reads of a typed node besides its data: the handles it may leave by and its name in messages.
 * Apart from node-model.ts (zod) so the workflow bundle can import them.
 */
import type { TypedNode } from './node-model';
import type { NodeType } from './node-types';

export const DEFAULT_APPROVAL_OUTCOMES: readonly string[] = ['approved', 'rejected'];

export type ApprovalChannel = 'email' | 'slack';
export const isApprovalChannel = (channel: unknown): channel is ApprovalChannel =>
  channel === 'email' || channel === 'slack';

/** Handles of the node types whose handles do not depend on their data. `null` is the plain "done" handle. */
export const FIXED_HANDLES: Record<Exclude<NodeType, 'condition' | 'approval'>, Array<string | null>> = {
  trigger: [null],
  delay: [null],
  join: [null],
  action: [null, 'error'],
  integration: [null, 'error'],
  notification: [null, 'error'],
  subworkflow: [null, 'error'],
  loop: ['body', 'done'],
  end: [],
};

/** Handles a node may leave by. */
export function handlesOf(node: TypedNode): Array<string | null> {
  switch (node.type) {
    case 'condition':
      return node.data.condition === undefined ? [null] : ['true', 'false'];
    case 'approval':
      return [...node.data.outcomes, 'expired'];
    default:
      return FIXED_HANDLES[node.type];
  }
}

/** A short name for messages: the label when there is one. */
export function describeNode(node: TypedNode): string {
  const label = node.data.label;
  return label ? `"${node.id}" (${label})` : `"${node.id}"`;
}
