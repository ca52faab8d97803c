/**
 * An in-memory EnginePort for tests of the interpreter alone: work answers
 * as told, time is a counter, sleeps return at once, approvals are decided by
 * a function, children by another.
 */
import type {
  ApprovalRequest,
  ApprovalResult,
  ChildRequest,
  EnginePort,
  StepRecord,
  WorkRequest,
  WorkResult,
} from './port';

export interface FakePortOptions {
  work?: (request: WorkRequest) => WorkResult | Promise<WorkResult>;
  approve?: (request: ApprovalRequest) => ApprovalResult | Promise<ApprovalResult>;
  child?: (request: ChildRequest) => WorkResult | Promise<WorkResult>;
}

export function fakePort(options: FakePortOptions = {}) {
  let clock = 1_000;
  const steps: StepRecord[] = [];
  const requests: WorkRequest[] = [];
  const sleeps: number[] = [];
  const approvals: ApprovalRequest[] = [];
  const children: ChildRequest[] = [];
  const port: EnginePort = {
    now: () => (clock += 5),
    runWork: async (request) => {
      requests.push(request);
      return options.work ? options.work(request) : { ok: true, output: { status: 200 } };
    },
    recordStep: async (step) => {
      steps.push(step);
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    awaitApproval: async (request) => {
      approvals.push(request);
      return options.approve
        ? options.approve(request)
        : { outcome: request.outcomes[0] ?? 'approved', decidedBy: 'u1', comment: null, votes: [] };
    },
    runChild: async (request) => {
      children.push(request);
      return options.child ? options.child(request) : { ok: true, output: { child: request.workflowId } };
    },
    whenRunning: async () => {},
  };
  return { port, steps, requests, sleeps, approvals, children };
}
