/**
 * `createActivities(deps)`: every activity the worker registers, built from
 * the dependencies worker.ts provides.
 */
import type { Db } from '../db/client';
import { httpRequest } from './http';
import { createProjectionActivities } from './projection';

export interface ActivityDeps {
  db: Db;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps.db),
    httpRequest,
  };
}

export type Activities = ReturnType<typeof createActivities>;
