/**
 * The graph interpreter: walks a published definition from its trigger,
 * running each node through a small port (do this work, wait this long, wait
 * for this decision, record this step). It holds no I/O of its own, so the
 * workflow can host it deterministically and tests can drive it with a fake
 * port.
 */
import { ConditionError, evaluateCondition, type Condition } from './conditions';
import { parseDuration } from './durations';
import { getPath } from './paths';
import { route } from './route';
import { type Definition, describeNode, type GraphEdge, type GraphNode, type RetryConfig } from './schema';
import { render, renderString, toText } from './templates';

export interface RunInfo {
  id: string;
  workflowId: string;
  workflowName: string;
  version: number;
  startedAt: string;
  triggeredBy: string | null;
  priority: string;
}

export interface TriggerInfo {
  type: 'manual' | 'webhook' | 'schedule' | 'event';
  /** The trigger node that fired; the first trigger when absent. */
  nodeId?: string;
  body?: unknown;
  /** For event triggers: the event's name. */
  event?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface RunStart {
  definition: Definition;
  input: unknown;
  trigger: TriggerInfo;
  run: RunInfo;
  /** The tenant's variables when the run started (`{{ vars.NAME }}`); `set` nodes add and override. */
  variables?: Record<string, unknown>;
}

export interface NodeState {
  output?: unknown;
  outcome?: string | null;
  error?: NodeError;
}

/** What a run reads: definition-format.md, "The run context". */
export interface RunContext {
  input: unknown;
  trigger: TriggerInfo;
  vars: Record<string, unknown>;
  nodes: Record<string, NodeState>;
  run: RunInfo;
  item?: unknown;
  index?: number;
}

export interface NodeError {
  message: string;
  type?: string;
}

export interface RetryPolicy {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** Work that leaves the workflow: run by an activity. */
export interface WorkRequest {
  kind: 'http' | 'integration' | 'notification';
  nodeId: string;
  nodeType: string;
  /** `<scope><nodeId>:<visit>`: names this execution of the node within the run. */
  stepKey: string;
  /** `<runId>:<stepKey>`: the same across retries, so side effects happen once per intent. */
  idempotencyKey: string;
  config: Record<string, unknown>;
  retry: RetryPolicy;
  timeoutMs: number;
  label: string;
}

export type WorkResult = { ok: true; output: unknown; attempt?: number } | { ok: false; error: NodeError; attempt?: number };

export interface ApprovalRequest {
  nodeId: string;
  stepKey: string;
  label: string;
  approverRoles: string[];
  approverUsers: string[];
  quorum: number;
  outcomes: string[];
  /** Absolute deadline (ms since epoch), or null for none. */
  expiresAt: number | null;
  allowSelfApproval: boolean;
  message: string | null;
  /** Remind those who have not decided this often (ms), or never. */
  reminderEveryMs: number | null;
  /** At this time (ms since epoch) these roles become approvers too, and are told. */
  escalation: { at: number; toRoles: string[] } | null;
  /** How approvers are asked: email (a signed link each) and/or a Slack message. */
  notify: { channels: Array<'email' | 'slack'>; slackChannel: string | null };
}

export interface ApprovalResult {
  /** One of the node's outcomes, or `expired`. */
  outcome: string;
  decidedBy: string | null;
  comment: string | null;
  votes: unknown[];
}

export interface ChildRequest {
  nodeId: string;
  stepKey: string;
  workflowId: string;
  version: number | null;
  input: unknown;
  wait: boolean;
  label: string;
}

export type StepStatus = 'running' | 'completed' | 'failed' | 'waiting_approval';

export interface StepRecord {
  /** Order of entry into the run's nodes (the same on every re-execution), for listing steps in order. */
  seq: number;
  nodeId: string;
  nodeType: string;
  label: string | null;
  stepKey: string;
  visit: number;
  status: StepStatus;
  handle: string | null;
  input: unknown;
  output: unknown;
  error: NodeError | null;
  attempt: number;
  startedAt: number;
  completedAt: number | null;
}

export interface RunProgress {
  progress: number;
  currentSteps: string[];
}

export interface EnginePort {
  now(): number;
  runWork(request: WorkRequest): Promise<WorkResult>;
  recordStep(step: StepRecord, progress: RunProgress): Promise<void>;
  /** A durable timer; `stepKey` names the node execution that waits. */
  sleep(ms: number, label: string, stepKey: string): Promise<void>;
  /** Waits for a decision on an approval, or its expiry. */
  awaitApproval(request: ApprovalRequest): Promise<ApprovalResult>;
  /** Runs another published workflow as a child run. */
  runChild(request: ChildRequest): Promise<WorkResult>;
  /** Resolves at once unless the run is paused; then when it is resumed. */
  whenRunning(): Promise<void>;
}

export interface RunOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  output: unknown;
  error: (NodeError & { nodeId?: string }) | null;
  visits: Record<string, number>;
}

/** What a query sees of a run in flight. */
export interface RunSnapshot {
  activeNodes: string[];
  visits: Record<string, number>;
  progress: number;
  finished: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 60_000 };
export const DEFAULT_MAX_NODE_VISITS = 1000;
export const DEFAULT_WORK_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_ITERATIONS = 10_000;

/** The retry of a node: its own `retry` over the workflow's `configuration.retry` over the defaults. */
export function retryFor(definition: Definition, node: GraphNode): RetryPolicy {
  const layers = [definition.configuration?.retry, (node.data as { retry?: RetryConfig }).retry].filter(Boolean) as RetryConfig[];
  const policy = { ...DEFAULT_RETRY };
  for (const layer of layers) {
    if (layer.maximumAttempts !== undefined) policy.maximumAttempts = layer.maximumAttempts;
    if (layer.backoffCoefficient !== undefined) policy.backoffCoefficient = layer.backoffCoefficient;
    policy.initialIntervalMs = parseDuration(layer.initialInterval) ?? policy.initialIntervalMs;
    policy.maximumIntervalMs = parseDuration(layer.maximumInterval) ?? policy.maximumIntervalMs;
  }
  return policy;
}

/** A failure that ends the run because of the definition or its data (not a bug): reported, never retried. */
export class RunFailure extends Error {
  override name = 'RunFailure';
  constructor(message: string, readonly nodeId?: string) {
    super(message);
  }
}

/** One iteration of a loop: where a body branch runs, with its own `item`, `index` and node outputs. */
interface Scope {
  loop: LoopState;
  index: number;
  item: unknown;
  parent: Scope | null;
  /** `each_item[3]/` (nested: `outer[0]/inner[2]/`): prefixes step keys inside the iteration. */
  prefix: string;
  nodes: Record<string, NodeState>;
  branches: number;
  done: boolean;
  lastOutput: unknown;
}

interface LoopState {
  node: GraphNode;
  visit: number;
  scope: Scope | null;
  items: unknown[];
  next: number;
  running: number;
  finished: number;
  results: unknown[];
  concurrency: number;
  startedAt: number;
  /** Hands the loop node its output once every iteration is done. */
  settle: (results: unknown[]) => void;
}

interface NodeResult {
  handle: string | null;
  output: unknown;
  error?: NodeError;
  input?: unknown;
  attempt?: number;
  /** The node reported its own step (loops): don't record it again. */
  recorded?: boolean;
}

class GraphRun {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly incoming = new Map<string, GraphEdge[]>();
  private readonly outgoing = new Map<string, GraphEdge[]>();
  /** For each loop: the nodes reachable from its body handle (an edge from one of them back to the loop ends an iteration). */
  private readonly loopBodies = new Map<string, Set<string>>();
  private readonly context: RunContext;
  private readonly visits: Record<string, number> = {};
  private readonly joinArrivals = new Map<string, Set<string>>();
  private readonly current = new Map<string, number>();
  private readonly finishedNodes = new Set<string>();
  private active = 0;
  private entered = 0;
  private readonly seqOf = new Map<string, number>();
  private outcome: RunOutcome | undefined;
  private lastEndOutput: unknown = null;
  private settle!: (outcome: RunOutcome) => void;
  private crash!: (error: unknown) => void;
  private readonly done: Promise<RunOutcome>;

