/**
 * The checks publishing makes, run here without a server: the interpreter's validator (every problem at once, each
 * with its path) and the input schema's own check. Only what needs the tenant's data is left to the server (which
 * workflows a subworkflow node may call, the server's MAX_GRAPH_WORK), and publishing asks the server anyway.
 */
import { checkSchema } from '../runs/input-schema';
import { validateDefinition } from '../interpreter/validate';
import type { FileProblem, WorkflowFile } from './definition-file';

export interface DefinitionReport {
  errors: FileProblem[];
  warnings: FileProblem[];
}

const WORKFLOW_FIELDS = new Set(['name', 'description', 'category', 'tags']);

/**
 * The definition as a published version will hold it: the graph with the workflow's own fields beside it, with the
 * server's defaults and trimming (category `custom`, no tags), so it can be compared with a version as it is.
 */
export function definitionToPublish(workflow: WorkflowFile): Record<string, unknown> {
  return {
    ...workflow.definition,
    name: workflow.name,
    ...(workflow.description ? { description: workflow.description } : {}),
    category: workflow.category?.trim() || 'custom',
    tags: (workflow.tags ?? []).map((tag) => tag.trim()),
  };
}

export function checkDefinition(workflow: WorkflowFile): DefinitionReport {
  const result = validateDefinition(definitionToPublish(workflow));
  // Paths as they are in the file: a nested file keeps its graph under `definition.`.
  const inFile = (problem: FileProblem): FileProblem => {
    const head = problem.path.split(/[.[]/)[0] ?? '';
    const prefix = WORKFLOW_FIELDS.has(head) ? '' : workflow.graphPath;
    return { path: problem.path ? `${prefix}${problem.path}` : '(root)', message: problem.message };
  };
  return {
    errors: [...result.errors, ...checkSchema(workflow.definition.inputSchema)].map(inFile),
    warnings: result.warnings.map(inFile),
  };
}
