/**
 * Builds the operator console (web/ → web/dist) when its build is missing or
 * older than any of its sources; otherwise does nothing. `npm start` runs it
 * first (prestart), and the browser tests before they start.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../config';

const WEB = path.join(projectRoot, 'web');
const BUILT = path.join(WEB, 'dist', 'index.html');
/** The console's sources, besides web/src: what changes the build. */
const SOURCE_FILES = ['index.html', 'vite.config.ts', 'tsconfig.json'].map((f) => path.join(WEB, f));

function newestSource(): number {
  let newest = 0;
  const visit = (file: string) => {
    const stat = statSync(file);
    if (stat.isDirectory()) for (const entry of readdirSync(file)) visit(path.join(file, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  visit(path.join(WEB, 'src'));
  for (const file of SOURCE_FILES) if (existsSync(file)) visit(file);
  return newest;
}

/** True when web/dist is missing or older than web/src. */
export function consoleIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  return statSync(BUILT).mtimeMs < newestSource();
}

export async function ensureConsoleBuilt(options: { log?: (line: string) => void } = {}): Promise<boolean> {
  if (!consoleIsStale()) return false;
  const log = options.log ?? ((line: string) => console.log(line));
  log('Building the console (web/ → web/dist) …');
  const startedAt = performance.now();
  const { build } = await import('vite');
  await build({ configFile: path.join(WEB, 'vite.config.ts'), logLevel: 'warn' });
  log(`Console built in ${((performance.now() - startedAt) / 1000).toFixed(1)} s.`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const run = force
    ? import('vite')
        .then(({ build }) => build({ configFile: path.join(WEB, 'vite.config.ts'), logLevel: 'warn' }))
        .then(() => true)
    : ensureConsoleBuilt();
  run.catch((error: unknown) => {
    console.error('The console could not be built:', error);
    process.exit(1);
  });
}
