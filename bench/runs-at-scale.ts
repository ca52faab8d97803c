/**
 * `npm run bench runs-at-scale`: the runs list, a run by id and the reports over a large history (issue 16,
 * target 3; issue 13's report benchmark). A tenant is seeded with scripts/seed-runs.ts (1,000,000 runs over 50
 * workflows; --quick: 20,000), then each request is timed through the API in process (Fastify's inject, auth and
 * serialisation included) against its baseline: the very SQL the API sent, captured from drizzle's logger and
 * replayed on the driver (so the ratio is the API's own cost). The workflow report is timed twice: all live, and
 * after every closed day of the seed is stored as period reports (the daily schedule's work, timed once), read from
 * those with only the edges live, against the all-live SQL as its baseline.
 *
 * Databases: embedded PGlite (in memory with --quick; else under RUNS_BENCH_DATA_DIR, default
 * ~/.cache/graphflow/runs-at-scale-pglite, seeded once and reused) and PostgreSQL when RUNS_BENCH_DATABASE_URL or
 * DATABASE_URL is set (seeded once per size and reused; --quick removes its tenant afterwards).
 * RUNS_BENCH_ONLY=embedded|postgres runs one of them; RUNS_BENCH_RUNS overrides the size, RUNS_BENCH_WORKFLOWS the
 * workflows (1: every run in one workflow, e.g. 100,000 runs for the report alone), RUNS_BENCH_REPORT_SAMPLES the
 * reports' samples.
 */
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app';
import { hashKey, newApiKey } from '../api/auth';
import { loadConfig } from '../config';
import { type Database, type Db, openDatabase } from '../db/client';
import * as schema from '../db/schema';
import { apiKeys, reportPeriods, tenants, users, workflowReports } from '../db/schema';
import { periodEnd, periodStartOf, storePeriod } from '../reports/period-store';
import { seedRuns } from '../scripts/seed-runs';
import { QUICK } from './environment';
import { type Case, explainLines, printTable, runIdOf, type Timing } from './runs-at-scale-report';

const RUNS = Number(process.env.RUNS_BENCH_RUNS ?? (QUICK ? 20_000 : 1_000_000));
const WORKFLOWS = Number(process.env.RUNS_BENCH_WORKFLOWS ?? 50);
const SAMPLES = QUICK ? 10 : 200;
const REPORT_SAMPLES = Number(process.env.RUNS_BENCH_REPORT_SAMPLES ?? (QUICK ? 3 : 40));
const PAGE = 50;
/** The deep page: the thousandth, or as deep as a quick seed goes. */
const DEEP_PAGE = QUICK ? 20 : 1000;

type Driver = { query(text: string, params?: unknown[]): Promise<unknown> };
interface Captured {
  sql: string;
  params: unknown[];
}

/** A drizzle instance on the same driver that records each statement, to replay it bare as the baseline. */
function capturingDb(database: Database, captured: Captured[]): Db {
  const logger = { logQuery: (query: string, params: unknown[]) => captured.push({ sql: query, params }) };
  const driver = (database.db as unknown as { $client: never }).$client;
  return (database.kind === 'postgres'
    ? drizzlePg(driver, { schema, logger })
    : drizzlePglite(driver, { schema, logger })) as unknown as Db;
}

