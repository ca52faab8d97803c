/**
 * The graph walk: one run of a typed graph from its trigger. Each branch
 * enters a node, runs it (node-runners.ts, loops.ts), records its step and
 * takes the edges of the handle it left by; branches fork on several edges,
 * meet at joins, and the run is over when none is left or an end says so.
 */
import { ConditionError } from './conditions';
import { RunFailure } from './failures';
import type { TypedGraph } from './graph';
import { layeredNodes } from './layered-nodes';
import { completeIteration, type LoopHost, reachableFromBody, runLoop, type Scope } from './loops';
import { describeNode } from './node-handles';
import type { NodeOf, TypedEdge, TypedNode } from './node-model';
import { type NodeExecution, type NodeResult, type RecordBegun, runNode, type RunnerHost } from './node-runners';
import type {
  EnginePort,
  NodeState,
  RunContext,
  RunOutcome,
  RunProgress,
  RunSnapshot,
  RunStart,
  StepRecord,
} from './port';
import { route } from './route';

const NO_EDGES: readonly TypedEdge[] = [];

export class GraphRun implements RunnerHost, LoopHost {
  /**
   * For each loop: the nodes reachable from its body handle (an edge from one of them back to the loop ends an
   * iteration).
   */
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
  private readonly done: Promise<RunOutcome>;
  private settle: (outcome: RunOutcome) => void = () => undefined;
  private crash: (error: unknown) => void = () => undefined;

  constructor(
    readonly start: RunStart,
    readonly graph: TypedGraph,
    readonly port: EnginePort,
  ) {
    this.context = {
      input: start.input,
      trigger: start.trigger,
      vars: { ...start.variables },
      nodes: {},
      run: start.run,
    };
    this.done = new Promise<RunOutcome>((resolve, reject) => {
      this.settle = resolve;
      this.crash = reject;
    });
  }

  execute(): Promise<RunOutcome> {
    const { triggers } = this.graph;
    const first = triggers.find((n) => n.id === this.start.trigger.nodeId) ?? triggers[0];
    if (!first) return Promise.resolve(this.fail(new RunFailure('the definition has no trigger node')));
    this.spawnAt(first.id, null, null);
    return this.done;
  }

  /** A run whose definition does not parse fails before its trigger. */
  refuse(failure: RunFailure): Promise<RunOutcome> {
    return Promise.resolve(this.fail(failure));
  }

  snapshot(): RunSnapshot {
    return {
      activeNodes: [...this.current.keys()].sort(),
      visits: { ...this.visits },
      progress: this.progress().progress,
      finished: this.outcome !== undefined,
    };
  }

  // The hosts' side (RunnerHost, LoopHost): arrow functions, so runners can call them detached.

  readonly recordBegun: RecordBegun = (execution, status, input) =>
    this.port.recordStep(
      {
        ...this.stepBase(execution),
        status,
        handle: null,
        input,
        output: null,
        error: null,
        attempt: 1,
        completedAt: null,
      },
      this.progress(),
    );

  setVariables(vars: Record<string, unknown>): void {
    Object.assign(this.context.vars, vars);
  }

  reachEnd(node: NodeOf<'end'>, output: unknown): void {
    this.lastEndOutput = output;
    const { status } = node.data;
    if (status === 'completed') return;
    this.finish({
      status,
      output,
      error:
        status === 'failed'
          ? { message: `the run ended at ${describeNode(node)} with status failed`, type: 'EndFailed' }
          : null,
    });
  }

  runLoop(execution: NodeExecution<NodeOf<'loop'>>): Promise<NodeResult> {
    return runLoop(execution, this);
  }

  spawn(edge: TypedEdge, scope: Scope | null): void {
    this.spawnAt(edge.target, edge, scope);
  }

  outgoing(nodeId: string): readonly TypedEdge[] {
    return this.graph.outgoing.get(nodeId) ?? NO_EDGES;
  }

  isOver(): boolean {
    return this.outcome !== undefined;
  }

  /** The context a node in `scope` reads: its iteration's item, index and node outputs over the run's. */
  contextFor(scope: Scope | null): RunContext {
    if (!scope) return this.context;
    // Innermost first, so an iteration's own outputs win over its loops' and the run's.
    const layers: Array<Record<string, NodeState>> = [];
    for (let s: Scope | null = scope; s; s = s.parent) layers.push(s.nodes);
    const nodes = layeredNodes(this.context.nodes, layers);
    // The element is `{{ item }}`, and also `{{ <as> }}` when the loop names it.
    const name = scope.loop.node.data.as;
    const as = name !== undefined && name !== 'item' ? { [name]: scope.item } : {};
    return { ...this.context, ...as, nodes, item: scope.item, index: scope.index };
  }

  // The walk.

  /** Worked out when the loop first sees an edge come back, not up front: most loops of a big graph may never run. */
  private bodyOf(loopId: string): Set<string> {
    let body = this.loopBodies.get(loopId);
    if (!body) this.loopBodies.set(loopId, (body = reachableFromBody(loopId, (id) => this.outgoing(id))));
    return body;
  }

