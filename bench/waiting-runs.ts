/**
 * Runs waiting on approvals (issue 16, target 5): `npm run api` and `npm run worker` as processes of their own, as
 * users run them, on one PostgreSQL. The API's resident memory at rest; the worker's while it holds 1,000 runs that
 * each wait on an approval (with `npm run worker`'s settings, WORKER_MAX_CACHED_RUNS at its default unless set);
 * then every approval decided through the API, and every run checked to have reached its end.
 *
 * Targets: worker < 500 MB, API at rest < 150 MB, printed as met or MISSED. The baseline is the same worker idle.
 *
 * The PostgreSQL is BENCH_DATABASE_URL's or DATABASE_URL's, else a throwaway cluster of Debian's binaries
 * (test/support/throwaway-postgres.ts). BENCH_QUICK=1: 50 runs. BENCH_WAITING_RUNS: another count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/support/throwaway-postgres';
import { percentile, QUICK } from './environment';
import { servicesFootprint } from './footprint-services';

const RUNS = Number(process.env.BENCH_WAITING_RUNS ?? (QUICK ? 50 : 1000));
const SETTLE_MS = QUICK ? 2_000 : 30_000;
const BUDGET_MB = { worker: 500, api: 150 };

const mb = (n: number) => `${n.toFixed(0).padStart(5)} MB`;
const line = (label: string, value: string) => console.log(`${label.padEnd(46)} ${value}`);
const verdict = (value: number, budget: number) => `(budget ${budget} MB: ${value < budget ? 'met' : 'MISSED'})`;

export async function waitingRunsBench(): Promise<void> {
  const given = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  let throwaway: ThrowawayPostgres | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-waiting-'));
  try {
    if (!given) throwaway = await startThrowawayPostgres();
    const f = await servicesFootprint({
      databaseUrl: given ?? throwaway!.url,
      dataDir,
      runs: RUNS,
      settleMs: SETTLE_MS,
    });
    console.log(
      `\nwaiting-runs: npm run api + npm run worker on ${given ? 'DATABASE_URL' : 'a throwaway'} PostgreSQL, ` +
        `${f.runs} runs each waiting on an approval${QUICK ? ' (quick)' : ''}`,
    );
    line('worker', `${f.workerCommand} (WORKER_MAX_CACHED_RUNS ${f.workerCache})`);
    line(`starting ${f.runs} runs until each waits`, `${f.startSeconds.toFixed(1)} s`);
    line('RSS API at rest', `${mb(f.apiAtRest)}   ${verdict(f.apiAtRest, BUDGET_MB.api)}`);
    line(`RSS API after starting ${f.runs} runs`, mb(f.apiAfterRuns));
    line('RSS worker at rest, before any run (baseline)', mb(f.workerAtRest));
    line(
      `RSS worker holding ${f.runs} waiting runs`,
      `${mb(f.workerWaiting)}   peak ${mb(f.workerPeak)}   ${verdict(f.workerWaiting, BUDGET_MB.worker)}`,
    );
    line(
      'ratio (holding / at rest)',
      `${(f.workerWaiting / f.workerAtRest).toFixed(2)}x; ${((f.workerWaiting - f.workerAtRest) / f.runs).toFixed(2)} MB a run`,
    );
    const sorted = [...f.decided.requestMs].sort((a, b) => a - b);
    line(
      `deciding all ${f.runs} via the API (4 callers)`,
      `${f.decided.seconds.toFixed(1)} s to the last run's end, ${(f.runs / f.decided.seconds).toFixed(1)} runs/s; ` +
        `request p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms`,
    );
    line('runs completed', `${f.decided.completed} of ${f.runs} (${f.decided.endedEarly.length} ended before it)`);
    line(
      'RSS worker after they all ended',
      `${mb(f.decided.workerAfter)}   peak ${mb(f.decided.workerPeak)}   ${verdict(f.decided.workerPeak, BUDGET_MB.worker)}`,
    );
    // Printed after the figures, which stand either way: a run that ended before its decision is an engine fault.
    const early = f.decided.endedEarly;
    if (early.length)
      throw new Error(
        `${early.length} runs ended before their decision (${early
          .slice(0, 5)
          .map((r) => `${r.id}: ${r.status}${r.finally === r.status ? '' : `, then ${r.finally}`}`)
          .join(', ')}); their Temporal histories say why`,
      );
    if (f.decided.completed !== f.runs) throw new Error(`${f.runs - f.decided.completed} runs did not complete`);
  } finally {
    await throwaway?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
