/**
 * The workflow code bundled ahead of time and kept on disk, keyed by a hash of
 * its sources, so `npm start` neither bundles on every start nor holds the
 * bundler (webpack and its caches, hundreds of MB) in the running process.
 *
 * `tsx scripts/workflow-bundle.ts <workflows entry> <out file>` is the child
 * process that bundles; `cachedWorkflowBundle` finds or makes the file.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../config';

/**
 * Everything the bundle can be made of: the workflow and interpreter sources, what they import from lib/ and runs/
 * (runs/start-options.ts), and the locked SDK version.
 */
const SOURCE_DIRS = ['workflows', 'interpreter', 'lib', 'runs'];
const LOCK_FILE = 'package-lock.json';
const PREFIX = 'workflow-bundle-';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|js|json)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** A hash of the bundle's inputs: a changed source or SDK makes a new bundle, an unchanged one reuses the file. */
export function workflowSourcesHash(entry: string, root = projectRoot): string {
  const hash = createHash('sha256').update(path.relative(root, entry));
  const files = SOURCE_DIRS.map((d) => path.join(root, d))
    .filter((d) => existsSync(d))
    .flatMap(sourceFiles)
    .sort();
  const lock = path.join(root, LOCK_FILE);
  if (existsSync(lock)) files.push(lock);
  for (const file of files) hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

function bundleInChild(entry: string, out: string): Promise<void> {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, fileURLToPath(import.meta.url), entry, out], {
      cwd: projectRoot,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let errors = '';
    child.stderr!.on('data', (c: Buffer) => (errors += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`bundling the workflow code failed (exit ${code}):\n${errors.slice(-4000)}`)),
    );
  });
}

/**
 * The path of a bundle of `entry` under `dir`, made (in a child process) if this version of the sources has none yet.
 */
export async function cachedWorkflowBundle(entry: string, dir: string): Promise<{ codePath: string; built: boolean }> {
  mkdirSync(dir, { recursive: true });
  const name = `${PREFIX}${workflowSourcesHash(entry)}.js`;
  const codePath = path.join(dir, name);
  if (existsSync(codePath) && statSync(codePath).size > 0) return { codePath, built: false };
  // Written beside and renamed, so a start killed half-way never leaves a truncated bundle under the final name.
  const partial = `${codePath}.${process.pid}.partial`;
  await bundleInChild(entry, partial);
  renameSync(partial, codePath);
  // Older versions' bundles are of no further use.
  for (const other of readdirSync(dir))
    if (other.startsWith(PREFIX) && other !== name && !other.endsWith('.partial'))
      rmSync(path.join(dir, other), { force: true });
  return { codePath, built: true };
}

// The child: bundle and write.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, out] = process.argv.slice(2);
  if (!entry || !out) {
    console.error('usage: tsx scripts/workflow-bundle.ts <workflows entry> <out file>');
    process.exit(2);
  }
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
  const bundle = await bundleWorkflowCode({ workflowsPath: entry, logger: quiet });
  writeFileSync(out, bundle.code);
}
