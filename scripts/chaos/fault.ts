/** What every fault of the chaos run is given, and what it reports. */
import type { Client } from '@temporalio/client';
import type { Database } from '../../db/client';
import type { HttpTarget } from '../../test/support/http-target';
import type { Cluster } from '../cluster/cluster';
import type { PlatformApi } from './api';

export interface FaultContext {
  cluster: Cluster;
  api: PlatformApi;
  temporal: Client;
  /** The platform's database, read to see the ledger and the projection as they are. */
  database: Database;
  /** The fake HTTP service the graphs call (loopback). */
  target: HttpTarget;
  quick: boolean;
  /** The webhook signing secret the APIs know as CHAOS_HOOK_SECRET (ENV_SECRETS). */
  hookSecret: string;
  log(line: string): void;
}

export interface FaultResult {
  name: string;
  /** Measured numbers and facts, printed as a table at the end. */
  figures: Array<[string, string | number]>;
  /** Each promise the fault broke; empty when it held. */
  problems: string[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it is true or `timeoutMs` passes; answers whether it became true. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 500,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // Asked again below.
    }
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** The retry every chaos graph uses: short attempts, many of them, so a fault costs seconds, never the run. */
export const FAST_RETRY = { retry: { maximumAttempts: 100, initialInterval: '200ms', maximumInterval: '1s' } };

/** A POST to the fake target (through the intent ledger: POST changes something). */
export function httpNode(id: string, targetUrl: string) {
  return {
    id,
    type: 'action',
    data: {
      action: 'http',
      method: 'POST',
      url: `${targetUrl}/${id}`,
      body: { run: '{{ run.id }}', node: id },
      timeout: '3s',
    },
  };
}

/** An approval the admin key may decide (it started the run), asking nobody by email or Slack. */
export function approvalNode(id: string) {
  return {
    id,
    type: 'approval',
    data: { approverRoles: ['admin'], allowSelfApproval: true, notify: { channels: [] }, message: 'chaos' },
  };
}
