/**
 * The file `graphflow export` writes for each workflow and `graphflow import` reads: the workflow's fields, its draft
 * and every published version's definition, oldest first. It is also a nested definition file, so `validate` and
 * `publish` read it too (they take its draft).
 */
import type { Workflow } from './workflows';
import type { Version } from './workflows';

export const TRANSFER_FORMAT = 'graphflow.cli-export/v1';

export interface TransferDocument {
  format: typeof TRANSFER_FORMAT;
  /** The workflow's id where it was exported from: how other workflows' subworkflow nodes name it. */
  id: string;
  name: string;
  description: string | null;
  category: string;
  tags: string[];
  isTemplate: boolean;
  status: Workflow['status'];
  definition: Record<string, unknown>;
  versions: Array<{
    version: number;
    changeDescription: string | null;
    isRollbackVersion: boolean;
    createdAt: string;
    definition: Record<string, unknown>;
  }>;
}

export function transferDocument(workflow: Workflow, versions: Version[]): TransferDocument {
  return {
    format: TRANSFER_FORMAT,
    id: workflow.id,
    name: workflow.name,
    description: workflow.description,
    category: workflow.category,
    tags: workflow.tags,
    isTemplate: workflow.isTemplate,
    status: workflow.status,
    definition: (workflow.definition ?? {}) as Record<string, unknown>,
    versions: versions.map((v) => ({
      version: v.version,
      changeDescription: v.changeDescription,
      isRollbackVersion: v.isRollbackVersion,
      createdAt: v.createdAt,
      definition: (v.definition ?? {}) as Record<string, unknown>,
    })),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The document's problems of shape, each with its path; none when it can be imported. */
export function transferProblems(value: unknown): string[] {
  if (!isObject(value)) return ['(root): not an object'];
  const problems: string[] = [];
  if (value.format !== TRANSFER_FORMAT)
    problems.push(`format: expected "${TRANSFER_FORMAT}" (a file graphflow export wrote)`);
  if (typeof value.name !== 'string' || !value.name.trim()) problems.push('name: every workflow needs a name');
  if (typeof value.id !== 'string') problems.push("id: the exported workflow's id is missing");
  if (!isObject(value.definition)) problems.push('definition: the draft is missing');
  if (!Array.isArray(value.versions)) problems.push('versions: the list of published versions is missing');
  else
    value.versions.forEach((v, i) => {
      if (!isObject(v) || !isObject(v.definition)) problems.push(`versions[${i}].definition: missing`);
    });
  return problems;
}

/** Ids of other workflows the document's subworkflow nodes call, in its draft or any version. */
export function calledWorkflowIds(document: TransferDocument): Set<string> {
  const ids = new Set<string>();
  for (const graph of [document.definition, ...document.versions.map((v) => v.definition)]) {
    for (const node of Array.isArray(graph.nodes) ? graph.nodes : []) {
      const data = isObject(node) && node.type === 'subworkflow' && isObject(node.data) ? node.data : undefined;
      if (typeof data?.workflowId === 'string' && data.workflowId !== document.id) ids.add(data.workflowId);
    }
  }
  return ids;
}

/** A graph whose subworkflow nodes call the workflows by their ids in the tenant imported into. */
export function withCalledIds(
  graph: Record<string, unknown>,
  newIds: ReadonlyMap<string, string>,
): Record<string, unknown> {
  if (!Array.isArray(graph.nodes)) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((node: unknown) => {
      if (
        !isObject(node) ||
        node.type !== 'subworkflow' ||
        !isObject(node.data) ||
        typeof node.data.workflowId !== 'string'
      )
        return node;
      const id = newIds.get(node.data.workflowId);
      return id ? { ...node, data: { ...node.data, workflowId: id } } : node;
    }),
  };
}

/** Exported documents ordered so that a workflow comes after those it calls (a cycle keeps the given order). */
export function calleesFirst(documents: TransferDocument[]): TransferDocument[] {
  const byId = new Map(documents.map((d) => [d.id, d]));
  const ordered: TransferDocument[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (document: TransferDocument) => {
    if (state.get(document.id)) return;
    state.set(document.id, 'visiting');
    for (const id of calledWorkflowIds(document)) {
      const callee = byId.get(id);
      if (callee) visit(callee);
    }
    state.set(document.id, 'done');
    ordered.push(document);
  };
  documents.forEach(visit);
  return ordered;
}