  constructor(private readonly start: RunStart, private readonly port: EnginePort) {
    for (const node of start.definition.nodes) this.nodes.set(node.id, node);
    // Indexed once: walking every edge for every node made a graph of nested loops take seconds to start.
    for (const edge of start.definition.edges) {
      pushTo(this.incoming, edge.target, edge);
      pushTo(this.outgoing, edge.source, edge);
    }
    this.context = { input: start.input, trigger: start.trigger, vars: { ...start.variables }, nodes: {}, run: start.run };
    this.done = new Promise<RunOutcome>((resolve, reject) => {
      this.settle = resolve;
      this.crash = reject;
    });
  }

  execute(): Promise<RunOutcome> {
    const triggers = this.start.definition.nodes.filter((n) => n.type === 'trigger');
    const first = triggers.find((n) => n.id === this.start.trigger.nodeId) ?? triggers[0];
    if (!first) return Promise.resolve(this.fail(new RunFailure('the definition has no trigger node')));
    this.spawn(first.id, null, null);
    return this.done;
  }

  snapshot(): RunSnapshot {
    return { activeNodes: [...this.current.keys()].sort(), visits: { ...this.visits }, progress: this.progress().progress, finished: this.outcome !== undefined };
  }

  /** Worked out when the loop first sees an edge come back, not up front: most loops of a big graph may never run. */
  private bodyOf(loopId: string): Set<string> {
    let body = this.loopBodies.get(loopId);
    if (!body) this.loopBodies.set(loopId, (body = this.reachableFromBody(loopId)));
    return body;
  }

