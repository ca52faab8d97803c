/**
 * The engine's port for a simulation: nothing leaves it. Work answers from the script (or a default), approvals are
 * decided by the script on the simulated clock, with the reminders, escalations and expiries approval-rules.ts decides
 * for a real run, and every step is written to the simulation's path instead of the database.
 */
import { dueAt, escalatedRoles, expiredResult, type OpenApproval, planWait } from '../interpreter/approval-rules';
import type {
  ApprovalRequest,
  ApprovalResult,
  ChildRequest,
  EnginePort,
  NodeError,
  RetryPolicy,
  StepRecord,
  WorkRequest,
  WorkResult,
} from '../interpreter/engine';
import { formData } from '../interpreter/forms';
import type { SimulatedClock } from './clock';
import { type Answer, answerChild, answerWork, decisionFor, formDataFor, type SimulationScript } from './script';

/** How a step's answer came about: from the script, a default, or the simulated clock. */
export type AnswerSource = 'scripted' | 'default' | 'expired';

export interface PathEntry {
  seq: number;
  nodeId: string;
  nodeType: string;
  label: string | null;
  visit: number;
  stepKey: string;
  /** Simulated time the node was entered (ISO 8601), and how long after the run started. */
  at: string;
  elapsedMs: number;
  completedAt: string | null;
  status: StepRecord['status'];
  handle: string | null;
  output: unknown;
  error: NodeError | null;
  attempt: number;
  answer?: AnswerSource;
}

export type EventKind = 'asked' | 'reminded' | 'dueSoon' | 'escalated' | 'decided' | 'expired';

export interface SimulationEvent {
  kind: EventKind;
  nodeId: string;
  stepKey: string;
  at: string;
  elapsedMs: number;
  /** Escalations: the approver roles after it; decisions: the outcome. */
  approverRoles?: string[];
  outcome?: string;
}

export interface SimulatedWait {
  kind: 'approval';
  nodeId: string;
  stepKey: string;
  label: string;
  since: string;
  elapsedMs: number;
  approverRoles: string[];
  approverUsers: string[];
  outcomes: string[];
}

/** Thrown from inside the walk when a simulation goes past one of its limits; the engine hands it back as a crash. */
export class SimulationLimit extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationLimit';
  }
}

export interface PortLimits {
  /** Wall-clock deadline (ms since epoch, real time). */
  deadline: number;
  maxSteps: number;
}

/** Yield to the event loop every so many steps, so a long simulation never holds up the process's other requests. */
const YIELD_EVERY = 256;

export class SimulatedPort implements EnginePort {
  readonly waits: SimulatedWait[] = [];
  readonly events: SimulationEvent[] = [];
  private readonly entries = new Map<string, PathEntry>();
  private readonly answers = new Map<string, AnswerSource>();
  private readonly asks = new Map<string, number>();
  private records = 0;
  /** Yields under way: while one is, the run is not idle even if no timer is due. */
  yielding = 0;

  constructor(
    private readonly clock: SimulatedClock,
    private readonly script: SimulationScript,
    private readonly startedAt: number,
    private readonly limits: PortLimits,
  ) {}

