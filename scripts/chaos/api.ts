/**
 * What the chaos run asks of the platform, over HTTP to the cluster's API
 * processes, the way a user's client would: publish a graph, start runs,
 * decide approvals. Every call has a deadline, so a hung API shows as a
 * failure with its time, never as a stalled chaos run.
 */
import { randomUUID } from 'node:crypto';

export interface Answer {
  status: number;
  body: unknown;
  ms: number;
  contentType: string;
}

/** status 0: no answer at all (refused connection, reset, or the deadline passed). */
export async function call(
  url: string,
  options: { method?: string; key?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body:
        options.body === undefined
          ? undefined
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: kept as text.
    }
    return {
      status: res.status,
      body,
      ms: performance.now() - started,
      contentType: res.headers.get('content-type') ?? '',
    };
  } catch (error) {
    return { status: 0, body: String((error as Error).message), ms: performance.now() - started, contentType: '' };
  }
}

export class PlatformApi {
  private next = 0;
  constructor(
    private readonly urls: () => string[],
    readonly key: string,
  ) {}

  /** The APIs in turn, so load spreads over all of them. */
  url(): string {
    const urls = this.urls();
    return urls[this.next++ % urls.length]!;
  }

  async expect(path: string, init: Parameters<typeof call>[1], ...statuses: number[]): Promise<Answer> {
    const answer = await call(`${this.url()}${path}`, { key: this.key, ...init });
    if (!statuses.includes(answer.status))
      throw new Error(
        `${init?.method ?? 'GET'} ${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`,
      );
    return answer;
  }

  /** Creates and publishes a workflow; answers its id. */
  async publish(name: string, definition: unknown): Promise<string> {
    const created = await this.expect(
      '/api/workflows',
      { method: 'POST', body: { name: `${name} ${randomUUID().slice(0, 8)}`, definition } },
      201,
    );
    const id = (created.body as { id: string }).id;
    await this.expect(`/api/workflows/${id}/publish`, { method: 'POST' }, 201);
    return id;
  }

  /** Starts a run; answers its id (the Temporal workflow id). Retries a refused start (503, no answer). */
  async startRun(workflowId: string, input: unknown = {}): Promise<string> {
    // One key for every attempt: a start whose answer was lost is not started twice.
    const idempotencyKey = `start-${randomUUID()}`;
    for (let attempt = 0; ; attempt++) {
      const answer = await call(`${this.url()}/api/workflows/${workflowId}/runs`, {
        method: 'POST',
        key: this.key,
        body: { input },
        headers: { 'idempotency-key': idempotencyKey },
      });
      if (answer.status === 202) return (answer.body as { runId: string }).runId;
      if (attempt >= 20 || (answer.status !== 503 && answer.status !== 0))
        throw new Error(`starting a run answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Pending approvals of these runs (any page size up to 500). */
  async pendingApprovals(limit = 500): Promise<Array<{ id: string; instanceId: string }>> {
    const answer = await this.expect(`/api/approvals?status=pending&limit=${limit}`, {}, 200);
    return ((answer.body as { items: Array<{ id: string; runId?: string; instanceId?: string }> }).items ?? []).map(
      (a) => ({ id: a.id, instanceId: a.runId ?? a.instanceId ?? '' }),
    );
  }

  /** One decision; the Idempotency-Key makes a retry the same decision. */
  decide(approvalId: string, idempotencyKey: string, url = this.url()): Promise<Answer> {
    return call(`${url}/api/approvals/${approvalId}/decision`, {
      method: 'POST',
      key: this.key,
      body: { decision: 'approved' },
      headers: { 'idempotency-key': idempotencyKey },
    });
  }
}

const approvers = new Set<{ stop(): Promise<void> }>();

/**
 * Stops every approver still deciding: after a fault, even one that threw half-way,
 * none may decide the next fault's approvals.
 */
export async function stopAllApprovers(): Promise<void> {
  await Promise.all([...approvers].map((a) => a.stop()));
}

/**
 * Decides every pending approval it sees, again and again, until stopped: the
 * approver of the chaos runs. Refused decisions (a 503 while something is down)
 * are retried with the same key on the next pass.
 */
export function startApprover(
  api: PlatformApi,
  everyMs = 500,
): { stop(): Promise<void>; decided: () => number; refused: () => number } {
  let running = true;
  let decided = 0;
  let refused = 0;
  const seen = new Set<string>();
  const loop = (async () => {
    while (running) {
      try {
        const pending = await api.pendingApprovals();
        for (const approval of pending) {
          if (!running) break;
          const answer = await api.decide(approval.id, `chaos-${approval.id}`);
          if (answer.status === 200) {
            if (!seen.has(approval.id)) decided++;
            seen.add(approval.id);
          } else refused++;
        }
      } catch {
        refused++;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  const approver = {
    async stop() {
      running = false;
      approvers.delete(approver);
      await loop;
    },
    decided: () => decided,
    refused: () => refused,
  };
  approvers.add(approver);
  return approver;
}