  private reachableFromBody(loopId: string): Set<string> {
    const seen = new Set<string>();
    const queue = (this.outgoing.get(loopId) ?? []).filter((e) => e.sourceHandle === 'body').map((e) => e.target);
    while (queue.length) {
      const id = queue.pop() as string;
      if (id === loopId || seen.has(id)) continue;
      seen.add(id);
      for (const e of this.outgoing.get(id) ?? []) queue.push(e.target);
    }
    return seen;
  }

  private get maxVisits(): number {
    return this.start.definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS;
  }

  private spawn(nodeId: string, via: GraphEdge | null, scope: Scope | null): void {
    this.active++;
    if (scope) scope.branches++;
    this.enter(nodeId, via, scope).then(
      () => {
        this.active--;
        if (scope) {
          scope.branches--;
          if (scope.branches === 0) this.completeIteration(scope);
        }
        if (this.active === 0 && !this.outcome) this.finish({ status: 'completed', output: this.lastEndOutput, error: null });
      },
      (error: unknown) => {
        this.active--;
        if (error instanceof RunFailure || error instanceof ConditionError) this.fail(error);
        else this.crash(error);
      },
    );
  }

  private finish(outcome: Omit<RunOutcome, 'visits'>): RunOutcome {
    if (!this.outcome) {
      this.outcome = { ...outcome, visits: { ...this.visits } };
      this.settle(this.outcome);
    }
    return this.outcome;
  }

  private fail(error: Error): RunOutcome {
    const nodeId = error instanceof RunFailure ? error.nodeId : undefined;
    return this.finish({ status: 'failed', output: null, error: { message: error.message, type: error.name, ...(nodeId ? { nodeId } : {}) } });
  }

  private progress(): RunProgress {
    const total = this.nodes.size || 1;
    const done = this.outcome ? total : Math.min(this.finishedNodes.size, total - 1);
    return { progress: Math.round((done / total) * 100), currentSteps: [...this.current.keys()].sort() };
  }

