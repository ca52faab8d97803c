/**
 * How the chaos run tells how runs ended: from Temporal itself (describe, then
 * the result), not from the projection, which is one of the things under test.
 */
import type { Client } from '@temporalio/client';
import type { Received } from '../../test/support/http-target';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RunOutcomes {
  /** Closed runs whose graph reports `completed`. */
  completed: number;
  /** Every other ending, with why: `run-id: FAILED …`, or still open at the deadline. */
  problems: string[];
  /** Seconds from the call until the last run closed. */
  seconds: number;
}

/** Waits until every run is closed (retrying through outages) or the deadline passes; then reads each result. */
export async function waitForRuns(client: Client, runIds: string[], timeoutMs: number): Promise<RunOutcomes> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  const open = new Set(runIds);
  const closed = new Map<string, string>();
  while (open.size && Date.now() < deadline) {
    const batch = [...open];
    for (let i = 0; i < batch.length; i += 25) {
      await Promise.all(
        batch.slice(i, i + 25).map(async (id) => {
          try {
            const description = await client.workflow.getHandle(id).describe();
            if (description.status.name !== 'RUNNING') {
              open.delete(id);
              closed.set(id, description.status.name);
            }
          } catch {
            // The server or its database is away: asked again on the next pass.
          }
        }),
      );
    }
    if (open.size) await sleep(1000);
  }
  const seconds = (performance.now() - started) / 1000;
  const problems = [...open].map((id) => `${id}: still running after ${(timeoutMs / 1000).toFixed(0)} s`);
  let completed = 0;
  for (const [id, status] of closed) {
    if (status !== 'COMPLETED') {
      problems.push(`${id}: ${status}`);
      continue;
    }
    const result = (await client.workflow.getHandle(id).result()) as { status?: string; error?: unknown };
    if (result?.status === 'completed') completed++;
    else problems.push(`${id}: graph ended ${result?.status} ${JSON.stringify(result?.error ?? '').slice(0, 200)}`);
  }
  return { completed, problems, seconds };
}

/** Requests per idempotency key at a fake target, and how many came more than once. */
export function sendsByKey(received: Received[]): { byKey: Map<string, number>; duplicates: number } {
  const byKey = new Map<string, number>();
  for (const r of received) {
    const key = String(r.headers['idempotency-key'] ?? '');
    if (key) byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const n of byKey.values()) duplicates += n - 1;
  return { byKey, duplicates };
}
