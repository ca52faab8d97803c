/**
 * `npm run seed:runs -- --runs 1000000 --workflows 50 [--tenant <id>]`: fills the projection with realistic history
 * (runs, their steps and approvals) so the runs list and the reports can be measured at scale.
 *
 * The rows are made by PostgreSQL itself: one `INSERT … SELECT … generate_series` statement per batch, whose
 * data-modifying CTEs write the runs, then the steps and approvals of those runs. Nothing crosses the wire but the
 * statement, which beats COPY (the rows would have to be built in JavaScript and streamed) and works the same on
 * embedded PGlite (DATA_DIR) and on DATABASE_URL.
 *
 * Shape: one workflow in ten holds a tenth of the runs (the report benchmark's "100,000 runs of one workflow"), the
 * others share the rest; runs are spread evenly over the year before now; each workflow has one to four versions,
 * each in use for its part of the year; four clients in five name one of twenty clients (when the schema has
 * clients); statuses, priorities, triggers, durations and approvers vary as they do in use.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../config';
import type { Db } from '../db/client';
import { openDatabase } from '../db/client';

export interface SeedOptions {
  tenantId: string;
  runs: number;
  workflows: number;
  /** Runs per statement: large enough to be fast, small enough to report progress and keep memory flat. */
  batch?: number;
  /** The newest run's creation time; the runs cover the year before it. */
  until?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface SeededWorld {
  workflowIds: string[];
  /** The workflow with a tenth of the runs. */
  bigWorkflowId: string;
  clientIds: string[];
  from: Date;
  until: Date;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
const MAX_VERSIONS = 4;
const CLIENTS = 20;

/** The graph every seeded workflow publishes: the nodes the seeded steps name. */
const definition = {
  nodes: [
    { id: 'start', type: 'trigger', data: { label: 'Request received', trigger: { type: 'manual' } } },
    {
      id: 'fetch',
      type: 'http',
      data: { label: 'Look up the account', method: 'GET', url: 'http://127.0.0.1:9/accounts' },
    },
    { id: 'review', type: 'approval', data: { label: 'Manager approves', approverRoles: ['manager'] } },
    {
      id: 'notify',
      type: 'notification',
      data: { label: 'Tell the requester', channel: 'email', recipients: ['requester@example.com'], message: 'Done' },
    },
    { id: 'done', type: 'end', data: { label: 'Done', output: { ok: true } } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'fetch' },
    { id: 'e2', source: 'fetch', target: 'review' },
    { id: 'e3', source: 'review', target: 'notify', sourceHandle: 'approved' },
    { id: 'e4', source: 'notify', target: 'done' },
  ],
};

/** A PostgreSQL array literal: bound as one text parameter, which both drivers pass through unchanged. */
const arrayLiteral = (values: Array<string | null>) => `{${values.map((v) => v ?? 'NULL').join(',')}}`;

async function hasColumn(db: Db, table: string, column: string): Promise<boolean> {
  const rows = await db.execute<{ found: number }>(
    sql`select 1 as found from information_schema.columns where table_name = ${table} and column_name = ${column}`,
  );
  return rowsOf(rows).length > 0;
}

/** drizzle's execute answers `{ rows }` on both drivers. */
function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

async function seedDefinitions(db: Db, options: SeedOptions, withClients: boolean) {
  const clientIds: string[] = [];
  if (withClients) {
    const rows = rowsOf<{ id: string }>(
      await db.execute(sql`
        insert into clients (tenant_id, name)
        select ${options.tenantId}::uuid, 'Seeded client ' || lpad(c::text, 2, '0') || ' ' || substr(md5(random()::text), 1, 6)
        from generate_series(1, ${CLIENTS}) c
        returning id`),
    );
    clientIds.push(...rows.map((r) => r.id));
  }
  const workflowIds: string[] = [];
  const versionIds: Array<string | null> = [];
  const workflowClients: Array<string | null> = [];
  for (let w = 0; w < options.workflows; w++) {
    const versions = 1 + (w % MAX_VERSIONS);
    // Four workflows in five work for a client; the rest are the tenant's own.
    const clientId = clientIds.length && w % 5 !== 4 ? clientIds[w % clientIds.length]! : null;
    const name = `Seeded workflow ${String(w + 1).padStart(2, '0')} ${Math.random().toString(36).slice(2, 8)}`;
    const [workflow] = rowsOf<{ id: string }>(
      await db.execute(sql`
        insert into workflows (tenant_id, name, status, workflow_data, latest_version, category)
        values (${options.tenantId}, ${name}, 'published', ${JSON.stringify(definition)}::jsonb, ${versions}, 'seeded')
        returning id`),
    );
    if (clientId) await db.execute(sql`update workflows set client_id = ${clientId} where id = ${workflow!.id}`);
    const versionRows = rowsOf<{ id: string; version: number }>(
      await db.execute(sql`
        insert into workflow_versions (tenant_id, workflow_id, version, workflow_data, content_hash, change_description)
        select ${options.tenantId}::uuid, ${workflow!.id}::uuid, v, ${JSON.stringify(definition)}::jsonb,
          md5(${workflow!.id} || v::text), 'seeded version ' || v
        from generate_series(1, ${versions}) v
        returning id, version`),
    );
    workflowIds.push(workflow!.id);
    workflowClients.push(clientId);
    for (let v = 1; v <= MAX_VERSIONS; v++) versionIds.push(versionRows.find((r) => r.version === v)?.id ?? null);
  }
  return { clientIds, workflowIds, versionIds, workflowClients };
}

/**
 * One batch: runs [first, last] of `total`, with their steps and approvals, in one statement. Run `i` is created at
 * from + i/total of the year (plus up to a second of jitter), so the table fills in time order as it does in use.
 */
function batchStatement(args: {
  tenantId: string;
  first: number;
  last: number;
  total: number;
  fromMs: number;
  workflowCount: number;
  workflowIds: string;
  versionIds: string;
  workflowClients: string;
  withClients: boolean;
}) {
  const clientColumn = args.withClients ? sql.raw(', client_id') : sql.empty();
  const clientValue = args.withClients ? sql`, (${args.workflowClients}::uuid[])[r.w + 1]` : sql.empty();
  return sql`
    with picked as (
      select g as i,
        -- One run in ten belongs to the big workflow (index 0); the rest spread over the others.
        case when g % 10 = 0 or ${args.workflowCount} = 1 then 0
             else 1 + floor(random() * (${args.workflowCount} - 1))::int end as w,
        to_timestamp((${args.fromMs}::float8 + g::float8 / ${args.total} * ${YEAR_MS} + floor(random() * 1000)) / 1000)
          as created_at,
        random() as roll, random() as pace, g::float8 / ${args.total} as year_part
      from generate_series(${args.first}::int, ${args.last}::int) g
    ), shaped as (
      select p.*,
        1 + (p.w % ${MAX_VERSIONS}) as versions,
        case when p.roll < 0.80 then 'completed' when p.roll < 0.88 then 'failed' when p.roll < 0.90 then 'cancelled'
             when p.roll < 0.96 then 'running' when p.roll < 0.98 then 'paused' else 'pending' end as status,
        -- Durations: mostly seconds to minutes, a long tail of hours (an approval waiting overnight).
        (200 + exp(p.pace * 12))::int as duration_ms
      from picked p
    ), r as (
      select s.*, least(s.versions, 1 + floor(s.year_part * s.versions)::int) as version,
        'run-' || md5(${args.tenantId} || ':' || s.i)::uuid::text as id
      from shaped s
    ), runs as (
      insert into workflow_instances (id, tenant_id, workflow_id, workflow_version_id, version, status, priority,
        progress, current_steps, input, output, error, triggered_by, trigger_source, started_at, completed_at,
        created_at, updated_at${clientColumn})
      select r.id, ${args.tenantId}::uuid, (${args.workflowIds}::uuid[])[r.w + 1],
        (${args.versionIds}::uuid[])[r.w * ${MAX_VERSIONS} + r.version], r.version, r.status,
        (array['normal','normal','normal','normal','normal','high','high','low','critical','normal'])[1 + r.i % 10],
        case r.status when 'completed' then 100 when 'failed' then 40 when 'pending' then 0 else 60 end,
        case r.status when 'running' then array['review'] when 'paused' then array['review'] else '{}'::text[] end,
        jsonb_build_object('amount', r.i % 10000, 'requester', 'user' || (r.i % 500) || '@example.com'),
        case when r.status = 'completed' then '{"ok":true}'::jsonb end,
        case when r.status = 'failed' then '{"message":"The account service answered 503"}'::jsonb end,
        case when r.i % 3 = 0 then null else 'user' || (r.i % 200) || '@example.com' end,
        (array['manual','manual','webhook','schedule','event'])[1 + r.i % 5],
        case when r.status <> 'pending' then r.created_at + interval '40 milliseconds' end,
        case when r.status in ('completed','failed','cancelled')
             then r.created_at + interval '40 milliseconds' + r.duration_ms * interval '1 millisecond' end,
        r.created_at, r.created_at${clientValue}
      from r
      returning id, status, started_at, completed_at
    ), step_plan as (
      -- Which nodes each run reached, by its status: the path start → fetch → review → notify → done.
      select runs.*, n.seq, n.node_id, n.node_type, n.label,
        case when runs.status = 'failed' and n.node_id = 'fetch' then 'failed'
             when runs.status = 'cancelled' and n.node_id = 'review' then 'skipped'
             when runs.status in ('running','paused') and n.node_id = 'review' then 'waiting_approval'
             else 'completed' end as step_status
      from runs
      join (values (1,'start','trigger','Request received'), (2,'fetch','http','Look up the account'),
                   (3,'review','approval','Manager approves'), (4,'notify','notification','Tell the requester'),
                   (5,'done','end','Done')) as n(seq, node_id, node_type, label)
        on n.seq <= case runs.status when 'completed' then 5 when 'failed' then 2 when 'cancelled' then 3
                                     when 'running' then 3 when 'paused' then 3 else 0 end
    ), steps as (
      insert into workflow_executions (id, tenant_id, instance_id, node_id, node_type, label, visit, seq, status,
        handle, attempt, started_at, completed_at, duration_ms)
      select sp.id || ':' || sp.node_id || ':1', ${args.tenantId}::uuid, sp.id, sp.node_id, sp.node_type, sp.label, 1,
        sp.seq, sp.step_status, case when sp.node_id = 'review' and sp.step_status = 'completed' then 'approved' end,
        case when sp.step_status = 'failed' then 3 else 1 end,
        sp.started_at + (sp.seq - 1) * interval '5 milliseconds',
        case when sp.step_status in ('completed','failed') then sp.started_at + sp.seq * interval '5 milliseconds'
          + case when sp.node_id = 'review' then coalesce(sp.completed_at - sp.started_at, interval '0') * 0.9
                 else interval '0' end end,
        case when sp.step_status in ('completed','failed') then 5 + case when sp.node_id = 'review'
          then (extract(epoch from coalesce(sp.completed_at - sp.started_at, interval '0')) * 900)::int else 0 end end
      from step_plan sp
      returning instance_id
    )
    insert into workflow_approvals (tenant_id, instance_id, execution_id, node_id, approver_roles, status, outcome,
      requested_at, responded_at, decided_by)
    select ${args.tenantId}::uuid, sp.id, sp.id || ':review:1', 'review', array['manager'],
      case sp.status when 'completed' then 'approved' when 'cancelled' then 'cancelled' else 'pending' end,
      case when sp.status = 'completed' then 'approved' end,
      sp.started_at + interval '10 milliseconds',
      case when sp.status = 'completed' then sp.started_at + interval '10 milliseconds'
        + (sp.completed_at - sp.started_at) * 0.9 end,
      case when sp.status = 'completed' then 'approver' || (abs(hashtext(sp.id)) % 12) || '@example.com' end
    from step_plan sp
    where sp.node_id = 'review'`;
}

export async function seedRuns(db: Db, options: SeedOptions): Promise<SeededWorld> {
  const until = options.until ?? new Date();
  const from = new Date(until.getTime() - YEAR_MS);
  const withClients =
    (await hasColumn(db, 'workflow_instances', 'client_id')) && (await hasColumn(db, 'clients', 'id'));
  const { clientIds, workflowIds, versionIds, workflowClients } = await seedDefinitions(db, options, withClients);
  const batch = options.batch ?? 50_000;
  for (let first = 1; first <= options.runs; first += batch) {
    const last = Math.min(options.runs, first + batch - 1);
    await db.execute(
      batchStatement({
        tenantId: options.tenantId,
        first,
        last,
        total: options.runs,
        fromMs: from.getTime(),
        workflowCount: options.workflows,
        workflowIds: arrayLiteral(workflowIds),
        versionIds: arrayLiteral(versionIds),
        workflowClients: arrayLiteral(workflowClients),
        withClients,
      }),
    );
    options.onProgress?.(last, options.runs);
  }
  // Fresh statistics, so the planner sees the new size at once rather than after autovacuum gets round to it.
  await db.execute(sql`vacuum analyze workflow_instances, workflow_executions, workflow_approvals`);
  return { workflowIds, bigWorkflowId: workflowIds[0]!, clientIds, from, until };
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(argument(args, 'runs') ?? 1_000_000);
  const workflows = Number(argument(args, 'workflows') ?? 50);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(workflows) || workflows < 1 || workflows > 1000) {
    console.error('usage: npm run seed:runs -- --runs <n ≥ 1> --workflows <1..1000> [--tenant <id>]');
    process.exit(2);
  }
  const config = loadConfig();
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    embeddedDir: path.join(config.dataDir, 'pglite'),
    // Seeding a batch takes longer than any request may.
    queryTimeoutMs: 600_000,
  });
  try {
    await database.migrate();
    const tenantId =
      argument(args, 'tenant') ??
      rowsOf<{ id: string }>(await database.db.execute(sql`select id from tenants where is_default limit 1`))[0]?.id;
    if (!tenantId) throw new Error('No tenant: start graphflow once (it makes the default tenant) or pass --tenant.');
    const t0 = performance.now();
    const world = await seedRuns(database.db, {
      tenantId,
      runs,
      workflows,
      onProgress: (done, total) => process.stdout.write(`\r${done.toLocaleString()} / ${total.toLocaleString()} runs`),
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `\nSeeded ${runs.toLocaleString()} runs over ${workflows} workflows in ${seconds.toFixed(1)} s ` +
        `(${Math.round(runs / seconds).toLocaleString()} runs/s) into ${database.kind === 'postgres' ? 'DATABASE_URL' : 'the embedded database'}; ` +
        `the big workflow is ${world.bigWorkflowId}.`,
    );
  } finally {
    await database.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