  /** The context a node in `scope` reads: its iteration's item, index and node outputs over the run's. */
  private contextFor(scope: Scope | null): RunContext {
    if (!scope) return this.context;
    const layers: Scope[] = [];
    for (let s: Scope | null = scope; s; s = s.parent) layers.unshift(s);
    const nodes = Object.assign({}, this.context.nodes, ...layers.map((s) => s.nodes)) as Record<string, NodeState>;
    // The element is `{{ item }}`, and also `{{ <as> }}` when the loop names it.
    const as = typeof scope.loop.node.data.as === 'string' && scope.loop.node.data.as !== 'item' ? { [scope.loop.node.data.as]: scope.item } : {};
    return { ...this.context, ...as, nodes, item: scope.item, index: scope.index };
  }

  private async enter(nodeId: string, via: GraphEdge | null, scope: Scope | null): Promise<void> {
    if (this.outcome) return;
    const node = this.nodes.get(nodeId);
    if (!node) throw new RunFailure(`edge "${via?.id}" leads to node "${nodeId}", which does not exist`);
    if (node.type === 'loop' && via && scope && this.bodyOf(nodeId).has(via.source)) {
      // A return edge: this iteration of the loop is done.
      this.completeIteration(scope, this.contextFor(scope).nodes[via.source]?.output ?? null);
      return;
    }
    if (node.type === 'join' && !this.arriveAtJoin(node, via, scope)) return;
    await this.port.whenRunning();
    if (this.outcome) return;
    const visitKey = `${scope?.prefix ?? ''}${nodeId}`;
    const visit = (this.visits[visitKey] = (this.visits[visitKey] ?? 0) + 1);
    if (visit > this.maxVisits) {
      throw new RunFailure(`node ${describeNode(node)} was entered more than ${this.maxVisits} times (configuration.maxNodeVisits); is a cycle missing its way out?`, nodeId);
    }
    const stepKey = `${visitKey}:${visit}`;
    this.seqOf.set(stepKey, ++this.entered);
    const startedAt = this.port.now();
    this.current.set(nodeId, (this.current.get(nodeId) ?? 0) + 1);
    let result: NodeResult;
    try {
      result = await this.runNode(node, visit, stepKey, startedAt, scope);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      throw new RunFailure(`node ${describeNode(node)}: ${error.message}`, nodeId);
    } finally {
      const left = (this.current.get(nodeId) ?? 1) - 1;
      if (left > 0) this.current.set(nodeId, left);
      else this.current.delete(nodeId);
    }
    if (this.outcome && node.type !== 'end') return;
    this.finishedNodes.add(nodeId);
    const state: NodeState = { output: result.output, outcome: result.handle, ...(result.error ? { error: result.error } : {}) };
    this.context.nodes[nodeId] = state;
    if (scope) {
      scope.nodes[nodeId] = state;
      scope.lastOutput = result.output;
    }
    if (!result.recorded) {
      await this.port.recordStep(
        { ...this.stepBase(node, stepKey, visit, startedAt), status: result.error ? 'failed' : 'completed', handle: result.handle, input: result.input ?? null, output: result.output ?? null, error: result.error ?? null, attempt: result.attempt ?? 1, completedAt: this.port.now() },
        this.progress(),
      );
    }
    if (node.type === 'end' || this.outcome) return;
    this.leave(node, result, scope);
  }

  /** Takes the edges for the handle the node left by. */
  private leave(node: GraphNode, result: NodeResult, scope: Scope | null): void {
    const next = route(this.start.definition, node.id, result.handle, this.contextFor(scope));
    if (next.kind === 'no-route') throw new RunFailure(next.message, node.id);
    if (next.kind === 'dead-end') {
      if (result.error) throw new RunFailure(`node ${describeNode(node)} failed: ${result.error.message}`, node.id);
      return;
    }
    for (const edge of next.edges) this.spawn(edge.target, edge, scope);
  }

  private stepBase(node: GraphNode, stepKey: string, visit: number, startedAt: number) {
    return { seq: this.seqOf.get(stepKey) ?? 0, nodeId: node.id, nodeType: node.type, label: typeof node.data.label === 'string' ? node.data.label : null, stepKey, visit, startedAt };
  }

