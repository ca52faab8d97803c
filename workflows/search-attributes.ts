/**
 * Search attributes set on every run so people can find runs in the Temporal
 * Web UI by workflow, version, status and tenant. scripts/temporal.ts
 * registers the same names on the dev server.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const WorkflowNameKey = defineSearchAttributeKey('GraphWorkflowName', SearchAttributeType.KEYWORD);
export const WorkflowIdKey = defineSearchAttributeKey('GraphWorkflowId', SearchAttributeType.KEYWORD);
export const VersionKey = defineSearchAttributeKey('GraphVersion', SearchAttributeType.INT);
export const RunStatusKey = defineSearchAttributeKey('GraphRunStatus', SearchAttributeType.KEYWORD);
export const TenantKey = defineSearchAttributeKey('GraphTenant', SearchAttributeType.KEYWORD);
export const WaitingOnKey = defineSearchAttributeKey('GraphWaitingOn', SearchAttributeType.KEYWORD_LIST);

/** Every key above; scripts/temporal.ts registers them on the dev server. */
export const ALL_SEARCH_ATTRIBUTES = [
  WorkflowNameKey,
  WorkflowIdKey,
  VersionKey,
  RunStatusKey,
  TenantKey,
  WaitingOnKey,
] as const;