  private spawnAt(nodeId: string, via: TypedEdge | null, scope: Scope | null): void {
    this.active++;
    if (scope) scope.branches++;
    this.enter(nodeId, via, scope).then(
      () => {
        this.active--;
        if (scope) {
          scope.branches--;
          if (scope.branches === 0) completeIteration(scope, this);
        }
        if (this.active === 0 && !this.outcome)
          this.finish({ status: 'completed', output: this.lastEndOutput, error: null });
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
    return this.finish({
      status: 'failed',
      output: null,
      error: { message: error.message, type: error.name, ...(nodeId ? { nodeId } : {}) },
    });
  }

  private progress(): RunProgress {
    const total = this.graph.nodes.size || 1;
    const done = this.outcome ? total : Math.min(this.finishedNodes.size, total - 1);
    return { progress: Math.round((done / total) * 100), currentSteps: [...this.current.keys()].sort() };
  }

  private async enter(nodeId: string, via: TypedEdge | null, scope: Scope | null): Promise<void> {
    if (this.outcome) return;
    const node = this.graph.nodes.get(nodeId);
    if (!node) throw new RunFailure(`edge "${via?.id}" leads to node "${nodeId}", which does not exist`);
    if (node.type === 'loop' && via && scope && this.bodyOf(nodeId).has(via.source)) {
      // A return edge: this iteration of the loop is done.
      completeIteration(scope, this, this.contextFor(scope).nodes[via.source]?.output ?? null);
      return;
    }
    if (node.type === 'join' && !this.arriveAtJoin(node, via, scope)) return;
    await this.port.whenRunning();
    if (this.outcome) return;
    const visitKey = `${scope?.prefix ?? ''}${nodeId}`;
    const visit = (this.visits[visitKey] = (this.visits[visitKey] ?? 0) + 1);
    const { maxNodeVisits } = this.graph;
    if (visit > maxNodeVisits) {
      throw new RunFailure(
        `node ${describeNode(node)} was entered more than ${maxNodeVisits} times (configuration.maxNodeVisits); is a cycle missing its way out?`,
        nodeId,
      );
    }
    const stepKey = `${visitKey}:${visit}`;
    this.seqOf.set(stepKey, ++this.entered);
    const execution: NodeExecution = {
      node,
      visit,
      stepKey,
      startedAt: this.port.now(),
      scope,
      context: this.contextFor(scope),
    };
    this.current.set(nodeId, (this.current.get(nodeId) ?? 0) + 1);
    let result: NodeResult;
    try {
      result = await runNode(execution, this);
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
    const state: NodeState = {
      output: result.output,
      outcome: result.handle,
      ...(result.error ? { error: result.error } : {}),
    };
    this.context.nodes[nodeId] = state;
    if (scope) {
      scope.nodes[nodeId] = state;
      scope.lastOutput = result.output;
    }
    await this.port.recordStep(
      {
        ...this.stepBase(execution),
        status: result.error ? 'failed' : 'completed',
        handle: result.handle,
        input: result.input ?? null,
        output: result.output ?? null,
        error: result.error ?? null,
        attempt: result.attempt ?? 1,
        completedAt: this.port.now(),
      },
      this.progress(),
    );
    if (node.type === 'end' || this.outcome) return;
    this.leave(node, result, scope);
  }

  /** Takes the edges for the handle the node left by. */
  private leave(node: TypedNode, result: NodeResult, scope: Scope | null): void {
    const next = route(this.outgoing(node.id), node.id, result.handle, this.contextFor(scope));
    if (next.kind === 'no-route') throw new RunFailure(next.message, node.id);
    if (next.kind === 'dead-end') {
      if (result.error) throw new RunFailure(`node ${describeNode(node)} failed: ${result.error.message}`, node.id);
      return;
    }
    for (const edge of next.edges) this.spawn(edge, scope);
  }

  private stepBase({
    node,
    stepKey,
    visit,
    startedAt,
  }: NodeExecution): Pick<StepRecord, 'seq' | 'nodeId' | 'nodeType' | 'label' | 'stepKey' | 'visit' | 'startedAt'> {
    return {
      seq: this.seqOf.get(stepKey) ?? 0,
      nodeId: node.id,
      nodeType: node.type,
      label: node.data.label ?? null,
      stepKey,
      visit,
      startedAt,
    };
  }

  /** A join `all` lets the branch through once every incoming edge has delivered; `any` at the first. */
  private arriveAtJoin(node: NodeOf<'join'>, via: TypedEdge | null, scope: Scope | null): boolean {
    const key = `${scope?.prefix ?? ''}${node.id}`;
    const arrived = this.joinArrivals.get(key) ?? new Set<string>();
    this.joinArrivals.set(key, arrived);
    if (node.data.mode === 'any') {
      if (arrived.has('*')) return false;
      arrived.add('*');
      return true;
    }
    arrived.add(via?.id ?? '');
    const expected = (this.graph.incoming.get(node.id) ?? NO_EDGES).map((e) => e.id);
    if (!expected.every((id) => arrived.has(id))) return false;
    this.joinArrivals.delete(key);
    return true;
  }
}
