/**
 * The hand-written baseline's worker as a process of its own (so its CPU, writes and memory are read from /proc
 * as ours are, apart from the bench's load generator): polls BASELINE_QUEUE on TEMPORAL_ADDRESS, its bundle
 * built once (in a child process, as `npm start` builds ours) and kept in DATA_DIR. Prints "ready" once it polls.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { cachedWorkflowBundle } from '../scripts/workflow-bundle';
import { installTemporalRuntime } from '../worker';
import { baselineActivities } from './throughput-baseline';

installTemporalRuntime('error');
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'throughput-baseline.workflow.ts');
const { codePath } = await cachedWorkflowBundle(entry, process.env.DATA_DIR!);
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.BASELINE_QUEUE!,
  workflowBundle: { codePath },
  activities: baselineActivities,
});
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('ready');
await running;
await connection.close();
