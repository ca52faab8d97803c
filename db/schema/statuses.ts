/**
 * The status sets of the tables, from definition-format.md: the check constraints are built from them.
 */
export const RUN_STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export const STEP_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped', 'waiting_approval'] as const;
/**
 * An approval's status: `pending`, then `expired`, `cancelled` (with its run), or the outcome it was decided with,
 * stored as itself (`approved`, `rejected`, or a custom one such as `changes_requested`).
 */
export const APPROVAL_STATUS_PATTERN = '^[a-z][a-z0-9_]*$';
/** The statuses every approval node can reach; custom outcomes add their own. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;
export const DEFINITION_STATUSES = ['draft', 'published', 'archived'] as const;
export const TRIGGER_TYPES = ['manual', 'webhook', 'schedule', 'event'] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];
export type StepStatus = (typeof STEP_STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];
