/**
 * Validation at publish (definition-format.md, "Validation at publish"):
 * every problem at once, each with its path, never only the first. It never
 * throws, whatever it is given.
 */
import { z } from 'zod';
import { checkCondition } from './conditions';
import { isDuration } from './durations';
import { graphOf, parseGraph, type TypedGraph } from './graph';
import { checkGraphWork } from './graph-work';
import { CONDITION_ISSUE, handlesOf, handlesOfUnparsed, type TypedNode, TypedNodeSchema } from './node-model';
import { formatPath, type Problem } from './problems';
import { isConditional, onHandle } from './route';
import { type Definition, DefinitionSchema, isNodeType, NODE_TYPES, type NodeType, WORK_TYPES } from './schema';
import { integrationSchema } from './integrations';
import { checkExpression, CONTEXT_ROOTS, findExpressions } from './templates';

export { formatPath, type Problem } from './problems';

export interface ValidationResult {
  valid: boolean;
  errors: Problem[];
  warnings: Problem[];
  /** The parsed definition when the structure was readable: what is stored (its own shape, unknown keys kept). */
  definition?: Definition;
  /** The typed graph a run walks, when the definition is valid. */
  graph?: TypedGraph;
}

/** Facts about the world that validation needs but cannot look up itself. */
export interface ValidationEnvironment {
  /** The id of the workflow being validated (to refuse a subworkflow that calls itself). */
  selfId?: string;
  /** Ids of workflows a subworkflow may name (this tenant's published ones); unchecked when absent. */
  knownWorkflowIds?: ReadonlySet<string>;
  /** The most node runs a run of this graph may make in the worst case (MAX_GRAPH_WORK). */
  maxGraphWork?: number;
}

/** What a trigger's `input` and `idempotencyKey` templates read. */
const DELIVERY_ROOTS: ReadonlySet<string> = new Set(['body', 'headers', 'query', 'event']);
const CONTEXT_ROOT_NAMES: ReadonlySet<string> = new Set(CONTEXT_ROOTS);

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$|^[A-Za-z]{3}(-[A-Za-z]{3})?$/;

export function isCron(text: string): boolean {
  const t = text.trim();
  if (/^@every\s+\S+$/.test(t)) return isDuration(t.replace(/^@every\s+/, ''));
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(t)) return true;
  const fields = t.split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
}