  path(): PathEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }

  now(): number {
    return this.clock.now();
  }

  async whenRunning(): Promise<void> {}

  async sleep(ms: number): Promise<void> {
    await this.clock.sleep(ms);
  }

  async runWork(request: WorkRequest): Promise<WorkResult> {
    return this.settle(request.stepKey, request.retry, answerWork(this.script, request));
  }

  async runChild(request: ChildRequest): Promise<WorkResult> {
    // A child run is started once: a failure is its run's, not retried by the parent.
    return this.settle(request.stepKey, null, answerChild(this.script, request));
  }

  recordStep(step: StepRecord): Promise<void> {
    this.records++;
    if (this.records > this.limits.maxSteps)
      return Promise.reject(
        new SimulationLimit(`the simulation took more than ${this.limits.maxSteps} steps; is a cycle endless?`),
      );
    if (Date.now() > this.limits.deadline)
      return Promise.reject(
        new SimulationLimit('the simulation ran out of time; is a cycle or a loop larger than it should be?'),
      );
    this.write(step);
    if (this.records % YIELD_EVERY !== 0) return Promise.resolve();
    this.yielding++;
    return new Promise((resume) =>
      setImmediate(() => {
        this.yielding--;
        resume();
      }),
    );
  }

  /** Decides an approval as the script says, passing its reminders, escalation and expiry on the simulated clock. */
  async awaitApproval(asked: ApprovalRequest): Promise<ApprovalResult> {
    const visit = this.nextAsk(asked.nodeId);
    const request: ApprovalRequest = { ...asked, approverRoles: [...asked.approverRoles] };
    const open: OpenApproval = {
      approvalId: `simulated:${request.stepKey}`,
      request,
      votes: [],
      requestedAt: this.clock.now(),
      reminders: 0,
      escalated: false,
    };
    this.event('asked', request);
    const decision = decisionFor(this.script, request.nodeId, visit);
    const decideAt = decision ? this.clock.now() + decision.afterMs : null;
    for (;;) {
      const plan = planWait(open, true, this.clock.now(), typeof request.dueAt === 'number');
      // A decision wins over anything due at the same moment, but not over the expiry.
      if (decideAt !== null && (plan.next === null || decideAt <= plan.next)) {
        if (plan.expiresAt === null || decideAt < plan.expiresAt) {
          // A decision due now needs no timer, nor the turn of the event loop one would cost.
          if (decideAt > this.clock.now()) await this.clock.until(decideAt);
          return this.decide(open, decision!, visit);
        }
      }
      if (plan.next === null) return this.waitForever(request);
      await this.clock.until(plan.next);
      const due = dueAt(plan, this.clock.now());
      if (due.expired) {
        this.event('expired', request, { outcome: 'expired' });
        this.answers.set(request.stepKey, 'expired');
        return expiredResult(open);
      }
      if (due.escalate) {
        open.escalated = true;
        request.approverRoles = escalatedRoles(request);
        this.event('escalated', request, { approverRoles: request.approverRoles });
      }
      if (due.remind) {
        open.reminders = (open.reminders ?? 0) + 1;
        this.event('reminded', request);
      } else if (due.remindDue) this.event('dueSoon', request);
      // As a run does: approvers are told of the due date once, even when a reminder went out in the same instant.
      if (due.remindDue) open.dueReminded = true;
    }
  }

  private decide(open: OpenApproval, decision: { outcome: string; comment: string | null }, visit: number) {
    const { request } = open;
    // Recorded as a real decision's data is: only the fields given.
    const data = formData(formDataFor(this.script, request.nodeId, visit));
    const vote = {
      userId: 'simulation',
      email: '',
      decision: decision.outcome,
      comment: decision.comment,
      at: new Date(this.clock.now()).toISOString(),
      ...(data ? { data } : {}),
    };
    this.event('decided', request, { outcome: decision.outcome });
    this.answers.set(request.stepKey, 'scripted');
    const result: ApprovalResult = {
      outcome: decision.outcome,
      decidedBy: 'simulation',
      comment: decision.comment,
      votes: [vote],
      ...(data ? { data } : {}),
    };
    return result;
  }

  /** Nobody decides and nothing expires it: the run would wait here; the simulation reports it and stops. */
  private waitForever(request: ApprovalRequest): Promise<never> {
    this.waits.push({
      kind: 'approval',
      nodeId: request.nodeId,
      stepKey: request.stepKey,
      label: request.label,
      since: new Date(this.clock.now()).toISOString(),
      elapsedMs: this.clock.now() - this.startedAt,
      approverRoles: request.approverRoles,
      approverUsers: request.approverUsers,
      outcomes: request.outcomes,
    });
    return new Promise<never>(() => undefined);
  }

  /** A scripted failure takes all the attempts its retry allows, and the backoff between them, in simulated time. */
  private async settle(stepKey: string, retry: RetryPolicy | null, answer: Answer): Promise<WorkResult> {
    if (answer.ok) {
      this.answers.set(stepKey, answer.scripted ? 'scripted' : 'default');
      return { ok: true, output: answer.output, attempt: 1 };
    }
    this.answers.set(stepKey, 'scripted');
    const attempts = retry?.maximumAttempts ?? 1;
    const backoff = retry ? backoffMs(retry) : 0;
    if (backoff > 0) await this.clock.sleep(backoff);
    return { ok: false, error: answer.error, attempt: attempts };
  }

  private nextAsk(nodeId: string): number {
    const n = (this.asks.get(nodeId) ?? 0) + 1;
    this.asks.set(nodeId, n);
    return n;
  }

  private when() {
    return { at: new Date(this.clock.now()).toISOString(), elapsedMs: this.clock.now() - this.startedAt };
  }

  private event(kind: EventKind, request: ApprovalRequest, extra: Partial<SimulationEvent> = {}): void {
    this.events.push({ kind, nodeId: request.nodeId, stepKey: request.stepKey, ...this.when(), ...extra });
  }

  private write(step: StepRecord): void {
    const existing = this.entries.get(step.stepKey);
    const entry: PathEntry = existing ?? {
      seq: step.seq,
      nodeId: step.nodeId,
      nodeType: step.nodeType,
      label: step.label,
      visit: step.visit,
      stepKey: step.stepKey,
      at: new Date(step.startedAt).toISOString(),
      elapsedMs: step.startedAt - this.startedAt,
      completedAt: null,
      status: step.status,
      handle: null,
      output: null,
      error: null,
      attempt: 1,
    };
    entry.status = step.status;
    if (step.completedAt !== null) {
      entry.completedAt = new Date(step.completedAt).toISOString();
      entry.handle = step.handle;
      entry.output = step.output;
      entry.error = step.error;
      entry.attempt = step.attempt;
      const answer = this.answers.get(step.stepKey);
      if (answer) entry.answer = answer;
    }
    this.entries.set(step.stepKey, entry);
  }
}

/** The time between the first attempt and the last, as Temporal's retry policy spaces them. */
export function backoffMs(retry: RetryPolicy): number {
  let total = 0;
  let interval = retry.initialIntervalMs;
  for (let attempt = 1; attempt < retry.maximumAttempts; attempt++) {
    total += Math.min(interval, retry.maximumIntervalMs);
    interval *= retry.backoffCoefficient;
  }
  return total;
}