  /** A join `all` lets the branch through once every incoming edge has delivered; `any` at the first. */
  private arriveAtJoin(node: GraphNode, via: GraphEdge | null, scope: Scope | null): boolean {
    const key = `${scope?.prefix ?? ''}${node.id}`;
    const mode = node.data.mode === 'any' ? 'any' : 'all';
    const arrived = this.joinArrivals.get(key) ?? new Set<string>();
    this.joinArrivals.set(key, arrived);
    if (mode === 'any') {
      if (arrived.has('*')) return false;
      arrived.add('*');
      return true;
    }
    arrived.add(via?.id ?? '');
    const expected = (this.incoming.get(node.id) ?? []).map((e) => e.id);
    if (!expected.every((id) => arrived.has(id))) return false;
    this.joinArrivals.delete(key);
    return true;
  }

  private async runNode(node: GraphNode, visit: number, stepKey: string, startedAt: number, scope: Scope | null): Promise<NodeResult> {
    const data = node.data;
    const ctx = this.contextFor(scope);
    const label = typeof data.label === 'string' ? data.label : node.id;
    switch (node.type) {
      case 'trigger':
        return { handle: null, output: this.start.trigger.body ?? this.start.input };
      case 'condition': {
        if (data.condition === undefined) return { handle: null, output: null };
        const holds = evaluateCondition(data.condition as Condition, ctx);
        return { handle: holds ? 'true' : 'false', output: holds };
      }
      case 'join':
        return { handle: null, output: null };
      case 'end': {
        const status = data.status === 'failed' || data.status === 'cancelled' ? data.status : 'completed';
        const output = data.output === undefined ? null : render(data.output, ctx);
        this.lastEndOutput = output;
        if (status !== 'completed') {
          this.finish({ status, output, error: status === 'failed' ? { message: `the run ended at ${describeNode(node)} with status failed`, type: 'EndFailed' } : null });
        }
        return { handle: null, output };
      }
      case 'action':
        return this.runAction(node, visit, stepKey, startedAt, ctx);
      case 'integration':
      case 'notification': {
        const { retry: _r, timeout: _t, label: _l, ...config } = data;
        return this.runWork(node, node.type, render(config, ctx) as Record<string, unknown>, visit, stepKey, startedAt);
      }
      case 'delay': {
        let ms: number;
        if (data.duration !== undefined) {
          ms = parseDuration(data.duration) ?? 0;
        } else {
          const until = renderString(String(data.until ?? ''), ctx);
          const at = typeof until === 'number' ? until : Date.parse(toText(until));
          if (!Number.isFinite(at)) throw new RunFailure(`node ${describeNode(node)}: until "${toText(until)}" is not a timestamp`, node.id);
          ms = Math.max(0, at - this.port.now());
        }
        await this.port.recordStep({ ...this.stepBase(node, stepKey, visit, startedAt), status: 'running', handle: null, input: { ms }, output: null, error: null, attempt: 1, completedAt: null }, this.progress());
        if (ms > 0) await this.port.sleep(ms, `${node.id}: ${label}`, stepKey);
        return { handle: null, output: { waitedMs: ms }, input: { ms } };
      }
      case 'approval': {
        const expiresIn = parseDuration(data.expiresIn);
        const request: ApprovalRequest = {
          nodeId: node.id,
          stepKey,
          label,
          approverRoles: Array.isArray(data.approverRoles) ? (data.approverRoles as string[]) : [],
          approverUsers: Array.isArray(data.approverUsers) ? (render(data.approverUsers, ctx) as unknown[]).map(toText) : [],
          quorum: typeof data.quorum === 'number' ? data.quorum : 1,
          outcomes: Array.isArray(data.outcomes) ? (data.outcomes as string[]) : ['approved', 'rejected'],
          expiresAt: expiresIn === undefined ? null : this.port.now() + expiresIn,
          allowSelfApproval: data.allowSelfApproval === true,
          message: data.message === undefined ? null : toText(renderString(String(data.message), ctx)),
          reminderEveryMs: parseDuration(data.reminderEvery) ?? null,
          escalation: escalationOf(data.escalation, this.port.now()),
          notify: notifyOf(data.notify, ctx),
        };
        await this.port.recordStep({ ...this.stepBase(node, stepKey, visit, startedAt), status: 'waiting_approval', handle: null, input: request, output: null, error: null, attempt: 1, completedAt: null }, this.progress());
        const decision = await this.port.awaitApproval(request);
        return { handle: decision.outcome, output: decision, input: request };
      }
      case 'subworkflow': {
        const request: ChildRequest = {
          nodeId: node.id,
          stepKey,
          workflowId: String(data.workflowId),
          version: typeof data.version === 'number' ? data.version : null,
          input: render(data.input ?? {}, ctx),
          wait: data.wait !== false,
          label,
        };
        await this.port.recordStep({ ...this.stepBase(node, stepKey, visit, startedAt), status: 'running', handle: null, input: request, output: null, error: null, attempt: 1, completedAt: null }, this.progress());
        const result = await this.port.runChild(request);
        if (result.ok) return { handle: null, output: result.output, input: request };
        return { handle: 'error', output: null, error: result.error, input: request };
      }
      case 'loop':
        return this.runLoop(node, visit, stepKey, startedAt, scope, ctx);
      default:
        throw new RunFailure(`node ${describeNode(node)} has unknown type "${node.type}"`, node.id);
    }
  }

