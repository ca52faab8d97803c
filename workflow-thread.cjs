/**
 * Preloaded into every worker process (`node --require ./workflow-thread.cjs`, as `npm start`, `npm run worker` and
 * `npm run cluster` do) for the thread in which the Temporal SDK runs workflows.
 *
 * The SDK installs a V8 promise hook there that takes a stack trace of every promise a workflow creates and maps it
 * through the bundle's source map, to answer the Web UI's "Stack Trace" tab. An interpreter makes many promises: on
 * the cluster bench that hook was a third of the workflow thread's CPU (the workers' CPU a run of five steps fell from
 * 96 to 79 ms without it), and the stack it shows is the interpreter's, not where a run waits (a run's own view in
 * the console and `GET /api/runs/:id` say that). So it is left out, and the stack trace query answers that stack
 * traces are not enabled on this worker. Everything else stays: errors thrown in workflows keep their source-mapped
 * stacks, and the SDK's deadlock timeout still stops a workflow task that never yields.
 *
 * WORKFLOW_STACK_TRACES=on keeps the SDK's hook (to see where the interpreter itself is stuck).
 *
 * This reaches into the SDK (`globalHandlers` of @temporalio/worker's lib/workflow/vm-shared.js, pinned at 1.24.0):
 * if an upgrade moves it, the worker warns and runs with the SDK's default, and test/integration/workflow-thread.test.ts
 * fails.
 */
'use strict';
const { isMainThread } = require('node:worker_threads');

if (!isMainThread && process.env.WORKFLOW_STACK_TRACES !== 'on') {
  const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared.js');
  if (
    globalHandlers &&
    globalHandlers.installed === false &&
    typeof globalHandlers.overridePrepareStackTrace === 'function'
  ) {
    // What GlobalHandlers.install() does, but the promise hook: source-mapped error stacks, then marked installed so
    // the SDK does not install it on its own. Without the hook, the SDK tells each workflow stack traces are off.
    globalHandlers.overridePrepareStackTrace();
    globalHandlers.installed = true;
  } else {
    process.emitWarning(
      'workflow-thread.cjs: the Temporal SDK no longer has the globalHandlers it expects; workflows run with its promise hook (slower)',
    );
  }
}
