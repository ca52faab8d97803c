/**
 * Every 5xx the API answered during the fuzz, from the API's side: the route,
 * the input that caused it, and the error it logged (top stack frame and the
 * first frame in our own code). Schemathesis sees the answer; this sees why.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../python-tools';

export interface ServerError {
  reqId: string;
  method: string;
  route: string;
  url: string;
  status: number;
  /** The parsed body (or its size, for raw bodies), cut to a readable length. */
  input: string;
  error?: { type: string; message: string; topFrame: string; ownFrame: string };
}

export interface DistinctServerError {
  method: string;
  route: string;
  status: number;
  error: string;
  topFrame: string;
  ownFrame: string;
  count: number;
  /** The shortest request that caused it. */
  example: { url: string; input: string };
}

const INPUT_LIMIT = 600;

function describeInput(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (Buffer.isBuffer(body)) return `<${body.length} raw bytes>`;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > INPUT_LIMIT ? `${text.slice(0, INPUT_LIMIT)}… (${text.length} chars)` : text;
}

/** A database error's message is its whole query; the driver's own error (its `cause`) says what went wrong. */
function rootCause(message: string, stack: string): string {
  const causes = [...stack.matchAll(/^caused by: (.*)$/gm)];
  return causes.length ? `${message.split('\n')[0]!.slice(0, 40)}… caused by ${causes.at(-1)![1]}` : message;
}

const frames = (stack: string) =>
  stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '));
const relative = (frame: string) => frame.replaceAll(`${projectRoot}${path.sep}`, '').replaceAll('file://', '');

export class ServerErrorLog {
  private readonly byReqId = new Map<string, ServerError>();
  private readonly errors = new Map<string, NonNullable<ServerError['error']>>();
  /** How many answers of each status: a fuzz answered mostly 401, 404 or 429 tested little. */
  readonly statuses = new Map<number, number>();
  /** The same by route (`POST /api/workflows/:id/runs` → status → count), to see which handlers were reached. */
  readonly routeStatuses: Record<string, Record<number, number>> = {};
  /** The first refusal's detail per route and status, to see why a handler was not reached. */
  readonly refusals: Record<string, string> = {};

  constructor(private readonly logFile: string) {}

  /** The API's log stream: every line to the log file; the unhandled errors kept by request id. */
  readonly stream = {
    write: (line: string) => {
      appendFileSync(this.logFile, line);
      let entry: { reqId?: string; msg?: string; err?: { type?: string; message?: string; stack?: string } };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (!entry.reqId || !entry.err) return;
      const stack = frames(entry.err.stack ?? '');
      const error = {
        type: entry.err.type ?? 'Error',
        message: rootCause(entry.err.message ?? '', entry.err.stack ?? '').slice(0, 300),
        topFrame: relative(stack[0] ?? '(no stack)'),
        ownFrame: relative(
          stack.find((f) => f.includes(projectRoot) && !f.includes('node_modules')) ?? '(none in our code)',
        ),
      };
      this.errors.set(String(entry.reqId), error);
      const known = this.byReqId.get(String(entry.reqId));
      if (known) known.error = error;
    },
  };

  /** Notes every 5xx answer; must be called before the app is ready. */
  watch(app: FastifyInstance): void {
    app.addHook('onSend', async (request, reply, payload) => {
      const key = `${request.method} ${request.routeOptions.url ?? '(no route)'} ${reply.statusCode}`;
      if (reply.statusCode >= 400 && !(key in this.refusals) && typeof payload === 'string')
        this.refusals[key] = payload.slice(0, 300);
      return payload;
    });
    app.addHook('onResponse', async (request, reply) => {
      this.statuses.set(reply.statusCode, (this.statuses.get(reply.statusCode) ?? 0) + 1);
      const route = (this.routeStatuses[`${request.method} ${request.routeOptions.url ?? '(no route)'}`] ??= {});
      route[reply.statusCode] = (route[reply.statusCode] ?? 0) + 1;
      if (reply.statusCode < 500) return;
      const reqId = String(request.id);
      this.byReqId.set(reqId, {
        reqId,
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        url: request.url.length > INPUT_LIMIT ? `${request.url.slice(0, INPUT_LIMIT)}…` : request.url,
        status: reply.statusCode,
        input: describeInput(request.body),
        ...(this.errors.has(reqId) ? { error: this.errors.get(reqId)! } : {}),
      });
    });
  }

  /** `200 ×812, 400 ×1630, …` */
  statusSummary(): string {
    return [...this.statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status} ×${n}`)
      .join(', ');
  }

  get count(): number {
    return this.byReqId.size;
  }

  /** One entry per (route, error, frame), most frequent first. */
  distinct(): DistinctServerError[] {
    const groups = new Map<string, DistinctServerError>();
    for (const e of this.byReqId.values()) {
      const kind = e.error ? `${e.error.type}: ${e.error.message.split('\n')[0]!.slice(0, 200)}` : '(nothing logged)';
      // Messages often quote the offending value: without the quoted parts they name the kind of failure.
      const key = [
        e.method,
        e.route,
        e.status,
        e.error?.ownFrame ?? '',
        kind.replace(/"[^"]*"|'[^']*'|\d+/g, '…'),
      ].join(' | ');
      const known = groups.get(key);
      const inputSize = e.url.length + e.input.length;
      if (!known) {
        groups.set(key, {
          method: e.method,
          route: e.route,
          status: e.status,
          error: kind,
          topFrame: e.error?.topFrame ?? '',
          ownFrame: e.error?.ownFrame ?? '',
          count: 1,
          example: { url: e.url, input: e.input },
        });
        continue;
      }
      known.count++;
      if (inputSize < known.example.url.length + known.example.input.length)
        known.example = { url: e.url, input: e.input };
    }
    return [...groups.values()].sort((a, b) => b.count - a.count);
  }
}

export function formatDistinct(list: DistinctServerError[]): string {
  return list
    .map((d, i) =>
      [
        `${i + 1}. ${d.status} ${d.method} ${d.route}  (×${d.count})`,
        `   error:     ${d.error}`,
        `   top frame: ${d.topFrame}`,
        `   our frame: ${d.ownFrame}`,
        `   example:   ${d.example.url}${d.example.input ? `  body ${d.example.input}` : ''}`,
      ].join('\n'),
    )
    .join('\n');
}
