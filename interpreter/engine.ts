/**
 * The graph interpreter: walks a published definition from its trigger,
 * running each node through a small port (do this work, record this step, what
 * time is it). It holds no I/O of its own, so the workflow can host it
 * deterministically and tests can drive it with a fake port.
 */
import { ConditionError, evaluateCondition, type Condition } from './conditions';
import { parseDuration } from './durations';
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
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface RunStart {
  definition: Definition;
  input: unknown;
  trigger: TriggerInfo;
  run: RunInfo;
}

/** What a run reads: definition-format.md, "The run context". */
export interface RunContext {
  input: unknown;
  trigger: TriggerInfo;
  vars: Record<string, unknown>;
  nodes: Record<string, { output?: unknown; outcome?: string | null; error?: NodeError }>;
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
  kind: 'http';
  nodeId: string;
  nodeType: string;
  visit: number;
  /** `<runId>:<nodeId>:<visit>`: the same across retries, so side effects happen once per intent. */
  idempotencyKey: string;
  config: Record<string, unknown>;
  retry: RetryPolicy;
  timeoutMs: number;
  label: string;
}

export type WorkResult = { ok: true; output: unknown; attempt?: number } | { ok: false; error: NodeError; attempt?: number };

export type StepStatus = 'running' | 'completed' | 'failed';

export interface StepRecord {
  nodeId: string;
  nodeType: string;
  label: string | null;
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
}

export interface RunOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  output: unknown;
  error: (NodeError & { nodeId?: string }) | null;
  visits: Record<string, number>;
}

export const DEFAULT_RETRY: RetryPolicy = { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 60_000 };
export const DEFAULT_MAX_NODE_VISITS = 1000;
export const DEFAULT_WORK_TIMEOUT_MS = 60_000;

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
class RunFailure extends Error {
  constructor(message: string, readonly nodeId?: string) {
    super(message);
  }
}

class GraphRun {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly incoming = new Map<string, GraphEdge[]>();
  private readonly context: RunContext;
  private readonly visits: Record<string, number> = {};
  private readonly joinArrivals = new Map<string, Set<string>>();
  private readonly current = new Map<string, number>();
  private readonly finishedNodes = new Set<string>();
  private active = 0;
  private outcome: RunOutcome | undefined;
  private lastEndOutput: unknown = null;
  private settle!: (outcome: RunOutcome) => void;
  private crash!: (error: unknown) => void;
  private readonly done: Promise<RunOutcome>;

  constructor(private readonly start: RunStart, private readonly port: EnginePort) {
    for (const node of start.definition.nodes) this.nodes.set(node.id, node);
    for (const edge of start.definition.edges) this.incoming.set(edge.target, [...(this.incoming.get(edge.target) ?? []), edge]);
    this.context = { input: start.input, trigger: start.trigger, vars: {}, nodes: {}, run: start.run };
    this.done = new Promise<RunOutcome>((resolve, reject) => {
      this.settle = resolve;
      this.crash = reject;
    });
  }

  execute(): Promise<RunOutcome> {
    const triggers = this.start.definition.nodes.filter((n) => n.type === 'trigger');
    const first = triggers.find((n) => n.id === this.start.trigger.nodeId) ?? triggers[0];
    if (!first) return Promise.resolve(this.fail(new RunFailure('the definition has no trigger node')));
    this.spawn(first.id, null);
    return this.done;
  }

  private get maxVisits(): number {
    return this.start.definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS;
  }

