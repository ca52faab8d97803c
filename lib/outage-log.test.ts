import { describe, expect, it } from 'vitest';
import { OutageLog } from './outage-log';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OutageLog', () => {
  it('logs a dependency outage as a start, periodic summaries and an end, not a line per failed call', async () => {
    const lines: string[] = [];
    let up = false;
    const outage = new OutageLog({
      name: 'temporal',
      log: (l) => lines.push(l),
      probe: async () => {
        if (!up) throw new Error('14 UNAVAILABLE: No connection established');
      },
      probeEveryMs: 10,
      summaryEveryMs: 60,
      settleMs: 30,
    });
    for (let i = 0; i < 100; i++) outage.failure(new Error('14 UNAVAILABLE: No connection established'));
    expect(outage.down).toBe(true);
    await sleep(150);
    up = true;
    await sleep(150);
    expect(outage.down).toBe(false);
    expect(lines[0]).toBe('[temporal] unavailable: 14 UNAVAILABLE: No connection established');
    const summaries = lines.filter((l) => l.includes('still unavailable'));
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(summaries.length).toBeLessThanOrEqual(3);
    expect(summaries[0]).toMatch(/\(100 failed call\(s\)\); last error: 14 UNAVAILABLE/);
    expect(lines.at(-1)).toMatch(/^\[temporal\] available again after \d+\.\d s \(100 failed call\(s\) meanwhile\)$/);
    expect(lines.length).toBe(summaries.length + 2);
    // A success while nothing is down says nothing.
    outage.success();
    expect(lines.length).toBe(summaries.length + 2);
    outage.close();
  });

  it('takes a dependency that flaps while it comes back for one outage: one start line, one end line', async () => {
    const lines: string[] = [];
    let up = false;
    const outage = new OutageLog({
      name: 'temporal',
      log: (l) => lines.push(l),
      probe: async () => {
        if (!up) throw new Error('down');
      },
      probeEveryMs: 10,
      summaryEveryMs: 10_000,
      settleMs: 80,
    });
    outage.failure(new Error('down'));
    up = true;
    await sleep(30);
    // Up for a moment, then a call fails again (a server answering before it is ready).
    outage.failure(new Error('not ready'));
    await sleep(30);
    expect(outage.down).toBe(true);
    await sleep(200);
    expect(outage.down).toBe(false);
    expect(lines.filter((l) => l.includes('unavailable:'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('available again'))).toHaveLength(1);
    outage.close();
  });
});