/** The tenant holding a seed of this size, seeding it first if none does. */
async function seededTenant(database: Database, log: (line: string) => void): Promise<string> {
  const { db } = database;
  const name = `runs-at-scale ${RUNS} runs${WORKFLOWS === 50 ? '' : ` over ${WORKFLOWS} workflows`}`;
  const found = (await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, name)).limit(1))[0];
  if (found) {
    log(`reusing the tenant seeded with ${RUNS.toLocaleString()} runs`);
    return found.id;
  }
  const tenant = (
    await db
      .insert(tenants)
      .values({ name: `${name} (seeding)` })
      .returning()
  )[0]!;
  const t0 = performance.now();
  let shown = 0;
  await seedRuns(db, {
    tenantId: tenant.id,
    runs: RUNS,
    workflows: WORKFLOWS,
    onProgress: (done) => {
      if (done - shown >= RUNS / 10 || done === RUNS) log(`seeded ${(shown = done).toLocaleString()} runs`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`seeded ${RUNS.toLocaleString()} runs in ${seconds.toFixed(1)} s (${Math.round(RUNS / seconds)} runs/s)`);
  // Named only once whole: an interrupted seed is not reused.
  await db.update(tenants).set({ name }).where(eq(tenants.id, tenant.id));
  return tenant.id;
}

async function adminKeyFor(db: Db, tenantId: string): Promise<string> {
  const user = (
    await db
      .insert(users)
      .values({ tenantId, email: `bench-${randomUUID()}@example.com`, name: 'Bench', roles: ['admin'] })
      .returning()
  )[0]!;
  const key = newApiKey();
  await db.insert(apiKeys).values({ tenantId, userId: user.id, keyHash: hashKey(key), prefix: key.slice(0, 8) });
  return key;
}

async function time(fn: () => Promise<unknown>, samples: number): Promise<number[]> {
  for (let i = 0; i < Math.min(5, samples); i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function measureDatabase(label: string, database: Database): Promise<void> {
  const log = (line: string) => console.log(`[${label}] ${line}`);
  const tenantId = await seededTenant(database, log);
  const { db } = database;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '0' });
  // Nothing measured here reaches Temporal: a lazy connection that is never opened.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = await buildApp({ config, database, temporal, logger: false });
  const captured: Captured[] = [];
  const captureApp = await buildApp({
    config,
    database: { ...database, db: capturingDb(database, captured) },
    temporal,
    logger: false,
  });
  const authorization = `Bearer ${await adminKeyFor(db, tenantId)}`;
  const driver = (db as unknown as { $client: Driver }).$client;

  const get = async (target: FastifyInstance, url: string) => {
    const response = await target.inject({ method: 'GET', url, headers: { authorization } });
    if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode} ${response.body}`);
    return response;
  };
  /** The statements the API sends for `url`, outside its own per-request lookups (the key, the caller). */
  const statementsOf = async (url: string, keep: (s: Captured) => boolean): Promise<Captured[]> => {
    captured.length = 0;
    await get(captureApp, url);
    const kept = captured.filter(keep);
    if (!kept.length) throw new Error(`no statement captured for ${url}`);
    return kept;
  };

  const world = await worldOf(db, tenantId);
  /** The cursor of the deep page (or of the last page, when the filter holds fewer), and which page that is. */
  const deepCursor = async (query: string) => {
    let cursor: string | null = null;
    let page = 1;
    for (; page < DEEP_PAGE; page++) {
      const url: string = `/api/runs?limit=${PAGE}${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const nextCursor: string | null = (await get(app, url)).json<{ nextCursor: string | null }>().nextCursor;
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    if (!cursor) throw new Error(`one page only for "${query}"`);
    return { cursor, page };
  };

  const isList = (s: Captured) => s.sql.includes('from "workflow_instances"') && s.sql.includes('order by');
  const listCases: Array<[string, string]> = [
    ['list: first page', ''],
    ['list: workflow', `&workflowId=${world.bigWorkflowId}`],
    ['list: workflow + version', `&workflowId=${world.versionedWorkflowId}&version=2`],
    ['list: status', '&status=failed'],
    ['list: date range (30 days)', `&from=${world.monthFrom}&to=${world.monthTo}`],
    ['list: priority', '&priority=critical'],
    ['list: triggeredBy', '&triggeredBy=user7@example.com'],
    ...(world.clientId ? ([['list: client', `&clientId=${world.clientId}`]] as Array<[string, string]>) : []),
  ];
  const cases: Case[] = [];
  for (const [name, query] of listCases) cases.push({ name, url: `/api/runs?limit=${PAGE}${query}`, target: 20 });
  for (const [name, query] of [
    ['list', ''],
    ['list: workflow', `&workflowId=${world.bigWorkflowId}`],
    ['list: status', '&status=completed'],
  ] as const) {
    const deep = await deepCursor(query);
    cases.push({
      name: `${name}, page ${deep.page}`,
      url: `/api/runs?limit=${PAGE}${query}&cursor=${deep.cursor}`,
      target: 20,
    });
  }

  const timings: Timing[] = [];
  for (const c of cases) {
    const statements = await statementsOf(c.url, isList);
    timings.push({
      ...c,
      ours: await time(() => get(app, c.url), SAMPLES),
      baseline: await time(() => driver.query(statements[0]!.sql, statements[0]!.params), SAMPLES),
      plan: await explainLines(driver, statements[0]!),
    });
  }

  // A run by id: the run, its steps, approvals and notifications (the baseline replays the four in parallel, as
  // the route does after reading the run).
  const byIdUrls = Array.from({ length: SAMPLES }, (_, i) => `/api/runs/${runIdOf(tenantId, 1 + ((i * 7919) % RUNS))}`);
  const byIdStatements = await statementsOf(byIdUrls[0]!, (s) =>
    /workflow_(instances|executions|approvals|notifications)/.test(s.sql),
  );
  let next = 0;
  timings.push({
    name: 'run by id',
    url: byIdUrls[0]!,
    target: 10,
    ours: await time(() => get(app, byIdUrls[next++ % byIdUrls.length]!), SAMPLES),
    baseline: await time(async () => {
      await driver.query(byIdStatements[0]!.sql, byIdStatements[0]!.params);
      await Promise.all(byIdStatements.slice(1).map((s) => driver.query(s.sql, s.params)));
    }, SAMPLES),
  });

  const reportCases: Case[] = [
    {
      name: `report: workflow (${world.bigWorkflowRuns.toLocaleString()} runs)`,
      url: `/api/reports/workflows/${world.bigWorkflowId}?from=${world.yearFrom}&to=${world.yearTo}`,
      target: 100,
    },
    {
      name: `report: overview (${world.overviewRuns.toLocaleString()} runs)`,
      url: `/api/reports/overview?from=${world.overviewFrom}&to=${world.yearTo}`,
      target: 100,
    },
  ];
  // The live figures first: a reused seed forgets the days an earlier run stored.
  await db.delete(reportPeriods).where(eq(reportPeriods.tenantId, tenantId));
  await db.delete(workflowReports).where(eq(workflowReports.tenantId, tenantId));
  const liveStatements: Captured[][] = [];
  for (const c of reportCases) {
    const statements = await statementsOf(
      c.url,
      (s) => /workflow_(instances|executions|approvals)/.test(s.sql) && !s.sql.includes('limit'),
    );
    liveStatements.push(statements);
    timings.push({
      ...c,
      ours: await time(() => get(app, c.url), REPORT_SAMPLES),
      baseline: await time(() => Promise.all(statements.map((s) => driver.query(s.sql, s.params))), REPORT_SAMPLES),
      plan: await explainLines(driver, statements[statements.length > 1 ? 1 : 0]!),
    });
  }

  // Stored period reports: the seed's closed months and days stored (as the daily schedule would have), then the
  // same workflow report read from them and its edges live, against the all-live SQL above as the baseline.
  const t0 = performance.now();
  const stored = await storeClosedPeriods(db, tenantId, new Date(world.yearFrom), new Date(world.yearTo));
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  log(`stored period reports of ${stored.months} months and ${stored.days} days in ${seconds} s`);
  const workflowCase = reportCases[0]!;
  timings.push({
    ...workflowCase,
    name: `report: workflow, stored days (${world.bigWorkflowRuns.toLocaleString()})`,
    ours: await time(() => get(app, workflowCase.url), REPORT_SAMPLES),
    baseline: await time(
      () => Promise.all(liveStatements[0]!.map((s) => driver.query(s.sql, s.params))),
      REPORT_SAMPLES,
    ),
  });

  printTable(`${label}: ${RUNS.toLocaleString()} runs over ${WORKFLOWS} workflows`, timings);
  await captureApp.close();
  await app.close();
  if (QUICK && !process.env.RUNS_BENCH_RUNS) await db.delete(tenants).where(eq(tenants.id, tenantId));
}

/**
 * Stores what a report over [from, to) reads once the daily schedule has run all along: each closed month wholly in
 * the range, and each closed day outside those months (storing every day too would change no figure, only the
 * time this takes). Answers how many of each.
 */
async function storeClosedPeriods(db: Db, tenantId: string, from: Date, to: Date) {
  const DAY = 24 * 3600 * 1000;
  const end = Math.min(periodStartOf('day', to).getTime(), periodStartOf('day', new Date()).getTime());
  const firstDay = Math.ceil(from.getTime() / DAY) * DAY;
  const months: Date[] = [];
  for (let month = periodStartOf('month', from); periodEnd('month', month).getTime() <= end;) {
    if (month.getTime() >= firstDay) months.push(month);
    month = periodEnd('month', month);
  }
  for (const month of months) await storePeriod(db, tenantId, 'month', month);
  const inMonth = (day: number) => months.some((m) => day >= m.getTime() && day < periodEnd('month', m).getTime());
  let days = 0;
  for (let day = periodStartOf('day', from).getTime(); day < end; day += DAY)
    if (!inMonth(day)) {
      await storePeriod(db, tenantId, 'day', new Date(day));
      days++;
    }
  return { months: months.length, days };
}

/** What the seed holds that the cases name: the big and a versioned workflow, a client, ranges. */
async function worldOf(db: Db, tenantId: string) {
  const { rows } = (await db.execute(sql`
    select workflow_id, count(*)::int as runs, max(version) as versions
    from workflow_instances where tenant_id = ${tenantId} group by workflow_id order by runs desc`)) as unknown as {
    rows: Array<{ workflow_id: string; runs: number; versions: number }>;
  };
  const span = (
    (await db.execute(sql`
      select min(created_at) as first, max(created_at) as last from workflow_instances where tenant_id = ${tenantId}`)) as unknown as {
      rows: Array<{ first: string | Date; last: string | Date }>;
    }
  ).rows[0]!;
  const client = (
    (await db
      .execute(
        sql`
      select client_id from workflow_instances where tenant_id = ${tenantId} and client_id is not null limit 1`,
      )
      .catch(() => ({ rows: [] }))) as unknown as { rows: Array<{ client_id: string }> }
  ).rows[0];
  const first = new Date(span.first).getTime();
  const last = new Date(span.last).getTime() + 1000;
  const total = rows.reduce((sum, r) => sum + Number(r.runs), 0);
  // The overview's range: the newest 100,000 runs (runs are spread evenly over the year), or all of a quick seed.
  const overviewRuns = Math.min(total, 100_000);
  const overviewFrom = new Date(last - ((last - first) * overviewRuns) / total);
  const month = (last - first) / 12;
  return {
    bigWorkflowId: rows[0]!.workflow_id,
    bigWorkflowRuns: Number(rows[0]!.runs),
    versionedWorkflowId: rows.find((r) => Number(r.versions) >= 2)?.workflow_id ?? rows[0]!.workflow_id,
    clientId: client?.client_id,
    yearFrom: new Date(first).toISOString(),
    yearTo: new Date(last).toISOString(),
    monthFrom: new Date(first + 6 * month).toISOString(),
    monthTo: new Date(first + 7 * month).toISOString(),
    overviewFrom: overviewFrom.toISOString(),
    overviewRuns,
  };
}

export async function runsAtScaleBench(): Promise<void> {
  const only = process.env.RUNS_BENCH_ONLY;
  const databaseUrl = process.env.RUNS_BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (only !== 'postgres') {
    const dir = QUICK
      ? 'memory://'
      : (process.env.RUNS_BENCH_DATA_DIR ?? path.join(homedir(), '.cache', 'graphflow', 'runs-at-scale-pglite'));
    const database = await openDatabase({ embeddedDir: dir, queryTimeoutMs: 600_000 });
    try {
      await database.migrate();
      await measureDatabase('embedded PGlite', database);
    } finally {
      await database.close();
    }
  }
  if (only !== 'embedded') {
    if (!databaseUrl) {
      console.log('\nPostgreSQL skipped: set RUNS_BENCH_DATABASE_URL or DATABASE_URL to measure it.');
      return;
    }
    const database = await openDatabase({ databaseUrl, queryTimeoutMs: 600_000 });
    try {
      await database.migrate();
      await measureDatabase('PostgreSQL', database);
    } finally {
      await database.close();
    }
  }
}
