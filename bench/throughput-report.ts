/** The throughput bench's table: ours, the hand-written baseline, their ratio, and the issue's target. */
import { percentile } from './environment';
import type { PhaseFigures, ProcessGroup } from './throughput-measure';

export interface Side {
  phase?: PhaseFigures;
  latencies: number[];
  /** Memory at the end, of the processes this side runs in. */
  memory: Array<[string, { rss: number; peak: number }]>;
}

export interface Targets {
  runsPerSecond: number;
  cpuPerRun?: number;
  p50?: number;
}

const fixed = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !b || Number.isNaN(a) || Number.isNaN(b) ? '—' : `${(a / b).toFixed(2)}x`;

function row(label: string, ours: string, base: string, ratioText: string, target = ''): string {
  return `${label.padEnd(34)} ${ours.padStart(14)} ${base.padStart(14)} ${ratioText.padStart(8)}   ${target}`;
}

export function printTable(title: string, ours: Side, base: Side, targets: Targets, groups: ProcessGroup[]): void {
  const o = ours.phase;
  const b = base.phase;
  const sortedO = [...ours.latencies].sort((x, y) => x - y);
  const sortedB = [...base.latencies].sort((x, y) => x - y);
  const num = (f: (p: PhaseFigures) => number | undefined, p?: PhaseFigures) => (p ? f(p) : undefined);
  const line = (label: string, f: (p: PhaseFigures) => number | undefined, digits: number, target = '') =>
    console.log(row(label, fixed(num(f, o), digits), fixed(num(f, b), digits), ratio(num(f, o), num(f, b)), target));

  console.log(`\n${title}`);
  console.log(row('', 'graphflow', 'hand-written', 'ratio', 'target'));
  if (o || b) {
    const offered = (p?: PhaseFigures) => (p ? `${p.offered.accepted}/${p.offered.accepted + p.offered.refused}` : '—');
    console.log(row('runs accepted / offered', offered(o), offered(b), ''));
    line('completed runs/s (start → last)', (p) => p.runsPerSecond, 1, `≥ ${targets.runsPerSecond}`);
    line('completed runs/s while offered', (p) => p.runsPerSecondInWindow, 1);
    line('backlog when the load ended', (p) => p.backlogAtEnd, 0, '0');
    line('drain after the load (s)', (p) => p.drainSeconds, 1);
    const ended = (p?: PhaseFigures) => (p ? `${p.completion.failed} / ${p.completion.open}` : '—');
    console.log(row('runs failed / still open', ended(o), ended(b), '', '0 / 0'));
    line('CPU ms per completed run', (p) => p.cpuPerRun, 1, targets.cpuPerRun ? `≤ ${targets.cpuPerRun}` : '');
    for (const group of groups) line(`  of which ${group.name}`.slice(0, 34), (p) => perRun(p, group.name), 1);
    line('bytes written per run (/proc io)', (p) => p.writtenPerRun, 0);
    line('data directory growth per run', (p) => p.diskPerRun, 0);
  }
  for (const q of [50, 95, 99]) {
    const [x, y] = [percentile(sortedO, q), percentile(sortedB, q)];
    const target = q === 50 && targets.p50 ? `≤ ${targets.p50}` : '';
    console.log(row(`start → result p${q} (ms, sequential)`, fixed(x), fixed(y), ratio(x, y), target));
  }
  for (const [name, p] of [
    ['graphflow', o],
    ['hand-written', b],
  ] as const)
    if (p?.offered.firstRefusal)
      console.log(`  ${name}: ${p.offered.refused} starts refused, the first: ${p.offered.firstRefusal}`);
  const rss = (side: Side) => side.memory.reduce((sum, [, m]) => sum + m.rss, 0);
  console.log(
    row('RSS at the end (MiB, see below)', fixed(rss(ours), 0), fixed(rss(base), 0), ratio(rss(ours), rss(base))),
  );
  for (const [side, name] of [
    [ours, 'graphflow'],
    [base, 'hand-written'],
  ] as const)
    console.log(
      `  ${name}: ${side.memory.map(([n, m]) => `${n} ${m.rss.toFixed(0)} MiB (peak ${m.peak.toFixed(0)})`).join(', ')}`,
    );
}

function perRun(p: PhaseFigures, group: string): number {
  const ms = p.cpuByGroup.find(([name]) => name === group)?.[1] ?? 0;
  return p.completion.completed ? ms / p.completion.completed : NaN;
}

/** CPU of one process by thread during a load: where the cores went (JS main thread, workflow thread, core, GC). */
export function printThreads(label: string, p: PhaseFigures | undefined): void {
  if (!p?.threads.length) return;
  const total = p.threads.reduce((sum, [, ms]) => sum + ms, 0);
  const seconds = (p.completion.closeTimes.at(-1)! - p.offered.startedAt) / 1000;
  console.log(`\n${label}: CPU by thread over the load (${(total / 1000 / seconds).toFixed(2)} cores on average)`);
  for (const [name, ms] of p.threads.slice(0, 10))
    console.log(
      `  ${name.padEnd(18)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${((100 * ms) / total).toFixed(1).padStart(5)} %` +
        `  ${(ms / Math.max(1, p.completion.completed)).toFixed(1).padStart(6)} ms/run`,
    );
}
