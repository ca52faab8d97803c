/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile>… [--last <seconds>] [--top <n>]`: where a V8 CPU profile's
 * time went, by self time: by area (Temporal SDK and its Rust bridge, protobuf, PGlite's WebAssembly, drizzle,
 * Fastify, zod, the platform's own directories, Node's internals, GC), by package or file, and by function.
 *
 * --last N keeps the samples of the profile's last N seconds (the throughput bench with BENCH_CPU_PROF prints how
 * long its load took, so start-up is left out). Idle time is left out of every share.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) per profile node, over the samples in the last `lastSeconds` (all when undefined). */
export function selfTimes(profile: CpuProfile, lastSeconds?: number): Map<number, number> {
  const from = lastSeconds === undefined ? -Infinity : profile.endTime - lastSeconds * 1e6;
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (t < from) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + duration);
  }
  return self;
}

const AREAS: Array<[RegExp, string]> = [
  [/^\(garbage collector\)$/, 'GC'],
  [/^\(program\)$/, 'native, outside JS (V8, libuv, addons)'],
  [/@temporalio\/core-bridge/, 'Temporal core bridge (JS side of the Rust core)'],
  [/@temporalio\/worker\/lib\/workflow/, 'Temporal workflow sandbox (vm, worker thread)'],
  [/^runInContext$|^evalmachine/, 'Temporal workflow sandbox (vm, worker thread)'],
  [/^get stack$|^RegExp:|source_map|node:internal\/errors/, 'stack traces (the SDK promise hook, errors)'],
  [/@temporalio\/worker/, 'Temporal SDK worker (JS)'],
  [/@temporalio\/client/, 'Temporal SDK client'],
  [/@temporalio\/(common|proto)|protobufjs|long\//, 'protobuf and payload conversion'],
  [/@temporalio\/workflow/, 'Temporal workflow library (in the sandbox)'],
  [/^wasm:|@electric-sql\/pglite/, 'PGlite (PostgreSQL as WebAssembly)'],
  [/drizzle-orm/, 'drizzle'],
  [/\/(fastify|find-my-way|avvio|light-my-request|@fastify|pino|fast-json-stringify|secure-json-parse)\//, 'Fastify'],
  [/\/zod\/|fastify-type-provider-zod/, 'zod'],
  [/undici|node:internal\/deps\/undici/, 'HTTP client (undici, fetch)'],
  [/node:internal\/(http|_http|stream|net|tls|streams)|node:(http|net|_http)/, 'Node HTTP and streams'],
  [/node:internal\/worker|node:worker_threads|MessagePort/, 'worker_threads messaging'],
  [/\/tsx\/|esbuild/, 'tsx (transpiling TypeScript)'],
  [/^node:/, 'Node internals (other)'],
];

/**
 * Webpack's module markers in a workflow bundle (`/***\/ "./interpreter/engine.ts"`), so the sandbox's time is told
 * by source module, not by one bundle file. The bundle is looked for where the profile names it, else beside the
 * profile (the bench copies it there: its data directory is gone when the profile is read).
 */
const bundleModules = new Map<string, Array<[number, string]>>();
function bundleModuleAt(url: string, line: number, profileDir: string): string | undefined {
  if (!/workflow-bundle-[^/]+\.js$/.test(url)) return undefined;
  if (!bundleModules.has(url)) {
    const file = url.replace(/^file:\/\//, '');
    const found = [file, path.join(profileDir, path.basename(file))].find((f) => existsSync(f));
    const markers: Array<[number, string]> = [];
    if (found)
      readFileSync(found, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const marker = /^\/\*{3}\/ "\.\/([^"]+)"/.exec(text);
          if (marker) markers.push([i, marker[1]!]);
        });
    bundleModules.set(url, markers);
  }
  const markers = bundleModules.get(url)!;
  let module: string | undefined;
  for (const [start, name] of markers) {
    if (start > line) break;
    module = name;
  }
  return module;
}

/** `interpreter/`, or `zod` for a package, from a module path in the bundle. */
function moduleOwner(module: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module);
  return pkg ? pkg[1]! : `${module.split('/')[0]}/`;
}

/** The area of a call frame: a known package or subsystem, the platform's own top directory, or its package. */
export function areaOf(frame: CallFrame): string {
  const key = frame.url || frame.functionName;
  for (const [pattern, area] of AREAS) if (pattern.test(key)) return area;
  return packageOf(frame);
}

/** The npm package, or the platform's directory (`api/`, `interpreter/`, …), a frame belongs to. */
export function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName || '(anonymous)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return `package ${modules[1]}`;
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(projectRoot)) return `graphflow ${path.relative(projectRoot, file).split(path.sep)[0]}/`;
  return url.split('/').slice(0, 3).join('/');
}

function table(title: string, rows: Map<string, number>, total: number, top: number): void {
  console.log(`\n${title}`);
  for (const [name, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `  ${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name.slice(0, 110)}`,
    );
}

export function summarise(file: string, lastSeconds: number | undefined, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = selfTimes(profile, lastSeconds);
  const byArea = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + us);
    const module = bundleModuleAt(frame.url, frame.lineNumber, path.dirname(file));
    add(byArea, module ? `workflow bundle: ${moduleOwner(module)}` : areaOf(frame));
    add(byPackage, module ? `workflow bundle: ${module}` : packageOf(frame));
    const where = frame.url ? `${frame.url.replace(`file://${projectRoot}/`, '')}:${frame.lineNumber + 1}` : '';
    add(byFunction, `${frame.functionName || '(anonymous)'}  ${where}`);
  }
  const span = lastSeconds ?? (profile.endTime - profile.startTime) / 1e6;
  console.log(
    `\n${path.basename(file)}: ${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle` +
      ` over ${span.toFixed(0)} s${lastSeconds === undefined ? '' : ' (the last)'}`,
  );
  table('self time by area', byArea, total, top);
  table('self time by package or directory', byPackage, total, top);
  table('self time by function', byFunction, total, top);
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = Number(args.splice(i, 2)[1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number`);
    return value;
  };
  const last = option('--last');
  const top = option('--top') ?? 25;
  if (!args.length) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile>… [--last <seconds>] [--top <n>]');
    process.exit(2);
  }
  for (const file of args) summarise(file, last, top);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main();
