/**
 * History fixtures for the replay test. `RECORD_HISTORIES=1` writes a run's
 * history (with its workflow id) once, under a name that is never reused, so
 * old fixtures keep proving that old runs still replay.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { projectRoot } from '../../config';

export const fixturesDir = path.join(projectRoot, 'test', 'fixtures', 'histories');

/** `executionRunId` picks one Temporal run of the run id (a run that continued as new has several); else the latest. */
export function recordHistory(name: string, runId: string, executionRunId?: string): void {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const file = path.join(fixturesDir, `${name}.json`);
  if (existsSync(file)) return;
  // The CLI writes the standard JSON form that the replayer and the Web UI read.
  const json = execFileSync(
    inject('temporalCli'),
    [
      'workflow',
      'show',
      '--workflow-id',
      runId,
      ...(executionRunId ? ['--run-id', executionRunId] : []),
      '--output',
      'json',
      '--address',
      inject('temporalAddress'),
    ],
    { encoding: 'utf8' },
  );
  // The workflow id goes with the history: child workflow ids are made from it, so replay must use the same.
  writeFileSync(file, JSON.stringify({ workflowId: runId, history: JSON.parse(json) }));
}
