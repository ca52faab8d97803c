/**
 * The engine's defaults and limits, and how a node's retry policy is layered
 * over the workflow's. Publish (graph-work.ts, node-model.ts) and the engine
 * read them from here, so a bound checked at publish is the bound enforced.
 */
import { parseDuration } from './durations';
import type { RetryConfig } from './schema';

/** How Temporal retries a node's work, in milliseconds. */
export interface RetryPolicy {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** What one layer (the workflow's `configuration.retry`, or a node's `retry`) changes of the policy below it. */
export type RetryOverrides = Partial<RetryPolicy>;

export const DEFAULT_RETRY: RetryPolicy = {
  maximumAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
};
export const DEFAULT_MAX_NODE_VISITS = 1000;
export const DEFAULT_WORK_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_ITERATIONS = 10_000;

/** The workflow's `configuration.retry` as overrides; stored as text, so its durations are read here. */
export function retryOverridesOf(config: RetryConfig | undefined): RetryOverrides {
  const overrides: RetryOverrides = {};
  if (config?.maximumAttempts !== undefined) overrides.maximumAttempts = config.maximumAttempts;
  if (config?.backoffCoefficient !== undefined) overrides.backoffCoefficient = config.backoffCoefficient;
  const initial = parseDuration(config?.initialInterval);
  if (initial !== undefined) overrides.initialIntervalMs = initial;
  const maximum = parseDuration(config?.maximumInterval);
  if (maximum !== undefined) overrides.maximumIntervalMs = maximum;
  return overrides;
}

/** The retry of a node: its own `retry` over the workflow's `configuration.retry` over the defaults. */
export function retryFor(workflow: RetryOverrides, node: RetryOverrides | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY };
  for (const layer of [workflow, node ?? {}]) {
    policy.maximumAttempts = layer.maximumAttempts ?? policy.maximumAttempts;
    policy.backoffCoefficient = layer.backoffCoefficient ?? policy.backoffCoefficient;
    policy.initialIntervalMs = layer.initialIntervalMs ?? policy.initialIntervalMs;
    policy.maximumIntervalMs = layer.maximumIntervalMs ?? policy.maximumIntervalMs;
  }
  return policy;
}
