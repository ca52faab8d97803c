/**
 * Requests to the API, typed by the OpenAPI-derived client (client/). Every failure becomes an ApiError
 * carrying the problem's detail, which the pages show as it is.
 */
import { createGraphflowClient, type components, type GraphflowClient } from '../../client';

export type Run = components['schemas']['Run'];
export type RunDetail = components['schemas']['RunDetail'];
export type Approval = components['schemas']['Approval'];
export type Me = components['schemas']['Me'];
export type WorkflowReport = components['schemas']['WorkflowReport'];
export type Step = RunDetail['steps'][number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const apiFor = (key: string): GraphflowClient => createGraphflowClient(window.location.origin, key);

/** The data of an answer, or an ApiError with the problem's words. */
export async function need<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) {
    const detail = (error as { detail?: string } | undefined)?.detail;
    throw new ApiError(response.status, detail ?? `The server answered ${response.status}.`);
  }
  return data;
}

export const OPERATOR_ROLES = ['admin', 'editor', 'operator'];
export const canOperate = (me: Me) => me.roles.some((role) => OPERATOR_ROLES.includes(role));
