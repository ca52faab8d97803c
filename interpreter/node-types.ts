/**
 * The node types and the bounds the definition format and the engine share, without zod (schema.ts has the zod
 * schemas), so the workflow bundle can read them.
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
const NODE_TYPE_NAMES: ReadonlySet<string> = new Set(NODE_TYPES);
export const isNodeType = (type: string): type is NodeType => NODE_TYPE_NAMES.has(type);

/**
 * The largest number a PostgreSQL `integer` column holds: versions and quorums beyond it could not be stored or looked
 * up.
 */
export const MAX_INT32 = 2_147_483_647;
