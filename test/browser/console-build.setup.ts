/**
 * Vitest global setup: builds the console once before any test file runs, when web/dist is missing or older
 * than web/src, so `npm test` needs no separate build and browser test files never build side by side.
 */
import { ensureConsoleBuilt } from '../../scripts/build-console';

export default async function setup(): Promise<void> {
  await ensureConsoleBuilt({ log: (line) => process.stderr.write(`[console] ${line}\n`) });
}