export function validateDefinition(input: unknown, env: ValidationEnvironment = {}): ValidationResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const parsed = DefinitionSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push({ path: formatPath(issue.path), message: issue.message });
    return { valid: false, errors, warnings };
  }
  const def = parsed.data;
  // Each node's data, typed once; the checks below read the typed node where its data parsed.
  const typedNodes = def.nodes.map((node) => (isNodeType(node.type) ? TypedNodeSchema.safeParse(node) : undefined));
  const typedAt = (i: number): TypedNode | undefined => {
    const result = typedNodes[i];
    return result?.success ? result.data : undefined;
  };
  // A loop's `as` names its element, a root templates may read.
  const loopNames = new Set<string>();
  def.nodes.forEach((_node, i) => {
    const node = typedAt(i);
    if (node?.type !== 'loop' || node.data.as === undefined) return;
    const name = node.data.as;
    if (CONTEXT_ROOT_NAMES.has(name) && name !== 'item' && !loopNames.has(name)) {
      errors.push({
        path: `nodes[${i}].data.as`,
        message: `"${name}" is already a context root; name the element something else`,
      });
    }
    loopNames.add(name);
  });

  const configuration = def.configuration ?? {};
  if (configuration.timeout !== undefined && !isDuration(configuration.timeout)) {
    errors.push({
      path: 'configuration.timeout',
      message: `"${configuration.timeout}" is not a duration (e.g. "30d", "48h", "P7D")`,
    });
  }
  for (const key of ['initialInterval', 'maximumInterval'] as const) {
    const v = configuration.retry?.[key];
    if (v !== undefined && !isDuration(v))
      errors.push({ path: `configuration.retry.${key}`, message: `"${v}" is not a duration` });
  }

  const nodeIds = new Set<string>();
  const nodeIndex = new Map<string, number>();
  def.nodes.forEach((node, i) => {
    if (nodeIds.has(node.id)) errors.push({ path: `nodes[${i}].id`, message: `duplicate node id "${node.id}"` });
    nodeIds.add(node.id);
    if (!nodeIndex.has(node.id)) nodeIndex.set(node.id, i);
  });
  const edgeIds = new Set<string>();
  def.edges.forEach((edge, i) => {
    if (edgeIds.has(edge.id)) errors.push({ path: `edges[${i}].id`, message: `duplicate edge id "${edge.id}"` });
    edgeIds.add(edge.id);
    if (!nodeIds.has(edge.source))
      errors.push({
        path: `edges[${i}].source`,
        message: `edge "${edge.id}" starts at node "${edge.source}", which does not exist`,
      });
    if (!nodeIds.has(edge.target))
      errors.push({
        path: `edges[${i}].target`,
        message: `edge "${edge.id}" ends at node "${edge.target}", which does not exist`,
      });
    if (edge.condition !== undefined && edge.condition !== null) {
      errors.push(...checkCondition(edge.condition, `edges[${i}].condition`));
    }
    for (const { path, expression } of findExpressions(edge.condition, `edges[${i}].condition`)) {
      const why = checkExpression(expression, nodeIds, loopNames);
      if (why) errors.push({ path, message: why });
    }
  });

  if (!def.nodes.some((n) => n.type === 'trigger'))
    errors.push({ path: 'nodes', message: 'no trigger node: a workflow starts at a node of type "trigger"' });

  // Each node's edges out, found once: scanning every edge for every node made a 5,000-node graph take seconds.
  const edgesOut = new Map<string, Array<{ e: Definition['edges'][number]; j: number }>>();
  def.edges.forEach((e, j) => {
    const list = edgesOut.get(e.source);
    if (list) list.push({ e, j });
    else edgesOut.set(e.source, [{ e, j }]);
  });

  def.nodes.forEach((node, i) => {
    const at = `nodes[${i}]`;
    const type = node.type;
    const typed = typedNodes[i];
    if (!isNodeType(type) || !typed) {
      errors.push({ path: `${at}.type`, message: `unknown node type "${node.type}"; one of ${NODE_TYPES.join(', ')}` });
      return;
    }
    const data = node.data;
    if (!typed.success) {
      for (const issue of typed.error.issues) {
        // A condition's problems are reported in detail, each with its path, by checkCondition below.
        if (!isConditionIssue(issue))
          errors.push({ path: formatPath(['nodes', i, ...issue.path]), message: issue.message });
      }
    }
    if (type === 'trigger') {
      // A trigger's input mapping reads the delivery (body, headers, query), not the run.
      for (const { path, expression } of findExpressions(data, `${at}.data`)) {
        const root = expression.split(/[.[]/)[0] ?? '';
        if (expression === '\u0000unbalanced' || !DELIVERY_ROOTS.has(root))
          errors.push({
            path,
            message:
              expression === '\u0000unbalanced'
                ? 'unbalanced `{{` or `}}` in template'
                : `\`{{ ${expression} }}\`: a trigger's templates read the delivery: body, headers or query`,
          });
      }
    } else {
      for (const { path, expression } of findExpressions(data, `${at}.data`)) {
        const why = checkExpression(expression, nodeIds, loopNames);
        if (why) errors.push({ path, message: why });
        else if (expression.trim().startsWith('secrets.') && !WORK_TYPES.has(type)) {
          errors.push({
            path,
            message: `secrets may only be used in the config of nodes that do work (action http, integration, notification), not in a ${type}`,
          });
        }
      }
    }
    checkNodeData(type, data, at, errors, env);

    // Handles and the ways out.
    const handles = typed.success ? handlesOf(typed.data) : handlesOfUnparsed(node);
    const outgoing = edgesOut.get(node.id) ?? [];
    if (type === 'end') {
      for (const { j } of outgoing)
        errors.push({
          path: `edges[${j}].source`,
          message: `an end node ("${node.id}") has no way out, so edges may not leave it`,
        });
    } else {
      for (const { e, j } of outgoing) {
        const handle = e.sourceHandle ?? null;
        // Unknown handles (its data says which it has, and that did not parse: reported already) are not checked.
        if (handles && handle !== null && !handles.includes(handle)) {
          errors.push({
            path: `edges[${j}].sourceHandle`,
            message: `node "${node.id}" (${type}) has no handle "${handle}"; it leaves by ${handles.map((h) => h ?? '(default)').join(', ')}`,
          });
        }
      }
      const leavesNormally = outgoing.some(({ e }) => (e.sourceHandle ?? null) !== 'error');
      if (!leavesNormally)
        errors.push({
          path: at,
          message: `node "${node.id}" has no way to leave: add an edge from it (only end nodes may stop a branch)`,
        });
      for (const handle of handles ?? []) {
        const edges = onHandle(
          outgoing.map(({ e }) => e),
          handle,
        );
        const conditional = edges.filter(isConditional);
        if (conditional.length > 0 && conditional.length !== edges.length) {
          errors.push({
            path: at,
            message: `node "${node.id}" mixes conditional and unconditional edges on handle ${handle ?? '(default)'}`,
          });
        }
        if (edges.filter((e) => e.isDefault === true).length > 1) {
          errors.push({
            path: at,
            message: `node "${node.id}" has more than one default edge on handle ${handle ?? '(default)'}`,
          });
        }
        if (handle !== null && handle !== 'error' && edges.length === 0 && outgoing.length > 0) {
          warnings.push({
            path: at,
            message: `node "${node.id}" has no edge for outcome "${handle}": a run leaving by it ends that branch`,
          });
        }
      }
      if (!WORK_TYPES.has(type) && (data.retry !== undefined || data.timeout !== undefined)) {
        warnings.push({
          path: at,
          message: `retry and timeout apply to nodes that do work; "${node.id}" (${type}) ignores them`,
        });
      }
    }
  });

  // Reachability from the triggers.
  const reached = new Set<string>();
  const queue = def.nodes.filter((n) => n.type === 'trigger').map((n) => n.id);
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (reached.has(id)) continue;
    reached.add(id);
    for (const { e } of edgesOut.get(id) ?? []) if (!reached.has(e.target)) queue.push(e.target);
  }
  def.edges.forEach((e, j) => {
    const target = def.nodes[nodeIndex.get(e.target) ?? -1];
    if (target?.type === 'trigger')
      errors.push({
        path: `edges[${j}].target`,
        message: `edge "${e.id}" leads into trigger "${e.target}"; a trigger only starts a run`,
      });
  });
  if (reached.size > 0) {
    def.nodes.forEach((node, i) => {
      if (!reached.has(node.id))
        errors.push({ path: `nodes[${i}]`, message: `node "${node.id}" cannot be reached from a trigger` });
    });
  }
  errors.push(...checkGraphWork(def, env.maxGraphWork));
  if (errors.length > 0) return { valid: false, errors, warnings, definition: def };
  // Every check above passed, so every node parsed: its typed form is the graph's (parsing 5,000 nodes again was a
  // fifth of a big graph's validation).
  const typed = def.nodes.map((_node, i) => typedAt(i));
  const graph = typed.every((n) => n !== undefined) ? graphOf(def, typed) : parseGraph(def);
  if (!graph.ok) return { valid: false, errors: graph.problems, warnings, definition: def };
  return { valid: true, errors, warnings, definition: def, graph: graph.graph };
}

function isConditionIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.[CONDITION_ISSUE] === true;
}

const AnyRecord = z.record(z.string(), z.unknown());

/** A value read as an object, or an empty one: cross-field checks read data that may not have parsed. */
function asRecord(value: unknown): Record<string, unknown> {
  const parsed = AnyRecord.safeParse(value);
  return parsed.success ? parsed.data : {};
}

/**
 * Rules across fields of a node's data. They read the data as given, not as typed: a node with one bad field
 * still gets every other problem reported. Single fields (durations, retry, outcomes) are the node model's.
 */
function checkNodeData(
  type: NodeType,
  data: Record<string, unknown>,
  at: string,
  errors: Problem[],
  env: ValidationEnvironment,
): void {
  switch (type) {
    case 'trigger': {
      const trigger = asRecord(data.trigger);
      if (trigger.type === 'webhook' && typeof trigger.path !== 'string')
        errors.push({ path: `${at}.data.trigger.path`, message: 'a webhook trigger needs a path' });
      if (trigger.type === 'webhook' && typeof trigger.secretRef !== 'string')
        errors.push({
          path: `${at}.data.trigger.secretRef`,
          message: 'a webhook trigger needs a secretRef: unsigned deliveries are refused',
        });
      if (trigger.type === 'schedule') {
        if (typeof trigger.cron !== 'string')
          errors.push({
            path: `${at}.data.trigger.cron`,
            message: 'a schedule trigger needs a cron expression or "@every <duration>"',
          });
        else if (!isCron(trigger.cron))
          errors.push({
            path: `${at}.data.trigger.cron`,
            message: `"${trigger.cron}" is not a cron expression (five fields, or "@every 5m")`,
          });
      }
      if (trigger.type === 'event' && typeof trigger.event !== 'string')
        errors.push({ path: `${at}.data.trigger.event`, message: 'an event trigger needs an event name' });
      if (trigger.condition !== undefined)
        errors.push(...checkCondition(trigger.condition, `${at}.data.trigger.condition`));
      break;
    }
    case 'condition':
      if (data.condition !== undefined) errors.push(...checkCondition(data.condition, `${at}.data.condition`));
      break;
    case 'integration': {
      const { provider, label: _l, retry: _r, timeout: _t, ...config } = data;
      const parsed = typeof provider === 'string' ? integrationSchema(provider)?.safeParse(config) : undefined;
      if (parsed && !parsed.success)
        for (const issue of parsed.error.issues)
          errors.push({ path: formatPath([at, 'data', ...issue.path]), message: issue.message });
      break;
    }
    case 'approval': {
      const roles = Array.isArray(data.approverRoles) ? data.approverRoles : [];
      const users = Array.isArray(data.approverUsers) ? data.approverUsers : [];
      if (roles.length + users.length === 0)
        errors.push({ path: `${at}.data`, message: 'an approval needs approvers: approverRoles or approverUsers' });
      if (typeof data.quorum === 'number' && users.length > 0 && roles.length === 0 && data.quorum > users.length) {
        errors.push({
          path: `${at}.data.quorum`,
          message: `quorum ${data.quorum} is more than the ${users.length} named approvers`,
        });
      }
      break;
    }
    case 'delay':
      if ((data.duration === undefined) === (data.until === undefined))
        errors.push({ path: `${at}.data`, message: 'a delay needs exactly one of duration or until' });
      break;
    case 'subworkflow':
      if (typeof data.workflowId === 'string') {
        if (env.selfId && data.workflowId === env.selfId)
          errors.push({ path: `${at}.data.workflowId`, message: 'a workflow may not call itself as a subworkflow' });
        else if (env.knownWorkflowIds && !env.knownWorkflowIds.has(data.workflowId))
          errors.push({
            path: `${at}.data.workflowId`,
            message: `workflow "${data.workflowId}" does not exist or has no published version`,
          });
      }
      break;
    default:
      break;
  }
}