  private async runAction(node: GraphNode, visit: number, stepKey: string, startedAt: number, ctx: RunContext): Promise<NodeResult> {
    const data = node.data;
    switch (data.action) {
      case 'set': {
        const vars = render(data.vars ?? {}, ctx) as Record<string, unknown>;
        Object.assign(this.context.vars, vars);
        return { handle: null, output: vars };
      }
      case 'log': {
        const message = typeof data.message === 'string' ? toText(renderString(data.message, ctx)) : render(data.message ?? null, ctx);
        return { handle: null, output: { message } };
      }
      case 'http': {
        const config = render({ method: data.method ?? 'GET', url: data.url, headers: data.headers ?? {}, body: data.body, expectStatus: data.expectStatus }, ctx) as Record<string, unknown>;
        return this.runWork(node, 'http', config, visit, stepKey, startedAt);
      }
      default:
        throw new RunFailure(`node ${describeNode(node)} has unknown action "${String(data.action)}"`, node.id);
    }
  }

  private async runWork(node: GraphNode, kind: WorkRequest['kind'], config: Record<string, unknown>, visit: number, stepKey: string, startedAt: number): Promise<NodeResult> {
    const data = node.data;
    await this.port.recordStep({ ...this.stepBase(node, stepKey, visit, startedAt), status: 'running', handle: null, input: config, output: null, error: null, attempt: 1, completedAt: null }, this.progress());
    const result = await this.port.runWork({
      kind,
      nodeId: node.id,
      nodeType: node.type,
      stepKey,
      idempotencyKey: `${this.start.run.id}:${stepKey}`,
      config,
      retry: retryFor(this.start.definition, node),
      timeoutMs: parseDuration(data.timeout) ?? DEFAULT_WORK_TIMEOUT_MS,
      label: typeof data.label === 'string' ? data.label : node.id,
    });
    if (result.ok) return { handle: null, output: result.output, input: config, attempt: result.attempt };
    return { handle: 'error', output: null, error: result.error, input: config, attempt: result.attempt };
  }

