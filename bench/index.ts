/** `npm run bench`: every benchmark, each comparing our path with a baseline measured in the same run. */
import { runLatencyBench } from './run-latency';

const benches: Record<string, () => Promise<void>> = { 'run-latency': runLatencyBench };
const only = process.argv[2];
for (const [name, bench] of Object.entries(benches)) {
  if (only && only !== name) continue;
  await bench();
}
process.exit(0);
