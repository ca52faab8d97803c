/**
 * `createActivities(deps)`: every activity the worker registers, built from
 * the dependencies worker.ts provides.
 */
import type { Db } from '../db/client';
import { createHttpActivities } from './http';
import { createLedger } from './ledger';
import { createMessagingActivities, type MessagingConfig } from './messaging';
import { createProjectionActivities } from './projection';

export interface ActivityDeps {
  db: Db;
  messaging: MessagingConfig;
  maxInlineOutputBytes: number;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps.db),
    ...createMessagingActivities(createLedger(deps.db), deps.messaging, deps.db),
    ...createHttpActivities({ db: deps.db, maxInlineBytes: deps.maxInlineOutputBytes }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
