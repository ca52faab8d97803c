/**
 * Webhook intake: signed deliveries at a fixed rate for a while (autocannon),
 * each with its own delivery id, against the API's /hooks route; beside a
 * loop of bare `client.workflow.start` calls at the same rate for as long.
 * Prints accepted/s and intake latency p50/p99 for both, and the ratio.
 *
 * BENCH_QUICK=1: 20/s for 3 s.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { signGeneric } from '../lib/webhook-signature';
import { QUICK, startBenchEnvironment } from './environment';

const RATE = Number(process.env.BENCH_RATE ?? (QUICK ? 20 : 50));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 30));
const SECRET = 'bench-webhook-secret';

export async function webhookIntakeBench(): Promise<void> {
  // The bench floods /hooks from one address on purpose.
  const env = await startBenchEnvironment({
    RATE_LIMIT_PER_MINUTE: '0',
    SECRETS_KEY: randomBytes(32).toString('base64'),
  });
  const { app, client, auth } = env;
  await app.inject({
    method: 'PUT',
    url: '/api/variables/BENCH_HOOK_SECRET',
    headers: auth,
    payload: { type: 'secret', value: SECRET },
  });
  const path = `bench-${Date.now()}`;
  const definition = {
    nodes: [
      { id: 'hook', type: 'trigger', data: { trigger: { type: 'webhook', path, secretRef: 'BENCH_HOOK_SECRET' } } },
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [{ id: 'e1', source: 'hook', target: 'e' }],
  };
  const workflowId = (
    await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: auth,
      payload: { name: 'Intake bench', definition },
    })
  ).json().id;
  await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/publish`, headers: auth });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  const hookUrl = new URL(
    (await app.inject({ method: 'GET', url: '/api/webhooks', headers: auth })).json().items[0].url as string,
  ).pathname;

  const result = await autocannon({
    url: `http://127.0.0.1:${address.port}${hookUrl}`,
    method: 'POST',
    connections: 20,
    overallRate: RATE,
    duration: SECONDS,
    requests: [
      {
        setupRequest: (request) => {
          const id = randomUUID();
          const body = JSON.stringify({ id, at: Date.now() });
          return {
            ...request,
            body,
            headers: {
              ...request.headers,
              'content-type': 'application/json',
              'x-delivery-id': id,
              ...signGeneric(SECRET, body, Math.floor(Date.now() / 1000)),
            },
          };
        },
      },
    ],
  });
  const accepted = result['2xx'];

  // The baseline: the same rate, for as long, straight to Temporal.
  const latencies: number[] = [];
  let started = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; Date.now() < deadline; i++) {
    const due = deadline - SECONDS * 1000 + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const t0 = performance.now();
    const p = client.workflow
      .start('noop', { taskQueue: env.taskQueue, workflowId: `bare-${randomUUID()}` })
      .then(() => {
        latencies.push(performance.now() - t0);
        started++;
      });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);

  console.log(
    `\nwebhook-intake: ${RATE}/s offered for ${SECONDS} s (${env.database.kind} PostgreSQL)${QUICK ? ' (quick)' : ''}`,
  );
  console.log(
    `${'signed webhooks via API'.padEnd(40)} accepted ${(accepted / SECONDS).toFixed(1)}/s (${accepted} of ${result.requests.sent}, non-2xx ${result.non2xx})   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms`,
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  console.log(
    `${'bare client.workflow.start'.padEnd(40)} accepted ${(started / SECONDS).toFixed(1)}/s (${started})   p50 ${pct(50).toFixed(1)} ms   p99 ${pct(99).toFixed(1)} ms`,
  );
  console.log(
    `${'ratio (ours / baseline)'.padEnd(40)} p50 ${(result.latency.p50 / pct(50)).toFixed(2)}x   p99 ${(result.latency.p99 / pct(99)).toFixed(2)}x   throughput ${(accepted / Math.max(1, started)).toFixed(2)}x`,
  );
  await env.close();
  // A side that took nothing in measured nothing: the bench is broken, not slow.
  if (accepted === 0)
    throw new Error(
      `no webhook was accepted (${result.non2xx} non-2xx of ${result.requests.sent}, ${result.errors} errors)`,
    );
  if (started === 0) throw new Error('the baseline started no workflow');
}
