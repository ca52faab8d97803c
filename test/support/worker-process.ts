/**
 * A worker in a process of its own, so a test can SIGKILL it the way a host
 * dies: no shutdown, no goodbye. Configured by the environment like
 * `npm run worker` (TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, DATABASE_URL,
 * SMTP_URL, SLACK_*), plus WORKFLOW_BUNDLE_PATH for the tests' shared bundle.
 * Prints "ready" once it polls. With WORKER_WAIT_FOR_GO=1 it gets everything
 * ready, prints "warm", and polls only when "go" arrives on stdin, so a test
 * can have the next worker waiting while it kills the current one.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { openDatabase } from '../../db/client';
import { createWorker, installTemporalRuntime } from '../../worker';

const config = loadConfig();
installTemporalRuntime('error');
const database = await openDatabase({ databaseUrl: config.databaseUrl });
const connection = await NativeConnection.connect({ address: config.temporal.address! });
const worker = await createWorker({
  config,
  database,
  connection,
  workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
  // The killed worker's sticky queue has no poller: hand its workflow tasks to the next worker soon.
  options: { stickyQueueScheduleToStartTimeout: '1s' },
});
if (process.env.WORKER_WAIT_FOR_GO) {
  console.log('warm');
  await new Promise<void>((resolve) => {
    let line = '';
    process.stdin.on('data', (chunk: Buffer) => {
      line += chunk.toString('utf8');
      if (line.includes('go')) resolve();
    });
  });
}
// The runtime leaves signals to us (worker.ts): SIGTERM is a graceful stop, SIGKILL a host dying.
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('ready');
await running;
// Shut down by a signal (the SDK's runtime handles SIGTERM): close what keeps the process alive, so it exits on its
// own and Node writes what it was asked to (a --cpu-prof profile) instead of being killed after the grace period.
await database.close();
await connection.close();
