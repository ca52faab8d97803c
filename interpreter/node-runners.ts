/**
 * What each node type does when a run enters it: decide a branch, wait, ask
 * for a decision, or hand work to the port. Each runner reads its node's
 * typed data (node-model.ts) and answers with the handle it leaves by.
 */
import { evaluateCondition } from './conditions';
import { RunFailure } from './failures';
import type { TypedGraph } from './graph';
import { DEFAULT_WORK_TIMEOUT_MS, retryFor } from './limits';
import { describeNode } from './node-handles';
import type { ActionNode, NodeOf, TypedNode } from './node-model';
import type { ApprovalRequest, ChildRequest, EnginePort, NodeError, RunContext, RunStart, WorkRequest } from './port';
import type { Scope } from './loops';
import { render, renderRecord, renderString, toText } from './templates';

/** One execution of a node. */
export interface NodeExecution<N extends TypedNode = TypedNode> {
  node: N;
  visit: number;
  /** `<scope><nodeId>:<visit>`: names this execution within the run. */
  stepKey: string;
  startedAt: number;
  scope: Scope | null;
  /** What its templates and conditions read. */
  context: RunContext;
}

export interface NodeResult {
  handle: string | null;
  output: unknown;
  error?: NodeError;
  input?: unknown;
  attempt?: number;
}

/** Records a step as begun: running, or waiting for a decision. */
export type RecordBegun = (
  execution: NodeExecution,
  status: 'running' | 'waiting_approval',
  input: unknown,
) => Promise<void>;

/** What node runners ask of the run walking them. */
export interface RunnerHost {
  readonly port: EnginePort;
  readonly start: RunStart;
  readonly graph: TypedGraph;
  readonly recordBegun: RecordBegun;
  /** A `set` node: the variables change for the whole run. */
  setVariables(vars: Record<string, unknown>): void;
  /** An end node: its output is the run's; a status other than completed ends the run at once. */
  reachEnd(node: NodeOf<'end'>, output: unknown): void;
  runLoop(execution: NodeExecution<NodeOf<'loop'>>): Promise<NodeResult>;
}

/**
 * Runs a node. The promise each case returns resolves on exactly the same turn of the event loop as it always
 * has: concurrent branches of a run interleave their port calls by those turns, and a replayed history expects
 * the same order. So runners that always took a detour through an async wrapper keep it (`adopt`), and those
 * that ran inline return their own promise.
 */
export function runNode(execution: NodeExecution, host: RunnerHost): Promise<NodeResult> {
  const { node, context } = execution;
  switch (node.type) {
    case 'trigger':
      return settled(() => ({ handle: null, output: host.start.trigger.body ?? host.start.input }));
    case 'condition': {
      const { condition } = node.data;
      if (condition === undefined) return settled(() => ({ handle: null, output: null }));
      return settled(() => {
        const holds = evaluateCondition(condition, context);
        return { handle: holds ? 'true' : 'false', output: holds };
      });
    }
    case 'join':
      return settled(() => ({ handle: null, output: null }));
    case 'end':
      return settled(() => {
        const output = node.data.output === undefined ? null : render(node.data.output, context);
        host.reachEnd(node, output);
        return { handle: null, output };
      });
    case 'action':
      return adopt(runAction({ ...execution, node }, host));
    case 'integration':
    case 'notification': {
      // The rest of the data is the provider's or channel's config, checked by its schema (integrations.ts).
      const { retry: _r, timeout: _t, label: _l, ...config } = node.data;
      return adopt(runWork({ ...execution, node }, node.type, renderRecord(config, context), host));
    }
    case 'delay':
      return runDelay({ ...execution, node }, host);
    case 'approval':
      return runApproval({ ...execution, node }, host);
    case 'subworkflow':
      return runSubworkflow({ ...execution, node }, host);
    case 'loop':
      return adopt(host.runLoop({ ...execution, node }));
  }
}

/** A result worked out at once, as an async function would hand it back (a throw becomes a rejection). */
function settled(work: () => NodeResult): Promise<NodeResult> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Returns `promise` from an async function: two turns later than the promise itself (see runNode). */
async function adopt(promise: Promise<NodeResult>): Promise<NodeResult> {
  return promise;
}

