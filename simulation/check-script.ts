/**
 * A script checked against the graph it is to drive: every problem at once, each with its path, before anything is
 * simulated. A node the graph does not have, a decision for a node that asks for none, an outcome the approval cannot
 * take, a response for a node that does no work: each would otherwise be silently ignored, and the preview would lie.
 */
import { parseDuration } from '../interpreter/durations';
import type { TypedGraph } from '../interpreter/graph';
import { checkFormData } from '../interpreter/forms';
import { describeNode, type TypedNode } from '../interpreter/node-model';
import type { Problem } from '../interpreter/problems';
import { forVisit, NO_DECISION, type PerVisit, type SimulationScript } from './script';

/** Node types whose work leaves the workflow, so a script may answer for it. */
function doesWork(node: TypedNode): boolean {
  if (node.type === 'action') return node.data.action === 'http';
  return node.type === 'integration' || node.type === 'notification' || node.type === 'subworkflow';
}

export function checkScript(graph: TypedGraph, script: SimulationScript, at = 'body'): Problem[] {
  const problems: Problem[] = [];
  const nodeOf = (section: string, nodeId: string): TypedNode | undefined => {
    const node = graph.nodes.get(nodeId);
    if (!node) problems.push({ path: `${at}.${section}.${nodeId}`, message: `the definition has no node "${nodeId}"` });
    return node;
  };
  const approvalOf = (section: string, nodeId: string): TypedNode | undefined => {
    const node = nodeOf(section, nodeId);
    if (node && node.type !== 'approval') {
      problems.push({
        path: `${at}.${section}.${nodeId}`,
        message: `node ${describeNode(node)} is a ${node.type} node; only approval nodes take ${section}`,
      });
      return undefined;
    }
    return node;
  };

  for (const [nodeId, entry] of Object.entries(script.decisions ?? {})) {
    const node = approvalOf('decisions', nodeId);
    if (node?.type !== 'approval') continue;
    eachVisit(entry, `${at}.decisions.${nodeId}`, (decision, path) => {
      const { outcome, after } = typeof decision === 'string' ? { outcome: decision, after: undefined } : decision;
      if (outcome === NO_DECISION && node.data.expiresIn === undefined) {
        problems.push({
          path,
          message: `node ${describeNode(node)} has no expiresIn, so it cannot expire; leave the visit out to see it wait`,
        });
      } else if (outcome !== NO_DECISION && !node.data.outcomes.includes(outcome)) {
        problems.push({
          path,
          message: `"${outcome}" is not an outcome of node ${describeNode(node)}; one of ${[...node.data.outcomes, NO_DECISION].join(', ')}`,
        });
      }
      if (after !== undefined && parseDuration(after) === undefined)
        problems.push({ path: `${path}.after`, message: `"${after}" is not a duration (e.g. "90s", "48h", "P2D")` });
    });
  }

  for (const nodeId of Object.keys(script.responses ?? {})) {
    const node = nodeOf('responses', nodeId);
    if (node && !doesWork(node))
      problems.push({
        path: `${at}.responses.${nodeId}`,
        message: `node ${describeNode(node)} does no work outside the run; responses are for http, integration, notification and subworkflow nodes`,
      });
  }

  for (const nodeId of Object.keys(script.data ?? {})) approvalOf('data', nodeId);
  problems.push(...checkFormsOf(graph, script, at));
  return problems;
}

function eachVisit<T>(entry: PerVisit<T>, path: string, check: (item: T, path: string) => void): void {
  if (Array.isArray(entry)) entry.forEach((item, i) => check(item, `${path}[${i}]`));
  else check(entry, path);
}

/**
 * Each scripted decision's data against its approval's form, as the API checks a real decision's: required fields
 * (but for a rejection), types and bounds, no field the form lacks, no data for an approval without a form.
 */
function checkFormsOf(graph: TypedGraph, script: SimulationScript, at: string): Problem[] {
  const problems: Problem[] = [];
  const nodeIds = new Set([...Object.keys(script.decisions ?? {}), ...Object.keys(script.data ?? {})]);
  for (const nodeId of nodeIds) {
    const node = graph.nodes.get(nodeId);
    if (node?.type !== 'approval') continue;
    const decisions = own(script.decisions, nodeId);
    const data = own(script.data, nodeId);
    if (decisions === undefined) {
      problems.push({ path: `${at}.data.${nodeId}`, message: 'no decision is scripted for this node to carry it' });
      continue;
    }
    const visits = Math.max(Array.isArray(decisions) ? decisions.length : 1, Array.isArray(data) ? data.length : 1);
    for (let visit = 1; visit <= visits; visit++) {
      const decision = forVisit(decisions, visit);
      const outcome = decision === undefined ? undefined : typeof decision === 'string' ? decision : decision.outcome;
      const given = forVisit(data, visit);
      // A visit nobody decides carries no data, and needs none.
      if (outcome === undefined || outcome === NO_DECISION) {
        if (given !== undefined && Array.isArray(data))
          problems.push({
            path: dataPath(at, nodeId, data, visit),
            message: 'nobody decides this visit: it takes no data',
          });
        continue;
      }
      problems.push(...checkFormData(node.data.form, given, outcome, dataPath(at, nodeId, data, visit)));
    }
  }
  return problems;
}

const dataPath = (at: string, nodeId: string, data: unknown, visit: number) =>
  `${at}.data.${nodeId}${Array.isArray(data) ? `[${visit - 1}]` : ''}`;

function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
