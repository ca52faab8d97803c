/**
 * What the throughput bench reads from /proc about the processes it measures: CPU (utime + stime, every thread,
 * summed over a process tree), resident memory, bytes handed to the disk, CPU per thread name, and how much a
 * directory holds. Linux only, as the figures are.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // The process (or thread) has gone between listing it and reading it.
    return fallback;
  }
}

/** The fields of a stat line after the command, which may itself hold spaces and parentheses. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time of one process, all its threads, in ms. */
export function cpuMs(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`, '');
  if (!stat) return 0;
  const fields = statFields(stat);
  // utime and stime are fields 14 and 15 of the line; the slice above starts at field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** CPU time the whole machine has been busy (every core, every process), in ms, from /proc/stat. */
export function machineBusyMs(): number {
  // cpu  user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = readOr('/proc/stat', 'cpu')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / TICKS_PER_SECOND;
}

/** Every pid under `root`, itself included. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOr(`/proc/${entry}/stat`, '');
    if (stat) parentOf.set(Number(entry), Number(statFields(stat)[1]));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parentOf) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree.filter((pid) => pid === root || parentOf.has(pid));
}

/** CPU ms of a tree, minus the subtrees of `exclude` (the dev server, counted on its own). */
export function treeCpuMs(root: number, exclude: number[] = []): number {
  const excluded = new Set(exclude.flatMap((pid) => processTree(pid)));
  return processTree(root)
    .filter((pid) => !excluded.has(pid))
    .reduce((sum, pid) => sum + cpuMs(pid), 0);
}

/** Resident and peak resident memory of one process, in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readOr(`/proc/${pid}/status`, '');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Bytes this process caused to be sent to the storage layer (/proc/<pid>/io write_bytes), or 0 when unreadable. */
export function writeBytes(pid: number): number {
  const io = readOr(`/proc/${pid}/io`, '');
  return Number(/write_bytes:\s+(\d+)/.exec(io)?.[1] ?? 0);
}

export const treeWriteBytes = (root: number, exclude: number[] = []) => {
  const excluded = new Set(exclude.flatMap((pid) => processTree(pid)));
  return processTree(root)
    .filter((pid) => !excluded.has(pid))
    .reduce((sum, pid) => sum + writeBytes(pid), 0);
};

/**
 * CPU ms per thread name of one process: node's main thread ("node"), workflow threads, libuv's pool, V8's
 * platform (GC) threads, the Temporal core's tokio threads. Names are as the kernel keeps them (15 characters).
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tasks) {
    const stat = readOr(`/proc/${pid}/task/${tid}/stat`, '');
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = statFields(stat);
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    // Numbered threads of one pool share a line; node's worker_threads carry the process's name, its main thread
    // its pid.
    const pool = tid === String(pid) ? `${name} (main thread)` : name.replace(/[-_ ]?\d+$/, '');
    byName.set(pool, (byName.get(pool) ?? 0) + ms);
  }
  return byName;
}

/** The difference of two threadCpuMs readings, largest first (threads that ended during the window are lost). */
export function threadCpuDelta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after]
    .map(([name, ms]): [string, number] => [name, ms - (before.get(name) ?? 0)])
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
}

/** Apparent size of every file under `dir`, in bytes. */
export function directoryBytes(dir: string): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry);
    try {
      const stat = statSync(full);
      total += stat.isDirectory() ? directoryBytes(full) : stat.size;
    } catch {
      // Gone while we looked (a WAL checkpoint, a temporary file).
    }
  }
  return total;
}

/** Every PostgreSQL process on the machine: the database its backend serves ('(server)' for the rest), its CPU ms. */
export function postgresProcesses(): Map<number, { database: string; cpuMs: number }> {
  const processes = new Map<number, { database: string; cpuMs: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readOr(`/proc/${entry}/comm`, '').trim() !== 'postgres') continue;
    // A backend's title: "postgres: <user> <database> <host(port)> <state>".
    const title = readOr(`/proc/${entry}/cmdline`, '').replace(/\0/g, ' ').trim();
    const backend = /^postgres: \S+ (\S+) \d/.exec(title);
    processes.set(Number(entry), { database: backend ? backend[1]! : '(server)', cpuMs: cpuMs(Number(entry)) });
  }
  return processes;
}

/**
 * CPU ms PostgreSQL spent between two readings, by database. A backend that ended in between (a pool let its
 * connection go) takes its CPU with it, so this is a lower bound.
 */
export function postgresCpuDelta(
  before: ReturnType<typeof postgresProcesses>,
  after: ReturnType<typeof postgresProcesses>,
): Map<string, number> {
  const byDatabase = new Map<string, number>();
  for (const [pid, { database, cpuMs: ms }] of after)
    byDatabase.set(database, (byDatabase.get(database) ?? 0) + ms - (before.get(pid)?.cpuMs ?? 0));
  return byDatabase;
}
