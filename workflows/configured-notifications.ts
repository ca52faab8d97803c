/**
 * What a run tells beyond its nodes: `configuration.notifications` (each entry listening for an event is sent once
 * per intent, through the same ledger as notification nodes; a failed send is recorded and never fails the run), and
 * the platform events `run.completed`, `run.failed` and `approval.expired` that other workflows may listen for.
 */
import { render } from '../interpreter/templates';
import { projection } from './projection-writer';
import type { RunGraphInput } from './types';
import { runWork } from './work-routing';

export interface PlatformEvent {
  name: string;
  payload: Record<string, unknown>;
  idempotencyKey: string;
}

export type NotifiedEvent = 'completed' | 'failed' | 'approval_requested' | 'error';

const CONFIGURED_RETRY = {
  maximumAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
};

export class RunNotices {
  constructor(
    private readonly args: RunGraphInput,
    private readonly runId: string,
    private readonly startedAt: string,
  ) {}

  /** Whether any configured notification listens for `event`. */
  listens(event: NotifiedEvent): boolean {
    return (this.args.definition.graph.configuration?.notifications ?? []).some((n) => n.on.includes(event));
  }

  /** Sends each configured notification listening for `event`; templates read `run`, `input` and `extra`. */
  async notify(event: NotifiedEvent, scope: string, extra: Record<string, unknown>): Promise<void> {
    const { args, runId } = this;
    const { definition } = args;
    const entries = definition.graph.configuration?.notifications ?? [];
    for (const [i, entry] of entries.entries()) {
      if (!entry.on.includes(event)) continue;
      const run = {
        id: runId,
        workflowId: definition.workflowId,
        workflowName: definition.name,
        version: definition.version,
        startedAt: this.startedAt,
        triggeredBy: args.triggeredBy,
      };
      const context = { run, input: args.input, ...extra };
      // render() keeps an object an object: the cast names what it returns for this one (the activity checks it).
      const config = render(
        { channel: entry.channel, recipients: entry.recipients, subject: entry.subject, message: entry.message },
        context,
      ) as Record<string, unknown>;
      await runWork(
        {
          kind: 'notification',
          nodeId: `configuration.notifications[${i}]`,
          nodeType: 'notification',
          stepKey: `config-${i}-${event}-${scope}`,
          idempotencyKey: `${runId}:config:${i}:${event}:${scope}`,
          config,
          retry: CONFIGURED_RETRY,
          timeoutMs: 60_000,
          label: `notify on ${event}`,
        },
        { tenantId: args.tenantId, runId },
      );
    }
  }

  /**
   * A platform event to emit; none from a run started by a platform event, so an error handler that fails cannot loop.
   */
  event(name: string, payload: Record<string, unknown>, key: string): PlatformEvent | undefined {
    const { trigger } = this.args;
    if (trigger.type === 'event' && /^(run|approval)\./.test(trigger.event ?? '')) return undefined;
    return { name, payload, idempotencyKey: key };
  }

  /** Emits a platform event now (see event()). */
  async emit(name: string, payload: Record<string, unknown>, key: string): Promise<void> {
    const event = this.event(name, payload, key);
    if (event) await projection.emitEvent({ tenantId: this.args.tenantId, ...event });
  }

  /** What an event about this run says of it. */
  get about(): { runId: string; workflowId: string; workflowName: string } {
    const { definition } = this.args;
    return { runId: this.runId, workflowId: definition.workflowId, workflowName: definition.name };
  }
}
