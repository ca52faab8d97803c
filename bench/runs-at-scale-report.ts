/**
 * The runs-at-scale bench's output: a table of p50/p99, ours against the bare SQL, with each target met or not, and
 * the essentials of each query's plan (EXPLAIN ANALYZE on the database measured).
 */
import { createHash } from 'node:crypto';
import { percentile } from './environment';

export interface Case {
  name: string;
  url: string;
  /** The p99 the API must keep, in ms. */
  target: number;
}

export interface Timing extends Case {
  ours: number[];
  baseline: number[];
  plan?: string[];
}

type Driver = { query(text: string, params?: unknown[]): Promise<unknown> };

/** The id scripts/seed-runs.ts gives the tenant's i-th run. */
export function runIdOf(tenantId: string, i: number): string {
  const hex = createHash('md5').update(`${tenantId}:${i}`).digest('hex');
  return `run-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The plan's nodes (scans, sorts, joins) and its execution time, as PostgreSQL ran the statement once more. */
export async function explainLines(driver: Driver, statement: { sql: string; params: unknown[] }): Promise<string[]> {
  const result = (await driver.query(
    `explain (analyze, costs off, timing off) ${statement.sql}`,
    statement.params,
  )) as {
    rows: Array<Record<string, string>>;
  };
  const lines = result.rows.map((row) => Object.values(row)[0]!);
  const nodes = lines.filter(
    (l) => /(Scan|Sort|Join|Aggregate|Limit|Nested Loop|Gather)/.test(l) && !/^\s*Sort (Key|Method)/.test(l),
  );
  return [
    ...nodes.slice(0, 6).map((l) => l.replace(/\s+/g, ' ').trim()),
    ...lines.filter((l) => l.startsWith('Execution Time')),
  ];
}

const f = (x: number) => x.toFixed(1).padStart(7);

export function printTable(title: string, timings: Timing[]): void {
  console.log(`\n${title}\n`);
  console.log(
    `${'case'.padEnd(44)} ${'ours p50'.padStart(9)} ${'p99'.padStart(7)}  ${'SQL p50'.padStart(8)} ${'p99'.padStart(7)}  ${'ratio p50'.padStart(9)} ${'p99'.padStart(6)}  target p99`,
  );
  for (const t of timings) {
    const ours = [...t.ours].sort((a, b) => a - b);
    const base = [...t.baseline].sort((a, b) => a - b);
    const [o50, o99, b50, b99] = [
      percentile(ours, 50),
      percentile(ours, 99),
      percentile(base, 50),
      percentile(base, 99),
    ];
    const verdict = o99 <= t.target ? 'met' : 'NOT met';
    console.log(
      `${t.name.slice(0, 44).padEnd(44)} ${f(o50)}ms ${f(o99)}  ${f(b50)}ms ${f(b99)}  ${(o50 / b50).toFixed(2).padStart(8)}x ${(o99 / b99).toFixed(2).padStart(5)}x  ≤ ${t.target} ms: ${verdict}`,
    );
  }
  console.log('\nplans (EXPLAIN ANALYZE of the statement the API sent):');
  for (const t of timings) {
    if (!t.plan) continue;
    console.log(`  ${t.name}`);
    for (const line of t.plan) console.log(`    ${line}`);
  }
}
