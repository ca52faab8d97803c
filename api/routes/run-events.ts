/**
 * Server-Sent Events for live views: `GET /api/runs/:runId/events` (one run)
 * and `GET /api/run-events` (every run of the caller's tenant, for lists and
 * the inbox). Each change the projection writes becomes one `change` event
 * `{runId, kind}`; the client reads the run again. A comment line every
 * `sseTiming.heartbeatMs` keeps proxies from closing an idle stream and lets
 * the server notice a client that left.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { workflowInstances } from '../../db/schema';
import { RunEventHub, type RunEvent } from '../../db/run-events';
import { callerOf, type Caller } from '../auth';
import { HttpProblem, notFound } from '../errors';
import { answer, withProblems } from '../schemas/problem';

declare module 'fastify' {
  interface FastifyInstance {
    runEvents: RunEventHub;
  }
}

/** Tunable by tests; 15 s is well inside the idle timeouts of common proxies. */
export const sseTiming = { heartbeatMs: 15_000 };
/** A client that reads nothing while this much waits unsent is dropped rather than buffered for. */
const MAX_BUFFERED_BYTES = 256 * 1024;
/** Open streams per API process, and per user: each holds a socket and a subscription. */
export const MAX_STREAMS = 1000;
export const MAX_STREAMS_PER_USER = 20;

/**
 * A stream never ends: only a client that asks for one (`Accept: text/event-stream`, as EventSource sends) gets
 * it, so a crawler or a client expecting JSON gets a quick answer instead of a request that never completes.
 */
function requireEventStream(request: FastifyRequest): void {
  if (!/\btext\/event-stream\b/i.test(request.headers.accept ?? '')) {
    throw new HttpProblem(
      406,
      'not-acceptable',
      'This route answers a Server-Sent Events stream: send `Accept: text/event-stream`.',
    );
  }
}

const EventStream = z.string().meta({
  description:
    'Sent only to a request with `Accept: text/event-stream`. The stream: `retry:` and a `: connected` comment first; then an `event: change` with `data: {"runId","kind"}` (kind: `run`, `step`, `approval`, or `resync` when changes may have been missed: read everything again) per change as it is written; a `: heartbeat` comment every 15 s.',
  examples: ['event: change\ndata: {"runId":"run-1c0e…","kind":"step"}\n\n'],
});

const routes: FastifyPluginAsyncZod = async (app) => {
  const hub = new RunEventHub(app.database, (message, error) => app.log.warn({ err: error }, message));
  app.decorate('runEvents', hub);
  const open = new Set<() => void>();
  const perUser = new Map<string, number>();
  // Open streams never end by themselves: end them, or closing the server would wait for them.
  app.addHook('preClose', async () => [...open].forEach((end) => end()));
  app.addHook('onClose', async () => hub.close());

  const stream = (request: FastifyRequest, reply: FastifyReply, caller: Caller, runId?: string) => {
    if (open.size >= MAX_STREAMS)
      throw new HttpProblem(
        503,
        'too-many-streams',
        'This server holds as many live streams as it can; retry shortly.',
      );
    if ((perUser.get(caller.userId) ?? 0) >= MAX_STREAMS_PER_USER) {
      throw new HttpProblem(
        429,
        'too-many-streams',
        `At most ${MAX_STREAMS_PER_USER} live streams per user; close one first.`,
      );
    }
    perUser.set(caller.userId, (perUser.get(caller.userId) ?? 0) + 1);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 3000\n\n: connected\n\n');
    let ended = false;
    const send = (text: string) => {
      if (ended) return;
      if (raw.writableLength > MAX_BUFFERED_BYTES) return end();
      raw.write(text);
    };
    const unsubscribe = hub.subscribe({
      tenantId: caller.tenantId,
      ...(runId === undefined ? {} : { runId }),
      deliver: (event: RunEvent) =>
        send(
          `event: change\ndata: ${JSON.stringify(event.kind === 'resync' ? { kind: 'resync' } : { runId: event.runId, kind: event.kind })}\n\n`,
        ),
    });
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), sseTiming.heartbeatMs);
    function end() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
      const count = (perUser.get(caller.userId) ?? 1) - 1;
      if (count > 0) perUser.set(caller.userId, count);
      else perUser.delete(caller.userId);
      raw.end();
    }
    open.add(end);
    // The browser closed the page (or the network went): free the subscriber at once.
    raw.on('close', end);
    raw.on('error', end);
  };

  app.get(
    '/api/runs/:runId/events',
    {
      schema: {
        operationId: 'streamRunEvents',
        summary: 'Follow one run live (Server-Sent Events)',
        tags: ['runs'],
        params: z.object({ runId: z.string().min(1).max(300) }),
        response: withProblems(
          { 200: answer("An endless stream of the run's changes", EventStream, 'text/event-stream') },
          [404, 406, 503],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      requireEventStream(request);
      const { runId } = request.params;
      const row = (
        await app.database.db
          .select({ id: workflowInstances.id })
          .from(workflowInstances)
          .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!row) throw notFound('Run', runId);
      await hub.ready().catch(() => {});
      stream(request, reply, caller, runId);
    },
  );

  app.get(
    '/api/run-events',
    {
      schema: {
        operationId: 'streamTenantRunEvents',
        summary: 'Follow every run of the tenant live (Server-Sent Events)',
        tags: ['runs'],
        response: withProblems(
          { 200: answer("An endless stream of changes to the tenant's runs", EventStream, 'text/event-stream') },
          [406, 503],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      requireEventStream(request);
      await hub.ready().catch(() => {});
      stream(request, reply, caller);
    },
  );
};

/** Not encapsulated: `app.runEvents` (the process's one hub) is the app's, for tests and other routes to reach. */
export const runEventRoutes = fastifyPlugin(routes, { name: 'run-events' });
