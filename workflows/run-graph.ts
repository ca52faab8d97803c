/**
 * `runGraph`: the one generic workflow. It hosts the interpreter and turns its
 * requests into Temporal commands: activities for work, local activities for
 * projection writes, durable timers for delays and expiries, an Update for
 * approval decisions, child workflows for subworkflows, search attributes for
 * the Web UI.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { parseDuration } from '../interpreter/durations';
import { render } from '../interpreter/templates';
import {
  type ApprovalRequest,
  type ApprovalResult,
  type ChildRequest,
  type EnginePort,
  type RunHandle,
  type RunOutcome,
  startRun,
  type WorkRequest,
  type WorkResult,
} from '../interpreter/engine';
import { type ApprovalView, DECISION_FAILURES, decideUpdate, type DecisionInput, pauseSignal, resumeSignal, type RunState, stateQuery, type Vote } from './messages';
import { pacing } from './pacing';
import { RunStatusKey, TenantKey, VersionKey, WaitingOnKey, WorkflowIdKey, WorkflowNameKey } from './search-attributes';
import type { Checkpoint, RunGraphInput, RunGraphResult } from './types';

const work = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

/** How many projection writes may be in flight while the run moves on. */
const MAX_WRITES_BEHIND = 4;

// Projection writes are short database statements: local activities keep them off the task queue round trip.
const projection = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

