/**
 * One measured phase of the throughput bench: the processes involved (CPU, bytes written, memory), a contender
 * (how to start one run, which processes its CPU is charged to), a load phase at a fixed rate, and the
 * sequential latency probe.
 */
import type { Client } from '@temporalio/client';
import { awaitClosed, type Completion, completionOf, offer, type Offered } from './throughput-load';
import { memoryMiB, processTree, threadCpuDelta, threadCpuMs, treeCpuMs, treeWriteBytes } from './throughput-proc';

/** A process (with its children) the bench reads from /proc. */
export interface ProcessGroup {
  name: string;
  cpuMs(): number;
  writeBytes(): number;
  /** Resident and peak resident memory, summed over the tree, in MiB. */
  memory(): { rss: number; peak: number };
  /** The pid whose threads are broken down (the node process that runs API and worker). */
  pid?: number;
}

/** `root` and its children, less the subtrees of `exclude` (the dev server, a group of its own). */
export function treeGroup(name: string, root: number, exclude: number[] = []): ProcessGroup {
  return {
    name,
    pid: root,
    cpuMs: () => treeCpuMs(root, exclude),
    writeBytes: () => treeWriteBytes(root, exclude),
    memory: () => {
      const excluded = new Set(exclude.flatMap((pid) => processTree(pid)));
      return processTree(root)
        .filter((pid) => !excluded.has(pid))
        .map(memoryMiB)
        .reduce((sum, m) => ({ rss: sum.rss + m.rss, peak: sum.peak + m.peak }), { rss: 0, peak: 0 });
    },
  };
}

export interface Contender {
  label: string;
  workflowType: string;
  /** The groups whose CPU and writes a run of this contender costs. */
  charged: ProcessGroup[];
  /** Starts one run; answers its Temporal workflow id. */
  start(i: number): Promise<string>;
}

export interface PhaseFigures {
  rate: number;
  seconds: number;
  offered: Offered;
  completion: Completion;
  /** Completed runs a second from the first start to the last completion. */
  runsPerSecond: number;
  /** Completed runs a second while the load was offered. */
  runsPerSecondInWindow: number;
  /** Accepted runs not yet completed when the load ended. */
  backlogAtEnd: number;
  /** From the end of the load to the last completion. */
  drainSeconds: number;
  cpuByGroup: Array<[string, number]>;
  cpuPerRun: number;
  writtenPerRun: number;
  diskPerRun: number | undefined;
  threads: Array<[string, number]>;
}

/** Offers `rate` runs a second for `seconds`, waits for them to close, and charges the contender its costs. */
export async function loadPhase(
  client: Client,
  contender: Contender,
  rate: number,
  seconds: number,
  options: { drainTimeoutMs: number; diskBytes?: () => Promise<number>; everyGroup: ProcessGroup[] },
): Promise<PhaseFigures> {
  const groups = options.everyGroup;
  const cpu0 = groups.map((g) => g.cpuMs());
  const written0 = contender.charged.map((g) => g.writeBytes());
  const disk0 = (await options.diskBytes?.()) ?? 0;
  const threadsOf = contender.charged[0]?.pid;
  const threads0 = threadsOf ? threadCpuMs(threadsOf) : new Map<string, number>();

  const offered = await offer(rate, seconds, (i) => contender.start(i));
  const since = offered.startedAt - 100;
  await awaitClosed(client, contender.workflowType, since, offered.accepted, options.drainTimeoutMs);

  const cpuByGroup = groups.map((g, i): [string, number] => [g.name, g.cpuMs() - cpu0[i]!]);
  const written = contender.charged.reduce((sum, g, i) => sum + g.writeBytes() - written0[i]!, 0);
  const diskAfter = await options.diskBytes?.();
  const disk = diskAfter === undefined ? undefined : diskAfter - disk0;
  const threads = threadsOf ? threadCpuDelta(threads0, threadCpuMs(threadsOf)) : [];
  const completion = await completionOf(client, contender.workflowType, since);

  const { closeTimes, completed } = completion;
  const last = closeTimes.at(-1) ?? offered.endedAt;
  const inWindow = closeTimes.filter((t) => t <= offered.endedAt).length;
  const chargedCpu = cpuByGroup
    .filter(([name]) => contender.charged.some((g) => g.name === name))
    .reduce((sum, [, ms]) => sum + ms, 0);
  const perRun = (n: number) => (completed ? n / completed : NaN);
  return {
    rate,
    seconds,
    offered,
    completion,
    runsPerSecond: completed / Math.max(0.001, (last - offered.startedAt) / 1000),
    runsPerSecondInWindow: inWindow / Math.max(0.001, (offered.endedAt - offered.startedAt) / 1000),
    backlogAtEnd: offered.accepted - inWindow,
    drainSeconds: Math.max(0, last - offered.endedAt) / 1000,
    cpuByGroup,
    cpuPerRun: perRun(chargedCpu),
    writtenPerRun: perRun(written),
    diskPerRun: disk === undefined ? undefined : perRun(disk),
    threads,
  };
}

/** Start → result of `n` runs of each contender, one at a time, interleaved so drift in load hits both alike. */
export async function latencyProbe(
  client: Client,
  contenders: Contender[],
  n: number,
  offset: number,
): Promise<number[][]> {
  const samples = contenders.map((): number[] => []);
  for (let i = 0; i < n; i++) {
    for (const [k, contender] of contenders.entries()) {
      const t0 = performance.now();
      const id = await contender.start(offset + i);
      await client.workflow.getHandle(id).result();
      samples[k]!.push(performance.now() - t0);
    }
  }
  return samples;
}
