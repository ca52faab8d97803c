/**
 * The Temporal server, its sql tool (schema setup), its PostgreSQL schema files
 * and the Web UI server, built from Go modules once per machine and kept in
 * ~/.cache/graphflow (GRAPHFLOW_CACHE_DIR), the way scripts/temporal.ts keeps the CLI.
 *
 * `npx tsx scripts/cluster/install.ts` installs what is missing and prints the
 * paths; the build takes several minutes on 2 cores, a cached one a second.
 * Each file is put in place by a rename, so a build killed half-way leaves nothing
 * that looks installed.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPath, run } from '../python-tools';

/** The newest server release when this was written whose go.mod has no `replace` (which `go install pkg@v` refuses). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Web UI server the Temporal CLI 1.9 embeds; its go.mod asks for Go 1.26.5 and has no `replace`. */
export const TEMPORAL_UI_VERSION = 'v2.54.1';

export interface ClusterTools {
  server: string;
  sqlTool: string;
  /** Holds postgresql/v12/{temporal,visibility}/versioned, as deploy/temporal/setup-schema.sh expects. */
  schemaDir: string;
  /** Undefined when it could not be built: the cluster then runs without the Web UI, and says so. */
  uiServer: string | undefined;
}

export function cacheDir(): string {
  return process.env.GRAPHFLOW_CACHE_DIR ?? path.join(homedir(), '.cache', 'graphflow');
}

/** Where each tool lives once installed; the version is in the name, so an upgrade builds anew beside the old one. */
export function toolPaths(dir = cacheDir()) {
  const v = TEMPORAL_SERVER_VERSION.slice(1);
  return {
    server: path.join(dir, `temporal-server-${v}`),
    sqlTool: path.join(dir, `temporal-sql-tool-${v}`),
    schemaDir: path.join(dir, `temporal-schema-${v}`),
    uiServer: path.join(dir, `temporal-ui-server-${TEMPORAL_UI_VERSION.slice(1)}`),
  };
}

function log(message: string): void {
  process.stderr.write(`[cluster install] ${message}\n`);
}

async function goCommand(): Promise<string> {
  const go = await onPath('go');
  if (!go)
    throw new Error(
      'Go is not installed, so the Temporal server cannot be built. Install Go 1.26 (https://go.dev/dl/ or `apt-get install golang`), then run this again.',
    );
  return go;
}

/** `go install pkg@version` into a scratch GOBIN under the cache, then each built binary renamed to its place. */
async function goInstall(
  go: string,
  packages: string[],
  version: string,
  moves: Array<[built: string, to: string]>,
): Promise<void> {
  const gobin = path.join(cacheDir(), 'go-bin');
  mkdirSync(gobin, { recursive: true });
  const started = Date.now();
  log(`go install ${packages.map((p) => `${p}@${version}`).join(' ')} (several minutes the first time) …`);
  await run(go, ['install', ...packages.map((p) => `${p}@${version}`)], {
    timeout: 3_600_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
  });
  for (const [built, to] of moves) renameSync(path.join(gobin, built), to);
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function moduleDir(go: string, module: string, version: string): Promise<string> {
  const { stdout } = await run(go, ['env', 'GOMODCACHE']);
  return path.join(stdout.trim(), `${module}@${version}`);
}

/** Installs whatever is missing; `withUi: false` skips the Web UI server (CI's chaos run needs none). */
export async function installClusterTools(options: { withUi?: boolean } = {}): Promise<ClusterTools> {
  const paths = toolPaths();
  mkdirSync(cacheDir(), { recursive: true });
  if (!existsSync(paths.server) || !existsSync(paths.sqlTool) || !existsSync(paths.schemaDir)) {
    const go = await goCommand();
    if (!existsSync(paths.server) || !existsSync(paths.sqlTool)) {
      await goInstall(
        go,
        ['go.temporal.io/server/cmd/server', 'go.temporal.io/server/cmd/tools/sql'],
        TEMPORAL_SERVER_VERSION,
        [
          ['server', paths.server],
          ['sql', paths.sqlTool],
        ],
      );
    }
    // The schema files ship inside the module `go install` just fetched.
    const source = path.join(
      await moduleDir(go, 'go.temporal.io/server', TEMPORAL_SERVER_VERSION),
      'schema',
      'postgresql',
    );
    if (!existsSync(source)) throw new Error(`The server module has no schema files at ${source}`);
    const partial = `${paths.schemaDir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(source, path.join(partial, 'postgresql'), { recursive: true });
    renameSync(partial, paths.schemaDir);
  }
  let uiServer: string | undefined = paths.uiServer;
  if (options.withUi !== false && !existsSync(paths.uiServer)) {
    try {
      await goInstall(await goCommand(), ['github.com/temporalio/ui-server/v2/cmd/server'], TEMPORAL_UI_VERSION, [
        ['server', paths.uiServer],
      ]);
    } catch (error) {
      log(
        `the Web UI server could not be built, so the cluster runs without it: ${String((error as Error).message).slice(0, 400)}`,
      );
      uiServer = undefined;
    }
  }
  if (!existsSync(paths.uiServer)) uiServer = undefined;
  return { server: paths.server, sqlTool: paths.sqlTool, schemaDir: paths.schemaDir, uiServer };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const withUi = !process.argv.includes('--no-ui');
  installClusterTools({ withUi }).then(
    (tools) => {
      console.log(`server     ${tools.server}`);
      console.log(`sql tool   ${tools.sqlTool}`);
      console.log(`schema     ${tools.schemaDir}`);
      console.log(`web ui     ${tools.uiServer ?? (withUi ? 'not built (see above)' : 'skipped (--no-ui)')}`);
    },
    (error: unknown) => {
      console.error(String((error as Error).message));
      process.exit(1);
    },
  );
}