  /** Runs the body once per element, up to `concurrency` at a time; leaves by `done` with every iteration's last output. */
  private async runLoop(node: GraphNode, visit: number, stepKey: string, startedAt: number, scope: Scope | null, ctx: RunContext): Promise<NodeResult> {
    const data = node.data;
    const list = getPath(ctx, String(data.forEach ?? ''));
    if (!Array.isArray(list)) throw new RunFailure(`node ${describeNode(node)}: forEach "${String(data.forEach)}" is not a list (it is ${list === undefined ? 'missing' : typeof list})`, node.id);
    const max = typeof data.maxIterations === 'number' ? data.maxIterations : DEFAULT_MAX_ITERATIONS;
    if (list.length > max) throw new RunFailure(`node ${describeNode(node)}: the list has ${list.length} items, more than maxIterations (${max})`, node.id);
    const input = { count: list.length };
    await this.port.recordStep({ ...this.stepBase(node, stepKey, visit, startedAt), status: 'running', handle: null, input, output: null, error: null, attempt: 1, completedAt: null }, this.progress());
    const results =
      list.length === 0
        ? []
        : await new Promise<unknown[]>((resolve) => {
        const loop: LoopState = {
          node,
          visit,
          scope,
          items: list,
          next: 0,
          running: 0,
          finished: 0,
          results: new Array<unknown>(list.length).fill(null),
          concurrency: typeof data.concurrency === 'number' ? Math.max(1, data.concurrency) : 1,
          startedAt,
          settle: resolve,
        };
        this.startIterations(loop);
      });
    return { handle: 'done', output: results, input };
  }

  private startIterations(loop: LoopState): void {
    while (!this.outcome && loop.running < loop.concurrency && loop.next < loop.items.length) {
      const index = loop.next++;
      loop.running++;
      const item = loop.items[index];
      const scope: Scope = {
        loop,
        index,
        item,
        parent: loop.scope,
        prefix: `${loop.scope?.prefix ?? ''}${loop.node.id}[${index}]/`,
        nodes: {},
        branches: 0,
        done: false,
        lastOutput: null,
      };
      const bodyEdges = route(this.start.definition, loop.node.id, 'body', this.contextFor(scope));
      if (bodyEdges.kind !== 'targets') {
        scope.done = true;
        // This loop starts the next iteration: asking iterationDone to would recurse once per item (10,000 overflow the stack).
        this.iterationDone(loop, index, null, false);
        continue;
      }
      for (const edge of bodyEdges.edges) this.spawn(edge.target, edge, scope);
    }
  }

  private completeIteration(scope: Scope, output?: unknown): void {
    if (scope.done) return;
    scope.done = true;
    this.iterationDone(scope.loop, scope.index, output === undefined ? scope.lastOutput : output);
  }

  private iterationDone(loop: LoopState, index: number, output: unknown, startNext = true): void {
    loop.results[index] = output ?? null;
    loop.running--;
    loop.finished++;
    if (loop.finished === loop.items.length) {
      loop.settle(loop.results);
      return;
    }
    if (startNext) this.startIterations(loop);
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function escalationOf(value: unknown, now: number): ApprovalRequest['escalation'] {
  const e = value as { after?: unknown; toRoles?: unknown } | undefined;
  const after = parseDuration(e?.after);
  if (after === undefined || !Array.isArray(e?.toRoles)) return null;
  return { at: now + after, toRoles: e.toRoles.map(String) };
}

function notifyOf(value: unknown, ctx: RunContext): ApprovalRequest['notify'] {
  const n = (value ?? {}) as { channels?: unknown; slackChannel?: unknown };
  const channels = (Array.isArray(n.channels) ? n.channels : ['email']).filter((c): c is 'email' | 'slack' => c === 'email' || c === 'slack');
  return { channels, slackChannel: typeof n.slackChannel === 'string' ? toText(renderString(n.slackChannel, ctx)) : null };
}

export interface RunHandle {
  outcome: Promise<RunOutcome>;
  snapshot(): RunSnapshot;
}

/** Starts interpreting a definition through the port. `outcome` rejects only on a bug or a cancellation; everything a definition can cause is an outcome. */
export function startRun(start: RunStart, port: EnginePort): RunHandle {
  const run = new GraphRun(start, port);
  return { outcome: run.execute(), snapshot: () => run.snapshot() };
}

/** Runs a definition to its end through the port. */
export function interpret(start: RunStart, port: EnginePort): Promise<RunOutcome> {
  return startRun(start, port).outcome;
}