  private spawn(nodeId: string, via: GraphEdge | null): void {
    this.active++;
    this.enter(nodeId, via).then(
      () => {
        this.active--;
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

  private async enter(nodeId: string, via: GraphEdge | null): Promise<void> {
    if (this.outcome) return;
    const node = this.nodes.get(nodeId);
    if (!node) throw new RunFailure(`edge "${via?.id}" leads to node "${nodeId}", which does not exist`);
    if (node.type === 'join' && !this.arriveAtJoin(node, via)) return;
    const visit = (this.visits[nodeId] = (this.visits[nodeId] ?? 0) + 1);
    if (visit > this.maxVisits) {
      throw new RunFailure(`node ${describeNode(node)} was entered more than ${this.maxVisits} times (configuration.maxNodeVisits); is a cycle missing its way out?`, nodeId);
    }
    const startedAt = this.port.now();
    this.current.set(nodeId, (this.current.get(nodeId) ?? 0) + 1);
    let result: { handle: string | null; output: unknown; error?: NodeError; input?: unknown; attempt?: number };
    try {
      result = await this.runNode(node, visit, startedAt);
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
    this.context.nodes[nodeId] = { output: result.output, outcome: result.handle, ...(result.error ? { error: result.error } : {}) };
    await this.port.recordStep(
      {
        nodeId,
        nodeType: node.type,
        label: typeof node.data.label === 'string' ? node.data.label : null,
        visit,
        status: result.error ? 'failed' : 'completed',
        handle: result.handle,
        input: result.input ?? null,
        output: result.output ?? null,
        error: result.error ?? null,
        attempt: result.attempt ?? 1,
        startedAt,
        completedAt: this.port.now(),
      },
      this.progress(),
    );
    if (node.type === 'end' || this.outcome) return;

    const next = route(this.start.definition, nodeId, result.handle, this.context);
    if (next.kind === 'no-route') throw new RunFailure(next.message, nodeId);
    if (next.kind === 'dead-end') {
      if (result.error) throw new RunFailure(`node ${describeNode(node)} failed: ${result.error.message}`, nodeId);
      return;
    }
    for (const edge of next.edges) this.spawn(edge.target, edge);
  }

  /** A join `all` lets the branch through once every incoming edge has delivered; `any` at the first. */
  private arriveAtJoin(node: GraphNode, via: GraphEdge | null): boolean {
    const mode = node.data.mode === 'any' ? 'any' : 'all';
    const arrived = this.joinArrivals.get(node.id) ?? new Set<string>();
    this.joinArrivals.set(node.id, arrived);
    if (mode === 'any') {
      if (arrived.has('*')) return false;
      arrived.add('*');
      return true;
    }
    arrived.add(via?.id ?? '');
    const expected = (this.incoming.get(node.id) ?? []).map((e) => e.id);
    if (!expected.every((id) => arrived.has(id))) return false;
    this.joinArrivals.delete(node.id);
    return true;
  }

  private async runNode(node: GraphNode, visit: number, startedAt: number): Promise<{ handle: string | null; output: unknown; error?: NodeError; input?: unknown; attempt?: number }> {
    const data = node.data;
    switch (node.type) {
      case 'trigger':
        return { handle: null, output: this.start.trigger.body ?? this.start.input };
      case 'condition': {
        if (data.condition === undefined) return { handle: null, output: null };
        const holds = evaluateCondition(data.condition as Condition, this.context);
        return { handle: holds ? 'true' : 'false', output: holds };
      }
      case 'join':
        return { handle: null, output: null };
      case 'end': {
        const status = data.status === 'failed' || data.status === 'cancelled' ? data.status : 'completed';
        const output = data.output === undefined ? null : render(data.output, this.context);
        this.lastEndOutput = output;
        if (status !== 'completed') {
          this.finish({ status, output, error: status === 'failed' ? { message: `the run ended at ${describeNode(node)} with status failed`, type: 'EndFailed' } : null });
        }
        return { handle: null, output };
      }
      case 'action':
        return this.runAction(node, visit, startedAt);
      default:
        throw new RunFailure(`node ${describeNode(node)} has type "${node.type}", which this engine version does not run yet`, node.id);
    }
  }

  private async runAction(node: GraphNode, visit: number, startedAt: number) {
    const data = node.data;
    switch (data.action) {
      case 'set': {
        const vars = render(data.vars ?? {}, this.context) as Record<string, unknown>;
        Object.assign(this.context.vars, vars);
        return { handle: null, output: vars };
      }
      case 'log': {
        const message = typeof data.message === 'string' ? toText(renderString(data.message, this.context)) : render(data.message ?? null, this.context);
        return { handle: null, output: { message } };
      }
      case 'http': {
        const config = render({ method: data.method ?? 'GET', url: data.url, headers: data.headers ?? {}, body: data.body, expectStatus: data.expectStatus }, this.context) as Record<string, unknown>;
        await this.port.recordStep(
          { nodeId: node.id, nodeType: node.type, label: typeof data.label === 'string' ? data.label : null, visit, status: 'running', handle: null, input: config, output: null, error: null, attempt: 1, startedAt, completedAt: null },
          this.progress(),
        );
        const result = await this.port.runWork({
          kind: 'http',
          nodeId: node.id,
          nodeType: node.type,
          visit,
          idempotencyKey: `${this.start.run.id}:${node.id}:${visit}`,
          config,
          retry: retryFor(this.start.definition, node),
          timeoutMs: parseDuration(data.timeout) ?? DEFAULT_WORK_TIMEOUT_MS,
          label: typeof data.label === 'string' ? data.label : node.id,
        });
        if (result.ok) return { handle: null, output: result.output, input: config, attempt: result.attempt };
        return { handle: 'error', output: null, error: result.error, input: config, attempt: result.attempt };
      }
      default:
        throw new RunFailure(`node ${describeNode(node)} has unknown action "${String(data.action)}"`, node.id);
    }
  }
}

/** Runs a definition to its end through the port. Rejects only on a bug; everything a definition can cause is an outcome. */
export function interpret(start: RunStart, port: EnginePort): Promise<RunOutcome> {
  return new GraphRun(start, port).execute();
}
