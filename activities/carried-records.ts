/**
 * Work that carries its run's step records (workflows/projection-writer.ts, 'projection-rides-work'). Quick work
 * leaves them to the run, which sends them on with its next work or writes them with its next batch: a run of quick
 * calls writes its steps with its end, not once a call. Work still going after `CARRIED_RECORDS_WAIT_MS` writes them
 * (the run's page shows it moved on while a slow call runs) and says so. A failed write fails nothing: the run
 * writes the records itself.
 */
import { CARRIED_RECORDS_WAIT_MS } from '../workflows/types';
import type { ProjectionBatch } from './projection';

export function carryingRecords<Input extends object, Result extends object>(
  recordBatch: (batch: ProjectionBatch) => Promise<void>,
  work: (input: Input) => Promise<Result>,
): (input: Input & { records?: ProjectionBatch }) => Promise<Result & { recordsWritten?: boolean }> {
  return async (input) => {
    const { records, ...rest } = input;
    if (!records) return work(rest as Input);
    let writing: Promise<boolean> | undefined;
    const timer = setTimeout(() => {
      writing = recordBatch(records).then(
        () => true,
        () => false,
      );
    }, CARRIED_RECORDS_WAIT_MS);
    try {
      const result = await work(rest as Input);
      return { ...result, recordsWritten: writing ? await writing : false };
    } finally {
      clearTimeout(timer);
      // A write begun before the work failed ends before the failure is reported (the run writes the records again).
      if (writing) await writing;
    }
  };
}