function describeFailure(error: unknown): { message: string; type?: string } {
  let cause: unknown = error;
  while ((cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { message: cause.message, ...(cause.type ? { type: cause.type } : {}) };
  if (cause instanceof Error) return { message: cause.message, type: cause.name };
  return { message: String(cause) };
}

type WorkActivity = 'httpRequest' | 'sendMessage';

/** Which activity does a node's work; undefined when there is none for it. */
function activityFor(request: WorkRequest): WorkActivity | undefined {
  const { kind, config } = request;
  if (kind === 'http') return 'httpRequest';
  const via = kind === 'notification' ? config.channel : config.provider;
  if (via === 'http' || via === 'webhook') return 'httpRequest';
  if (via === 'email' || via === 'slack') return 'sendMessage';
  return undefined;
}

async function runWork(request: WorkRequest, run: { tenantId: string; runId: string }): Promise<WorkResult> {
  const activity = activityFor(request);
  if (!activity) {
    const what = request.kind === 'notification' ? `channel "${String(request.config.channel)}"` : `provider "${String(request.config.provider)}"`;
    return { ok: false, error: { message: `node "${request.nodeId}": unknown ${what}`, type: 'NotAvailable' } };
  }
  const options = {
    startToCloseTimeout: request.timeoutMs,
    retry: {
      maximumAttempts: request.retry.maximumAttempts,
      initialInterval: request.retry.initialIntervalMs,
      backoffCoefficient: request.retry.backoffCoefficient,
      maximumInterval: request.retry.maximumIntervalMs,
    },
    // Shown in the Web UI beside the activity, so a person sees which node this is.
    summary: `${request.nodeId}: ${request.label}`,
    activityId: request.stepKey,
  };
  // A webhook notification posts its subject and message to each recipient URL (the first, for now), as JSON.
  const httpConfig =
    request.kind === 'notification' && request.config.channel === 'webhook'
      ? { method: 'POST', url: ([] as unknown[]).concat(request.config.recipients)[0], body: { subject: request.config.subject ?? null, message: request.config.message, runId: run.runId }, secretRef: request.config.secretRef }
      : { ...request.config, ...(request.config.provider === 'webhook' ? { method: request.config.method ?? 'POST' } : {}) };
  try {
    const result =
      activity === 'httpRequest'
        ? await work.httpRequest.executeWithOptions(options, [{ ...run, nodeId: request.nodeId, idempotencyKey: request.idempotencyKey, ...httpConfig }])
        : await work.sendMessage.executeWithOptions(options, [{ ...run, nodeId: request.nodeId, idempotencyKey: request.idempotencyKey, kind: request.kind === 'notification' ? 'notification' : 'integration', config: request.config }]);
    return { ok: true, output: result.output, attempt: result.attempt };
  } catch (error) {
    if (isCancellation(error)) throw error;
    if (!(error instanceof ActivityFailure)) throw error;
    const failure = describeFailure(error);
    // Calls that change something are in the ledger too (since 'http-ledger'): their intent is closed as failed.
    if (activity === 'sendMessage' || patched('http-ledger')) await projection.markMessageFailed({ tenantId: run.tenantId, idempotencyKey: request.idempotencyKey, error: failure.message });
    return { ok: false, error: failure };
  }
}

interface PendingApproval {
  approvalId: string;
  request: ApprovalRequest;
  votes: Vote[];
  result?: ApprovalResult;
  /** When it was asked (ms since epoch): reminders count from here. */
  requestedAt?: number;
  reminders?: number;
  escalated?: boolean;
}

const DECISION_ALIASES: Record<string, string> = { approve: 'approved', reject: 'rejected' };

export async function runGraph(args: RunGraphInput): Promise<RunGraphResult> {
  const info = workflowInfo();
  const runId = info.workflowId;
  const { tenantId, definition } = args;
  const carried = args.continued;
  const startedAt = carried?.startedAt ?? new Date(Date.now()).toISOString();
  let status: RunState['status'] = carried?.paused ? 'paused' : 'running';
  let handle: RunHandle | undefined;
  const pending = new Map<string, PendingApproval>();
  /** Approvals no longer pending, and how they closed: a late decision is told why it is refused. */
  const closed = new Map<string, 'decided' | 'expired'>(Object.entries(carried?.closedApprovals ?? {}));
  /** What this run knows from earlier runs and has done itself: carried on by continue-as-new. */
  const memo: Pick<Checkpoint, 'work' | 'approvals' | 'children' | 'timers'> = {
    work: { ...carried?.work },
    approvals: { ...carried?.approvals },
    children: { ...carried?.children },
    timers: { ...carried?.timers },
  };
  const recorded = new Set(carried?.recorded ?? []);
  // Approvals that were waiting when the earlier run continued as new: open again at once, so a decision arriving
  // before the graph is re-executed up to them is still accepted.
  const resumable = new Map<string, PendingApproval>();
  for (const [stepKey, p] of Object.entries(carried?.pendingApprovals ?? {})) {
    const approval: PendingApproval = { approvalId: p.approvalId, request: p.request, votes: p.votes, requestedAt: p.requestedAt, reminders: p.reminders, escalated: p.escalated };
    resumable.set(stepKey, approval);
    pending.set(approval.approvalId, approval);
  }
  /** Work and children in flight: continue-as-new waits for them; approvals and timers it carries. */
  let inFlight = 0;
  let draining = false;
  const historyLimit = args.historyLimit ?? 8000;
  // The history's length is only known at workflow task boundaries, and local activities add markers within one
  // long task; so count what this run adds (generously) and continue as new on whichever figure is larger.
  let eventsEstimate = 5;
  const EVENTS_PER_LOCAL_ACTIVITY = 1;
  const EVENTS_PER_ACTIVITY = 6;
  const EVENTS_PER_TIMER = 5;
  const historyIsLong = () => workflowInfo().continueAsNewSuggested || Math.max(workflowInfo().historyLength, eventsEstimate) > historyLimit;
  // A long stretch of work without a wait pauses a moment (pacing.ts): short workflow tasks, cancellation that lands.
  const pace = pacing(() => (eventsEstimate += EVENTS_PER_ACTIVITY));
  const counted = async <T>(fn: () => Promise<T>): Promise<T> => {
    eventsEstimate += EVENTS_PER_ACTIVITY;
    inFlight++;
    try {
      return await fn();
    } finally {
      inFlight--;
      pace.rested();
    }
  };

  /**
   * Since 'projection-write-behind', a step's record and an approval's closing are written while the run moves on
   * (so a decision starts the next node at once); the run's end and continue-as-new wait for them. The writes
   * finish even if the run is cancelled. Earlier runs waited for each write, and replay as they ran.
   */
  let behindPatched: boolean | undefined;
  /** Projection writes made by this run (this generation; workflow time orders generations). */
  let writes = 0;
  const writesBehind = new Set<Promise<void>>();
  const writeBehind = async (write: () => Promise<void>): Promise<void> => {
    behindPatched ??= patched('projection-write-behind');
    if (!behindPatched) return write();
    // A few writes behind, never more: a long stretch of quick nodes (a big loop) still waits for its rows, and so
    // yields, lets continue-as-new stop it in time, and keeps each workflow task small.
    while (writesBehind.size >= MAX_WRITES_BEHIND) await Promise.race(writesBehind);
    const writing: Promise<void> = CancellationScope.nonCancellable(write).finally(() => writesBehind.delete(writing));
    writing.catch(() => undefined);
    writesBehind.add(writing);
  };
  const writesDone = async () => {
    while (writesBehind.size) await Promise.all([...writesBehind]);
  };

  const updateWaitingOn = () => {
    const waiting = [...pending.values()].flatMap((p) => [`node:${p.request.nodeId}`, ...p.request.approverRoles.map((r) => `role:${r}`), ...p.request.approverUsers.map((u) => `user:${u}`)]);
    upsertSearchAttributes([{ key: WaitingOnKey, value: [...new Set(waiting)] }]);
  };
  const setStatus = async (next: 'running' | 'paused') => {
    status = next;
    upsertSearchAttributes([{ key: RunStatusKey, value: next }]);
    await projection.setRunStatus({ tenantId, runId, status: next });
  };

  setHandler(stateQuery, () => ({
    ...(handle?.snapshot() ?? { activeNodes: [], visits: {}, progress: 0, finished: false }),
    status,
    pendingApprovals: [...pending.values()].map((p) => ({
      approvalId: p.approvalId,
      nodeId: p.request.nodeId,
      approverRoles: p.request.approverRoles,
      approverUsers: p.request.approverUsers,
      votes: p.votes,
      expiresAt: p.request.expiresAt === null ? null : new Date(p.request.expiresAt).toISOString(),
    })),
  }));
  setHandler(pauseSignal, async () => {
    if (status === 'running') await setStatus('paused');
  });
  setHandler(resumeSignal, async () => {
    if (status === 'paused') await setStatus('running');
  });
  setHandler(
    decideUpdate,
    (input: DecisionInput): ApprovalView => {
      eventsEstimate += 3;
      const approval = pending.get(input.approvalId)!;
      const decision = DECISION_ALIASES[input.decision] ?? input.decision;
      approval.votes.push({ userId: input.actor.userId, email: input.actor.email, decision, comment: input.comment ?? null, at: new Date(Date.now()).toISOString() });
      const count = approval.votes.filter((v) => v.decision === decision).length;
      // A rejection decides at once; any other outcome when it reaches the quorum.
      if (decision === 'rejected' || count >= approval.request.quorum) {
        approval.result = { outcome: decision, decidedBy: input.actor.userId, comment: input.comment ?? null, votes: approval.votes };
        pending.delete(input.approvalId);
        closed.set(input.approvalId, 'decided');
      }
      return { approvalId: input.approvalId, nodeId: approval.request.nodeId, status: approval.result ? 'decided' : 'pending', outcome: approval.result?.outcome ?? null, votes: approval.votes };
    },
    {
      validator: (input: DecisionInput) => {
        const approval = pending.get(input.approvalId);
        if (!approval) {
          const how = closed.get(input.approvalId);
          if (how === 'expired') throw ApplicationFailure.nonRetryable('This approval expired before the decision arrived.', DECISION_FAILURES.expired);
          if (how === 'decided') throw ApplicationFailure.nonRetryable('This approval has already been decided.', DECISION_FAILURES.alreadyDecided);
          throw ApplicationFailure.nonRetryable('This run has no such approval waiting.', DECISION_FAILURES.unknown);
        }
        const { request } = approval;
        const decision = DECISION_ALIASES[input.decision] ?? input.decision;
        if (!request.outcomes.includes(decision)) {
          throw ApplicationFailure.nonRetryable(`"${input.decision}" is not an outcome of this approval; one of ${request.outcomes.join(', ')}.`, DECISION_FAILURES.badDecision);
        }
        const { actor } = input;
        const byRole = request.approverRoles.some((r) => actor.roles.includes(r));
        const byName = request.approverUsers.includes(actor.userId) || request.approverUsers.includes(actor.email);
        if (!byRole && !byName) throw ApplicationFailure.nonRetryable('You are not one of this approval\'s approvers.', DECISION_FAILURES.notAllowed);
        if (!request.allowSelfApproval && args.triggeredBy && actor.userId === args.triggeredBy) {
          throw ApplicationFailure.nonRetryable('The requester of a run may not decide its approvals.', DECISION_FAILURES.notAllowed);
        }
        if (approval.votes.some((v) => v.userId === actor.userId)) throw ApplicationFailure.nonRetryable('You have already voted on this approval.', DECISION_FAILURES.alreadyVoted);
      },
    },
  );

  if (!carried) await projection.recordRunStarted({
    tenantId,
    runId,
    workflowId: definition.workflowId,
    versionId: definition.versionId,
    version: definition.version,
    input: args.input,
    triggeredBy: args.triggeredBy,
    triggerSource: args.trigger.type,
    priority: args.priority,
    startedAt,
  });
  if (!carried) upsertSearchAttributes([{ key: RunStatusKey, value: 'running' }]);

  /** Asks approvers (or, for a reminder, those who have not voted) by email and Slack; never fails the approval. */
  const notifyApprovers = async (approval: PendingApproval, kind: 'request' | 'reminder' | 'escalation', roles: string[]) => {
    const { request } = approval;
    if (request.notify.channels.length === 0) return;
    const exclude = [...approval.votes.map((v) => v.userId), ...(!request.allowSelfApproval && args.triggeredBy ? [args.triggeredBy] : [])];
    try {
      await counted(() =>
        work.notifyApprovers.executeWithOptions(
          { startToCloseTimeout: '2 minutes', heartbeatTimeout: '15 seconds', retry: { maximumAttempts: 3 }, summary: `${request.nodeId}: ${kind}` },
          [{
            tenantId, runId, approvalId: approval.approvalId, stepKey: request.stepKey, nodeId: request.nodeId, workflowName: definition.name,
            kind, round: kind === 'reminder' ? (approval.reminders ?? 0) : 0,
            roles, users: kind === 'escalation' ? [] : request.approverUsers, excludeUserIds: exclude,
            channels: request.notify.channels, slackChannel: request.notify.slackChannel, message: request.message, outcomes: request.outcomes,
          }],
        ),
      );
    } catch (error) {
      if (isCancellation(error)) throw error;
      // The approval still waits and can be decided in the inbox; the failure shows on the activity in the Web UI.
    }
  };

  /**
   * `configuration.notifications`: each entry listening for `event` is sent once per intent (the key names run,
   * entry, event and step) through the same ledger as notification nodes. Templates read `run`, `input`,
   * `status`, `output`, `error` and `node`. A failed send is recorded, never fails the run.
   */
  const listens = (event: string) => (definition.graph.configuration?.notifications ?? []).some((n) => n.on.includes(event as never));
  const notifyConfigured = async (event: 'completed' | 'failed' | 'approval_requested' | 'error', scope: string, extra: Record<string, unknown>) => {
    const entries = definition.graph.configuration?.notifications ?? [];
    for (const [i, entry] of entries.entries()) {
      if (!entry.on.includes(event)) continue;
      const context = { run: { id: runId, workflowId: definition.workflowId, workflowName: definition.name, version: definition.version, startedAt, triggeredBy: args.triggeredBy }, input: args.input, ...extra };
      const config = render({ channel: entry.channel, recipients: entry.recipients, subject: entry.subject, message: entry.message }, context) as Record<string, unknown>;
      await runWork(
        { kind: 'notification', nodeId: `configuration.notifications[${i}]`, nodeType: 'notification', stepKey: `config-${i}-${event}-${scope}`, idempotencyKey: `${runId}:config:${i}:${event}:${scope}`, config, retry: { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 30_000 }, timeoutMs: 60_000, label: `notify on ${event}` },
        { tenantId, runId },
      );
    }
  };

  /** Platform events; a run started by a platform event emits none, so an error handler that fails cannot loop. */
  const emit = async (name: string, payload: Record<string, unknown>, key: string) => {
    if (args.trigger.type === 'event' && /^(run|approval)\./.test(args.trigger.event ?? '')) return;
    await projection.emitEvent({ tenantId, name, payload, idempotencyKey: key });
  };

  const port: EnginePort = {
    now: () => Date.now(),
    async runWork(request) {
      const known = memo.work[request.stepKey];
      if (known) return known;
      const result = await counted(() => runWork(request, { tenantId, runId }));
      memo.work[request.stepKey] = result;
      if (!result.ok && listens('error')) await notifyConfigured('error', request.stepKey, { node: { id: request.nodeId, label: request.label }, error: result.error });
      return result;
    },
    async recordStep(step, progress) {
      if (recorded.has(step.stepKey)) return;
      eventsEstimate += EVENTS_PER_LOCAL_ACTIVITY;
      const stamp = { at: Date.now(), count: ++writes };
      pace.wrote();
      await writeBehind(() => projection.recordStep({ tenantId, runId, step, progress, stamp }));
      if (step.status === 'completed' || step.status === 'failed') recorded.add(step.stepKey);
    },
    async sleep(ms, summary, stepKey) {
      const deadline = memo.timers[stepKey] ?? Date.now() + ms;
      if (deadline === 0) return;
      memo.timers[stepKey] = deadline;
      const left = deadline - Date.now();
      eventsEstimate += EVENTS_PER_TIMER;
      if (left > 0) {
        await sleep(left, { summary });
        pace.rested();
      }
      memo.timers[stepKey] = 0;
    },
    // The same promise as before 'pace-long-stretches' unless a pause is due: runs in flight replay unchanged.
    whenRunning: () => (status === 'paused' || draining ? condition(() => status !== 'paused' && !draining) : (pace.beforeNode() ?? Promise.resolve())),
    async awaitApproval(request: ApprovalRequest): Promise<ApprovalResult> {
      const known = memo.approvals[request.stepKey];
      if (known) return known;
      const resumed = resumable.get(request.stepKey);
      resumable.delete(request.stepKey);
      // A resumed approval keeps its id, votes and deadline from the run that asked for it.
      const approval: PendingApproval = resumed ?? { approvalId: uuid4(), request, votes: [], requestedAt: Date.now(), reminders: 0, escalated: false };
      request = approval.request;
      if (!resumed) pending.set(approval.approvalId, approval);
      eventsEstimate += EVENTS_PER_TIMER + 2 * EVENTS_PER_LOCAL_ACTIVITY;
      // Runs before approvers were notified, reminded and escalated to replay as they ran.
      const notifying = patched('approval-notify');
      // Since 'approval-ask-in-background', approvers are asked while the approval already waits: a slow or crashed
      // send holds up neither the decision nor the timers. Earlier runs waited for each ask, and replay as they ran.
      const inBackground = notifying && patched('approval-ask-in-background');
      const ask = async (kind: 'request' | 'reminder' | 'escalation', roles: string[]) => {
        if (!inBackground) return notifyApprovers(approval, kind, roles);
        // notifyApprovers never fails the approval; a cancellation of the run ends the ask with it.
        void notifyApprovers(approval, kind, roles).catch(() => undefined);
      };
      if (!resumed) {
        await projection.recordApprovalRequested({ tenantId, runId, approvalId: approval.approvalId, stepKey: request.stepKey, request });
        if (notifying) await ask('request', request.approverRoles);
        if (listens('approval_requested')) await notifyConfigured('approval_requested', request.stepKey, { node: { id: request.nodeId, label: request.label }, approval: { id: approval.approvalId, message: request.message, approverRoles: request.approverRoles } });
      }
      updateWaitingOn();
      const decided = () => approval.result !== undefined;
      for (;;) {
        const nextReminder = notifying && request.reminderEveryMs ? (approval.requestedAt ?? Date.now()) + ((approval.reminders ?? 0) + 1) * request.reminderEveryMs : null;
        const escalateAt = notifying && request.escalation && !approval.escalated ? request.escalation.at : null;
        const deadlines = [request.expiresAt, nextReminder, escalateAt].filter((d): d is number => d !== null);
        if (deadlines.length === 0) {
          await condition(decided);
          break;
        }
        const next = Math.min(...deadlines);
        const summary = next === request.expiresAt ? `${request.nodeId}: expires` : next === escalateAt ? `${request.nodeId}: escalates` : `${request.nodeId}: reminds`;
        if (await condition(decided, Math.max(1, next - Date.now()), { summary })) break;
        const now = Date.now();
        if (request.expiresAt !== null && now >= request.expiresAt) break;
        // Those the escalation has just told are not reminded in the same instant.
        const remind = request.approverRoles;
        if (escalateAt !== null && now >= escalateAt && request.escalation) {
          approval.escalated = true;
          request.approverRoles = [...new Set([...request.approverRoles, ...request.escalation.toRoles])];
          await projection.recordApprovalEscalated({ tenantId, approvalId: approval.approvalId, approverRoles: request.approverRoles });
          updateWaitingOn();
          await ask('escalation', request.escalation.toRoles);
        }
        if (nextReminder !== null && now >= nextReminder) {
          approval.reminders = (approval.reminders ?? 0) + 1;
          await ask('reminder', remind);
        }
      }
      let expired = false;
      if (!approval.result) {
        // Closed here, synchronously, so a decision arriving in the same instant is refused as expired: one outcome only.
        approval.result = { outcome: 'expired', decidedBy: null, comment: null, votes: approval.votes };
        pending.delete(approval.approvalId);
        closed.set(approval.approvalId, 'expired');
        expired = true;
      }
      updateWaitingOn();
      if (expired && patched('platform-events')) {
        await emit('approval.expired', { runId, workflowId: definition.workflowId, workflowName: definition.name, approvalId: approval.approvalId, nodeId: request.nodeId }, `${runId}:${approval.approvalId}`);
      }
      const closedAt = new Date(Date.now()).toISOString();
      await writeBehind(() => projection.recordApprovalClosed({ tenantId, approvalId: approval.approvalId, result: approval.result!, closedAt }));
      memo.approvals[request.stepKey] = approval.result;
      return approval.result;
    },
    async runChild(request: ChildRequest): Promise<WorkResult> {
      const known = memo.children[request.stepKey];
      if (known) return known;
      const result = await counted(() => runChild(request));
      memo.children[request.stepKey] = result;
      return result;
    },
  };

  async function runChild(request: ChildRequest): Promise<WorkResult> {
    try {
      const child = await work.resolveDefinition.executeWithOptions(
        { startToCloseTimeout: '30 seconds', summary: `${request.nodeId}: resolve workflow ${request.workflowId}` },
        [{ tenantId, workflowId: request.workflowId, version: request.version }],
      );
      const childId = `${runId}~${request.stepKey}`;
      const started = await startChild<typeof runGraph>('runGraph', {
        workflowId: childId,
        args: [{ tenantId, definition: child, input: request.input, trigger: { type: 'manual' }, triggeredBy: args.triggeredBy, priority: args.priority, ...(args.historyLimit ? { historyLimit: args.historyLimit } : {}) }],
        parentClosePolicy: request.wait ? ParentClosePolicy.TERMINATE : ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: WorkflowNameKey, value: child.name },
          { key: WorkflowIdKey, value: child.workflowId },
          { key: VersionKey, value: child.version },
          { key: RunStatusKey, value: 'pending' },
          { key: TenantKey, value: tenantId },
        ],
        staticSummary: `${child.name} v${child.version} (from ${request.nodeId})`,
      });
      if (!request.wait) return { ok: true, output: { runId: childId, version: child.version, waited: false } };
      const result = await started.result();
      if (result.status !== 'completed') return { ok: false, error: { message: `subworkflow run ${childId} ended ${result.status}`, type: 'SubworkflowEnded' } };
      return { ok: true, output: result.output };
    } catch (error) {
      if (isCancellation(error)) throw error;
      if (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) return { ok: false, error: describeFailure(error) };
      throw error;
    }
  }

  const runScope = new CancellationScope();
  const timeoutMs = parseDuration(definition.graph.configuration?.timeout);
  let outcome: RunOutcome | 'continue';
  try {
    outcome = await runScope.run(async () => {
      handle = startRun(
        {
          definition: definition.graph,
          input: args.input,
          trigger: args.trigger,
          ...(args.variables ? { variables: args.variables } : {}),
          run: { id: runId, workflowId: definition.workflowId, workflowName: definition.name, version: definition.version, startedAt, triggeredBy: args.triggeredBy, priority: args.priority },
        },
        port,
      );
      const racers: Array<Promise<RunOutcome | 'timeout' | 'continue'>> = [handle.outcome];
      if (timeoutMs !== undefined) {
        const deadline = Date.parse(startedAt) + timeoutMs;
        racers.push(sleep(Math.max(1, deadline - Date.now()), { summary: 'run timeout' }).then(() => 'timeout' as const));
      }
      // Long runs: once the history is long, stop starting nodes, let work in flight finish, and continue as new.
      racers.push(
        condition(historyIsLong).then(async () => {
          draining = true;
          await condition(() => inFlight === 0 && allHandlersFinished());
          return 'continue' as const;
        }),
      );
      // The losers are cancelled with the run scope; nobody waits on them then.
      for (const racer of racers.slice(1)) racer.catch(() => undefined);
      const first = await Promise.race(racers);
      if (first === 'continue') return first;
      if (first !== 'timeout') return first;
      return { status: 'failed', output: null, error: { message: `the run exceeded its timeout of ${definition.graph.configuration?.timeout}`, type: 'RunTimeout' }, visits: handle.snapshot().visits } as RunOutcome;
    });
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled from outside: record it, then let Temporal close the run as cancelled.
    await CancellationScope.nonCancellable(async () => {
      status = 'cancelled';
      pending.clear();
      // A pause completing beside the run's end would make Temporal refuse that workflow task (and replay it all).
      // Runs that never paused wait for nothing, not even a tick: they replay as they ran.
      const pause = pace.running();
      if (pause) await pause;
      await writesDone();
      await projection.recordRunFinished({ tenantId, runId, status: 'cancelled', output: null, error: { message: 'the run was cancelled' }, completedAt: new Date(Date.now()).toISOString() });
      upsertSearchAttributes([{ key: RunStatusKey, value: 'cancelled' }, { key: WaitingOnKey, value: [] }]);
    });
    throw error;
  }
  // Whatever is still in flight (other branches after an end, the timeout timer) stops here.
  runScope.cancel();

  await writesDone();
  if (outcome === 'continue') {
    const checkpoint: Checkpoint = {
      startedAt,
      generation: (carried?.generation ?? 0) + 1,
      paused: status === 'paused',
      ...memo,
      pendingApprovals: Object.fromEntries([...pending.values()].map((p) => [p.request.stepKey, { approvalId: p.approvalId, request: p.request, votes: p.votes, requestedAt: p.requestedAt, reminders: p.reminders, escalated: p.escalated }])),
      closedApprovals: Object.fromEntries(closed),
      recorded: [...recorded],
    };
    return continueAsNew<typeof runGraph>({ ...args, continued: checkpoint });
  }

  status = outcome.status;
  await projection.recordRunFinished({ tenantId, runId, status: outcome.status, output: outcome.output, error: outcome.error, completedAt: new Date(Date.now()).toISOString() });
  if ((outcome.status === 'completed' || outcome.status === 'failed') && listens(outcome.status)) await notifyConfigured(outcome.status, 'run', { status: outcome.status, output: outcome.output, error: outcome.error });
  // Runs before this change emitted no events: patched() keeps their histories replaying.
  if ((outcome.status === 'completed' || outcome.status === 'failed') && patched('platform-events')) {
    await emit(`run.${outcome.status}`, { runId, workflowId: definition.workflowId, workflowName: definition.name, version: definition.version, status: outcome.status, output: outcome.output, error: outcome.error }, runId);
  }
  upsertSearchAttributes([{ key: RunStatusKey, value: outcome.status }, ...(pending.size ? [{ key: WaitingOnKey, value: [] as string[] }] : [])]);
  if (outcome.status === 'failed') {
    // Non-retryable: the definition or its data made the run fail; retrying the workflow would fail the same way.
    throw ApplicationFailure.nonRetryable(outcome.error?.message ?? 'the run failed', 'RunFailed', outcome.error);
  }
  return { status: outcome.status, output: outcome.output, error: outcome.error };
}