async function runAction(execution: NodeExecution<ActionNode>, host: RunnerHost): Promise<NodeResult> {
  const { node, context } = execution;
  const data = node.data;
  switch (data.action) {
    case 'set': {
      const vars = renderRecord(data.vars, context);
      host.setVariables(vars);
      return { handle: null, output: vars };
    }
    case 'log': {
      const message =
        typeof data.message === 'string'
          ? toText(renderString(data.message, context))
          : render(data.message ?? null, context);
      return { handle: null, output: { message } };
    }
    case 'http': {
      const request = {
        method: data.method,
        url: data.url,
        headers: data.headers,
        body: data.body,
        expectStatus: data.expectStatus,
      };
      return runWork({ ...execution, node }, 'http', renderRecord(request, context), host);
    }
  }
}

type WorkNode = NodeOf<'action' | 'integration' | 'notification'>;

async function runWork(
  execution: NodeExecution<WorkNode>,
  kind: WorkRequest['kind'],
  config: Record<string, unknown>,
  host: RunnerHost,
): Promise<NodeResult> {
  const { node, stepKey } = execution;
  await host.recordBegun(execution, 'running', config);
  const result = await host.port.runWork({
    kind,
    nodeId: node.id,
    nodeType: node.type,
    stepKey,
    idempotencyKey: `${host.start.run.id}:${stepKey}`,
    config,
    retry: retryFor(host.graph.retry, node.data.retry),
    timeoutMs: node.data.timeout ?? DEFAULT_WORK_TIMEOUT_MS,
    label: node.data.label ?? node.id,
  });
  // The attempts it took are the step's, whether it succeeded or not.
  if (result.ok) return { handle: null, output: result.output, input: config, attempt: result.attempt };
  return { handle: 'error', output: null, error: result.error, input: config, attempt: result.attempt };
}

async function runDelay(execution: NodeExecution<NodeOf<'delay'>>, host: RunnerHost): Promise<NodeResult> {
  const { node, context, stepKey } = execution;
  let ms: number;
  if (node.data.duration !== undefined) {
    ms = node.data.duration;
  } else {
    const until = renderString(node.data.until ?? '', context);
    // A template may render to a number (ms since epoch) or to text.
    const at = typeof until === 'number' ? until : Date.parse(toText(until));
    if (!Number.isFinite(at))
      throw new RunFailure(`node ${describeNode(node)}: until "${toText(until)}" is not a timestamp`, node.id);
    ms = Math.max(0, at - host.port.now());
  }
  await host.recordBegun(execution, 'running', { ms });
  if (ms > 0) await host.port.sleep(ms, `${node.id}: ${node.data.label ?? node.id}`, stepKey);
  return { handle: null, output: { waitedMs: ms }, input: { ms } };
}

async function runApproval(execution: NodeExecution<NodeOf<'approval'>>, host: RunnerHost): Promise<NodeResult> {
  const { node, context, stepKey } = execution;
  const data = node.data;
  const expiresAt = data.expiresIn === undefined ? null : host.port.now() + data.expiresIn;
  const now = host.port.now();
  const request: ApprovalRequest = {
    nodeId: node.id,
    stepKey,
    label: data.label ?? node.id,
    approverRoles: [...data.approverRoles],
    approverUsers: data.approverUsers.map((user) => toText(renderString(user, context))),
    quorum: data.quorum,
    outcomes: [...data.outcomes],
    expiresAt,
    allowSelfApproval: data.allowSelfApproval,
    message: data.message === undefined ? null : toText(renderString(data.message, context)),
    reminderEveryMs: data.reminderEvery ?? null,
    escalation: data.escalation ? { at: now + data.escalation.after, toRoles: [...data.escalation.toRoles] } : null,
    notify: {
      channels: [...data.notify.channels],
      slackChannel:
        data.notify.slackChannel === undefined ? null : toText(renderString(data.notify.slackChannel, context)),
    },
    // Only when the node has them, so requests of runs from before forms keep their shape.
    ...(data.form ? { form: data.form } : {}),
    ...(data.dueIn !== undefined ? { dueAt: now + data.dueIn } : {}),
  };
  await host.recordBegun(execution, 'waiting_approval', request);
  const decision = await host.port.awaitApproval(request);
  return { handle: decision.outcome, output: decision, input: request };
}

async function runSubworkflow(execution: NodeExecution<NodeOf<'subworkflow'>>, host: RunnerHost): Promise<NodeResult> {
  const { node, context, stepKey } = execution;
  const request: ChildRequest = {
    nodeId: node.id,
    stepKey,
    workflowId: node.data.workflowId,
    version: node.data.version ?? null,
    input: render(node.data.input, context),
    wait: node.data.wait,
    label: node.data.label ?? node.id,
  };
  await host.recordBegun(execution, 'running', request);
  const result = await host.port.runChild(request);
  if (result.ok) return { handle: null, output: result.output, input: request };
  return { handle: 'error', output: null, error: result.error, input: request };
}
