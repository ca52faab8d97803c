// `node scripts/run-compiled.js main.ts`: runs a TypeScript entry (main.ts, api/server.ts, worker.ts) as one
// JavaScript file bundled by esbuild into .data/build/, so `npm start` neither loads tsx nor transpiles the sources on
// every start (tsx's loader and its caches held about 33 MB for the life of the process).
//
// Plain JavaScript, so bare node runs it. The bundle is keyed by a hash of the sources it was made of (listed beside
// it by esbuild) and of package-lock.json: it is rebuilt, in a child process, only when one of them changes. Packages
// stay in node_modules (imported as they are), and each source's `import.meta.url` is its own path, as under tsx, so
// paths resolved from it (the project root, the migrations, the workflow sources) are the sources' paths.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = path.dirname(path.dirname(self));
const buildDir = path.join(root, '.data', 'build');
/** Besides the sources: what else makes a different bundle (the locked esbuild and packages, this file). */
const ALWAYS = ['package-lock.json', 'tsconfig.json', path.relative(root, self)];

/** A hash of the files a bundle was made of, or undefined when one of them is gone. */
function inputsHash(inputs) {
  // The checkout's own path too: the bundle holds its sources' paths, so a moved or copied checkout builds anew.
  const hash = createHash('sha256').update(root).update('\0');
  for (const input of [...ALWAYS, ...inputs].sort()) {
    const file = path.join(root, input);
    if (!existsSync(file)) return undefined;
    hash.update(input).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

const outFileOf = (entry) => path.join(buildDir, `${path.relative(root, entry).replace(/[/\\]/g, '-')}.mjs`);
const manifestOf = (out) => `${out}.inputs.json`;

/** Whether the bundle of `entry` on disk was made of the sources as they are now. */
function isCurrent(out) {
  if (!existsSync(out) || !existsSync(manifestOf(out))) return false;
  try {
    const { inputs, hash } = JSON.parse(readFileSync(manifestOf(out), 'utf8'));
    return hash === inputsHash(inputs);
  } catch {
    return false;
  }
}

/** The child: bundle `entry` into `out` with esbuild, and write the list of sources beside it. */
async function build(entry, out) {
  const esbuild = await import('esbuild');
  const sourcePaths = {
    name: 'source-paths',
    setup(on) {
      on.onLoad({ filter: /\.ts$/ }, (args) => {
        const url = JSON.stringify(pathToFileURL(args.path).href);
        const code = readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, url);
        return { contents: code, loader: 'ts' };
      });
    },
  };
  const partial = `${out}.${process.pid}.partial`;
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: partial,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Names as in the sources (error messages, fastify plugin names), not as the bundle renamed them.
    keepNames: true,
    metafile: true,
    logLevel: 'error',
    plugins: [sourcePaths],
  });
  const inputs = Object.keys(result.metafile.inputs).map((input) => path.relative(root, path.resolve(root, input)));
  // Renamed into place, the manifest last: a build killed half-way never passes for a current one.
  renameSync(partial, out);
  writeFileSync(manifestOf(out), JSON.stringify({ inputs, hash: inputsHash(inputs) }));
}

/** The child's exit code when it cannot write the bundle (a read-only checkout), as opposed to a source's error. */
const CANNOT_WRITE = 3;
const isWriteError = (error) => ['EACCES', 'EPERM', 'EROFS'].includes(error?.code);

/**
 * The path of a current bundle of `entry`, built first (in a child, so esbuild never stays in this process);
 * undefined when it cannot be written.
 */
function compiled(entry) {
  const out = outFileOf(entry);
  if (isCurrent(out)) return out;
  try {
    mkdirSync(buildDir, { recursive: true });
  } catch (error) {
    if (isWriteError(error)) return undefined;
    throw error;
  }
  const child = spawnSync(process.execPath, [self, '--build', entry, out], { cwd: root, stdio: 'inherit' });
  if (child.status === CANNOT_WRITE) return undefined;
  // esbuild has said what is wrong with the sources.
  if (child.status !== 0) process.exit(1);
  return out;
}

const [first, ...rest] = process.argv.slice(2);
if (first === '--build') {
  try {
    await build(rest[0], rest[1]);
  } catch (error) {
    // A source's errors are printed by esbuild (logLevel); anything else is said here.
    if (!error?.errors) process.stderr.write(`${error?.message ?? error}\n`);
    process.exit(isWriteError(error) ? CANNOT_WRITE : 1);
  }
} else if (!first) {
  process.stderr.write('usage: node scripts/run-compiled.js <entry.ts>\n');
  process.exit(2);
} else {
  const entry = path.resolve(root, first);
  const out = compiled(entry);
  // A checkout where .data/build/ cannot be written still starts, on the sources, as it did before.
  if (!out) process.stderr.write(`cannot write ${path.relative(root, buildDir)}: running the sources through tsx\n`);
  // The entry sees the command line it would see run directly, itself as the script: its
  // `if (process.argv[1] === <this file>)` start-up block runs, and its own arguments follow.
  process.argv.splice(1, 2, entry);
  if (out) await import(pathToFileURL(out).href);
  else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(entry).href);
  }
}
