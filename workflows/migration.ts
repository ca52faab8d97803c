/**
 * Moving a running run to another published version of its workflow (`POST /api/runs/:id/migrate`). The run stops
 * starting nodes, lets its work in flight finish, and continues as new on the new version with its memo renamed by the
 * node mapping: the interpreter walks the new graph from its trigger, answers every finished step from the memo, and
 * picks up its waits (approvals with their votes and deadlines, delays with theirs) where they stood.
 *
 * Only pure functions here, so the checks and the renaming are tested without a workflow; run-graph.ts wires them.
 */
import { DEFAULT_APPROVAL_OUTCOMES } from '../interpreter/node-handles';
import type { Definition } from '../interpreter/schema';
import type { Checkpoint, PinnedDefinition } from './types';

export interface MigrationInput {
  /** The version to move to, pinned by the API (a published version of the run's own workflow). */
  definition: PinnedDefinition;
  /** Old node id → new node id, for nodes the new version renamed; every other node keeps its id. */
  nodeMapping: Record<string, string>;
  /** Who asked, for the run's history. */
  by: string;
}

export interface MigrationAccepted {
  fromVersion: number;
  toVersion: number;
  /** The nodes the run waits at, as the new version names them. */
  waitingAt: string[];
}

export interface MigrationProblem {
  path: string;
  message: string;
}

/** Where the run stands: the nodes it is in (approvals, delays, children, work) and the approvals it waits on. */
export interface RunPosition {
  activeNodes: string[];
  pendingApprovals: Array<{ nodeId: string; outcomes: string[] }>;
}

const nodeTypes = (graph: Definition) => new Map(graph.nodes.map((n) => [n.id, n]));

/**
 * Every reason the run cannot move to `to` from where it stands; empty when it can. Mapped ids must be nodes of the old
 * version and the new; each node the run is in needs a counterpart of the same type; an approval waiting must be able
 * to leave its counterpart by each outcome it can be decided with.
 */
export function migrationProblems(
  from: Definition,
  to: Definition,
  mapping: Record<string, string>,
  position: RunPosition,
): MigrationProblem[] {
  const problems: MigrationProblem[] = [];
  const oldNodes = nodeTypes(from);
  const newNodes = nodeTypes(to);
  for (const [oldId, newId] of Object.entries(mapping)) {
    if (!oldNodes.has(oldId))
      problems.push({ path: `nodeMapping.${oldId}`, message: `the run's version has no node "${oldId}"` });
    if (!newNodes.has(newId))
      problems.push({ path: `nodeMapping.${oldId}`, message: `the new version has no node "${newId}"` });
  }
  const counterpart = (id: string) => mapping[id] ?? id;
  for (const nodeId of new Set(position.activeNodes)) {
    const target = newNodes.get(counterpart(nodeId));
    const type = oldNodes.get(nodeId)?.type;
    if (!target) {
      problems.push({
        path: `nodes.${nodeId}`,
        message: `the run is at node "${nodeId}", which has no counterpart in the new version; map it in nodeMapping`,
      });
    } else if (target.type !== type) {
      problems.push({
        path: `nodes.${nodeId}`,
        message: `the run is at ${type} node "${nodeId}", whose counterpart "${target.id}" is a ${target.type} node`,
      });
    }
  }
  for (const approval of position.pendingApprovals) {
    const target = newNodes.get(counterpart(approval.nodeId));
    if (target?.type !== 'approval') continue;
    const raw = target.data.outcomes;
    const outcomes = Array.isArray(raw) ? (raw as string[]) : DEFAULT_APPROVAL_OUTCOMES;
    const missing = approval.outcomes.filter((o) => !outcomes.includes(o));
    if (missing.length)
      problems.push({
        path: `nodes.${approval.nodeId}`,
        message: `the approval waiting at "${approval.nodeId}" can be decided ${missing.join(', ')}, which "${target.id}" in the new version has no outcome for`,
      });
  }
  return problems;
}

/** A step key (`loop[0]/inner[2]/node:3`) with each node id in it renamed by `mapping`. */
export function renamedStepKey(stepKey: string, mapping: Record<string, string>): string {
  return stepKey
    .split('/')
    .map((segment) => {
      const at = segment.search(/(\[\d+\]|:\d+)$/);
      if (at <= 0) return segment;
      const id = segment.slice(0, at);
      return (mapping[id] ?? id) + segment.slice(at);
    })
    .join('/');
}

/** The node a step key names: its last segment, without the visit. */
export const nodeOfStepKey = (stepKey: string): string =>
  stepKey.slice(stepKey.lastIndexOf('/') + 1).replace(/:\d+$/, '');

const renamedKeys = <T>(record: Record<string, T>, mapping: Record<string, string>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [renamedStepKey(key, mapping), value]));

/** The checkpoint the run continues with on the new version: everything it knows, under the new node ids. */
export function migratedCheckpoint(checkpoint: Checkpoint, mapping: Record<string, string>): Checkpoint {
  if (Object.keys(mapping).length === 0) return checkpoint;
  const pendingApprovals = Object.fromEntries(
    Object.values(checkpoint.pendingApprovals).map((saved) => {
      const stepKey = renamedStepKey(saved.request.stepKey, mapping);
      const nodeId = mapping[saved.request.nodeId] ?? saved.request.nodeId;
      return [stepKey, { ...saved, request: { ...saved.request, stepKey, nodeId } }];
    }),
  );
  return {
    ...checkpoint,
    work: renamedKeys(checkpoint.work, mapping),
    approvals: renamedKeys(checkpoint.approvals, mapping),
    children: renamedKeys(checkpoint.children, mapping),
    timers: renamedKeys(checkpoint.timers, mapping),
    recorded: checkpoint.recorded.map((key) => renamedStepKey(key, mapping)),
    pendingApprovals,
  };
}
