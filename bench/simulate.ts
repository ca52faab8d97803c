/**
 * Dry runs: a 100-node graph (http calls, variables, delays, approvals, logs, a fork and a join) simulated to its end,
 * through the function and through the API (draft validation, the tenant's variables, the answer's serialization).
 * The baselines validate the same graph (the function, then the API's validate route), so each ratio says what the
 * walk costs beyond checking the graph.
 * Target: p95 under 50 ms for the function.
 *
 * No Temporal server: a simulation never talks to one (the API's client is lazy and never connects).
 * BENCH_ITERATIONS (default 300); BENCH_QUICK=1: 20.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../api/app';
import { ensureBootstrapAdmin } from '../api/auth';
import { loadConfig } from '../config';
import { openDatabase } from '../db/client';
import type { Definition } from '../interpreter/schema';
import { validateDefinition } from '../interpreter/validate';
import { simulate } from '../simulation/simulate';
import { QUICK, report } from './environment';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? (QUICK ? 20 : 300));
const WARMUP = QUICK ? 5 : 30;
const TARGET_MS = 50;

/** 100 nodes: a trigger, 97 working nodes in a chain (one stretch forked and joined), an end. */
function hundredNodes(): { definition: Definition; decisions: Record<string, string> } {
  const nodes: Array<Record<string, unknown>> = [{ id: 'n0', type: 'trigger', data: { trigger: { type: 'manual' } } }];
  const edges: Array<Record<string, unknown>> = [];
  const decisions: Record<string, string> = {};
  const kinds = ['http', 'set', 'delay', 'approval', 'log'] as const;
  for (let i = 1; i <= 97; i++) {
    const id = `n${i}`;
    const kind = kinds[i % kinds.length]!;
    if (kind === 'http') nodes.push({ id, type: 'action', data: { action: 'http', url: 'http://127.0.0.1:9/x' } });
    if (kind === 'set')
      nodes.push({ id, type: 'action', data: { action: 'set', vars: { [`v${i}`]: '{{ input.n }}' } } });
    if (kind === 'delay') nodes.push({ id, type: 'delay', data: { duration: '1h' } });
    if (kind === 'log') nodes.push({ id, type: 'action', data: { action: 'log', message: `step ${i}` } });
    if (kind === 'approval') {
      nodes.push({ id, type: 'approval', data: { approverRoles: ['manager'], expiresIn: '2d', reminderEvery: '1d' } });
      decisions[id] = 'approved';
    }
  }
  nodes.push({ id: 'join', type: 'join', data: { mode: 'all' } }, { id: 'n99', type: 'end', data: {} });
  const link = (source: string, target: string, sourceHandle?: string) =>
    edges.push({ id: `e${edges.length}`, source, target, ...(sourceHandle ? { sourceHandle } : {}) });
  const out = (i: number) => (kinds[i % kinds.length] === 'approval' ? 'approved' : undefined);
  // n1…n48 in a chain; n49…n72 and n73…n96 as two branches of a fork; the join; n97; the end.
  for (let i = 0; i < 48; i++) link(`n${i}`, `n${i + 1}`, out(i));
  link('n48', 'n49', out(48));
  link('n48', 'n73', out(48));
  for (let i = 49; i < 72; i++) link(`n${i}`, `n${i + 1}`, out(i));
  for (let i = 73; i < 96; i++) link(`n${i}`, `n${i + 1}`, out(i));
  link('n72', 'join', out(72));
  link('n96', 'join', out(96));
  link('join', 'n97');
  link('n97', 'n99', out(97));
  const checked = validateDefinition({ nodes, edges });
  if (!checked.valid) throw new Error(`the bench graph is not valid: ${JSON.stringify(checked.errors.slice(0, 3))}`);
  return { definition: checked.definition!, decisions };
}

async function timed(times: number, work: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await work();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function simulateBench(): Promise<void> {
  const { definition, decisions } = hundredNodes();
  const viaFunction = async () => {
    const result = await simulate({ definition, input: { n: 1 }, script: { decisions } });
    if (result.status !== 'completed') throw new Error(`the simulation ended ${result.status}`);
  };

  const config = loadConfig({ ...process.env, LOG_LEVEL: 'error' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://' });
  await database.migrate();
  const adminKey = `bench-admin-${randomUUID()}`;
  await ensureBootstrapAdmin(database.db, adminKey);
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = await buildApp({ config, database, temporal: new Client({ connection }), logger: false });
  const headers = { authorization: `Bearer ${adminKey}` };
  const created = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers,
    payload: { name: 'Simulate bench', definition },
  });
  const id = created.json().id as string;
  const viaApi = async () => {
    const answer = await app.inject({
      method: 'POST',
      url: `/api/workflows/${id}/simulate`,
      headers,
      payload: { input: { n: 1 }, decisions },
    });
    if (answer.statusCode !== 200 || answer.json().status !== 'completed')
      throw new Error(`the API answered ${answer.statusCode}: ${answer.body.slice(0, 300)}`);
  };
  const validating = async () => validateDefinition(definition);
  const validatingViaApi = async () => {
    const answer = await app.inject({ method: 'POST', url: `/api/workflows/${id}/validate`, headers });
    if (answer.statusCode !== 200) throw new Error(`validate answered ${answer.statusCode}`);
  };

  try {
    for (const work of [viaFunction, validating, viaApi, validatingViaApi]) await timed(WARMUP, work);
    const rows: Array<[string, number[]]> = [
      ['simulate (function), 100 nodes', await timed(ITERATIONS, viaFunction)],
      ['baseline: validateDefinition, same graph', await timed(ITERATIONS, validating)],
    ];
    const title = `simulate: a 100-node graph to its end${QUICK ? ' (quick)' : ''}`;
    report(`${title}, in process; target p95 < ${TARGET_MS} ms`, rows);
    report(`${title}, through the API (draft)`, [
      ['POST /simulate', await timed(ITERATIONS, viaApi)],
      ['baseline: POST /validate, same draft', await timed(ITERATIONS, validatingViaApi)],
    ]);
    const sorted = [...rows[0]![1]].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!;
    console.log(`function p95 ${p95.toFixed(1)} ms: ${p95 < TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target`);
  } finally {
    await app.close();
    await connection.close().catch(() => undefined);
    await database.close();
  }
}
