/** `npm run bench [name]`: every benchmark, each comparing our path with a baseline measured in the same run. */
import { approvalLatencyBench } from './approval-latency';
import { footprintBench } from './footprint';
import { runLatencyBench } from './run-latency';
import { webhookIntakeBench } from './webhook-intake';

const benches: Record<string, () => Promise<void>> = {
  'run-latency': runLatencyBench,
  'approval-latency': approvalLatencyBench,
  'webhook-intake': webhookIntakeBench,
  footprint: footprintBench,
};
const only = process.argv[2];
if (only && !benches[only]) {
  console.error(`No benchmark "${only}"; one of ${Object.keys(benches).join(', ')}.`);
  process.exit(2);
}
for (const [name, bench] of Object.entries(benches)) {
  if (only && only !== name) continue;
  await bench();
}
process.exit(0);
