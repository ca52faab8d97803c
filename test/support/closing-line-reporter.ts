/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary: CI reads that
 * line (vitest's coloured summary is not among the formats it knows), so a run that executed no test is told apart
 * from one that passed.
 */
import type { Reporter } from 'vitest/node';

type Files = Parameters<NonNullable<Reporter['onFinished']>>[0];
type Task = Files[number]['tasks'][number];

function* testsOf(tasks: readonly Task[]): Generator<Task> {
  for (const task of tasks) {
    if (task.type === 'suite') yield* testsOf(task.tasks);
    else yield task;
  }
}

export default class ClosingLineReporter implements Reporter {
  // onFinished comes after the default reporter's summary (onTestRunEnd comes before it).
  onFinished(files: Files = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const test of testsOf(files.flatMap((file) => file.tasks))) {
      const state = test.result?.state;
      if (state === 'pass') counts.passed++;
      else if (state === 'fail') counts.failed++;
      else counts.skipped++;
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
