/**
 * What a simulation is told to pretend: the decision each approval gets on each visit, what each node that does work
 * answers (or how it fails), and the form data a decision carries. Nodes the script leaves out answer a plausible
 * default, and say so.
 */
import { parseDuration } from '../interpreter/durations';
import type { ChildRequest, NodeError, WorkRequest } from '../interpreter/engine';

/** An outcome, or an outcome that arrives a while after the approval is asked (so reminders and escalations fire). */
export type ScriptedDecision = string | { outcome: string; after?: string; comment?: string };

/** One entry for every visit, or a list: the n-th entry for the n-th visit (of a cycle, or a loop's iterations). */
export type PerVisit<T> = T | T[];

export interface SimulationScript {
  decisions?: Record<string, PerVisit<ScriptedDecision>>;
  /** A node's output, or `{ error }` (text or `{ message, type? }`): the node fails, after its retries. */
  responses?: Record<string, unknown>;
  /** The form data each decision of an approval carries (`nodes.<id>.output.data`). */
  data?: Record<string, PerVisit<Record<string, unknown>>>;
}

/** `expired` in a script: nobody decides on that visit, so the approval runs to its expiry. */
export const NO_DECISION = 'expired';

export interface Decision {
  outcome: string;
  afterMs: number;
  comment: string | null;
}

export type Answer = { ok: true; output: unknown; scripted: boolean } | { ok: false; error: NodeError };

/** The entry for the `visit`-th visit (1-based); undefined when a list has none for it. */
export function forVisit<T>(entry: PerVisit<T> | undefined, visit: number): T | undefined {
  if (entry === undefined) return undefined;
  return Array.isArray(entry) ? entry[visit - 1] : entry;
}

/** The decision on the `visit`-th visit of an approval, or undefined when nobody decides it. */
export function decisionFor(script: SimulationScript, nodeId: string, visit: number): Decision | undefined {
  const entry = forVisit(own(script.decisions, nodeId), visit);
  if (entry === undefined) return undefined;
  const { outcome, after, comment } = typeof entry === 'string' ? { outcome: entry } : entry;
  if (outcome === NO_DECISION) return undefined;
  return { outcome, afterMs: parseDuration(after) ?? 0, comment: comment ?? null };
}

export function formDataFor(script: SimulationScript, nodeId: string, visit: number): Record<string, unknown> | null {
  return forVisit(own(script.data, nodeId), visit) ?? null;
}

/** A scripted response read as an error when it is exactly `{ error }`; anything else is the node's output. */
export function errorOf(response: unknown): NodeError | undefined {
  if (!response || typeof response !== 'object' || Array.isArray(response)) return undefined;
  const keys = Object.keys(response);
  if (keys.length !== 1 || keys[0] !== 'error') return undefined;
  const error = (response as { error: unknown }).error;
  if (typeof error === 'string') return { message: error, type: 'SimulatedError' };
  if (error && typeof error === 'object' && typeof (error as NodeError).message === 'string') {
    const { message, type } = error as NodeError;
    return { message, type: typeof type === 'string' ? type : 'SimulatedError' };
  }
  return { message: 'the scripted error', type: 'SimulatedError' };
}

/** What a node that does work answers: the script's response, else a default shaped like the real one. */
export function answerWork(script: SimulationScript, request: WorkRequest): Answer {
  const scripted = scriptedAnswer(script, request.nodeId);
  if (scripted) return scripted;
  return { ok: true, output: defaultWorkOutput(request), scripted: false };
}

export function answerChild(script: SimulationScript, request: ChildRequest): Answer {
  const scripted = scriptedAnswer(script, request.nodeId);
  if (scripted) return scripted;
  // A child's output is its own run's; without a script, a child that is waited for answered nothing.
  const output = request.wait ? null : { runId: 'simulated', version: request.version, waited: false };
  return { ok: true, output, scripted: false };
}

function scriptedAnswer(script: SimulationScript, nodeId: string): Answer | undefined {
  const responses = script.responses;
  if (!responses || !Object.hasOwn(responses, nodeId)) return undefined;
  const response = responses[nodeId];
  const error = errorOf(response);
  return error ? { ok: false, error } : { ok: true, output: response, scripted: true };
}

/** The output a real send would have, with nothing real in it. */
function defaultWorkOutput(request: WorkRequest): unknown {
  const { config } = request;
  const channel = request.kind === 'notification' ? config.channel : config.provider;
  if (request.kind !== 'http' && (channel === 'email' || channel === 'slack'))
    return { notificationId: 'simulated', status: 'sent', channel };
  const expected = config.expectStatus;
  const status = Array.isArray(expected) ? expected[0] : expected;
  return { status: typeof status === 'number' ? status : 200, headers: {}, body: null };
}

/** An object's own entry (never one inherited from Object.prototype, such as `constructor`). */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
