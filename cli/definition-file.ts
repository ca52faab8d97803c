/**
 * Definitions as code: a JSON or YAML file per workflow. Two shapes are read:
 *
 *  - flat, like examples/: `name`, `description`, `category`, `tags`, `isTemplate` and an optional `id` beside the
 *    graph itself (`nodes`, `edges`, `inputSchema`, `configuration`, …);
 *  - nested, like an export document: the same fields, and the graph under `definition`.
 *
 * A file is matched to a workflow on the server by its `id` when it has one, otherwise by its name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { CliError } from './errors';

export interface WorkflowFile {
  file: string;
  id?: string;
  name: string;
  description?: string;
  category?: string;
  tags?: string[];
  isTemplate?: boolean;
  /** The graph: nodes, edges, inputSchema, configuration and whatever else the draft carries. */
  definition: Record<string, unknown>;
  /** Where the graph sits in the file (`definition.` when nested), so problems point at the file's own lines. */
  graphPath: string;
}

export interface FileProblem {
  path: string;
  message: string;
}

const DEFINITION_EXTENSIONS = ['.json', '.yaml', '.yml'];
/** Fields of the file that describe the workflow rather than its graph. */
const METADATA = [
  'id',
  'name',
  'description',
  'category',
  'tags',
  'isTemplate',
  'format',
  'exportedVersion',
  'versions',
] as const;

export function isDefinitionFile(file: string): boolean {
  return DEFINITION_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** The definition files a path names: the file itself, or every JSON and YAML file directly in the folder, by name. */
export function definitionFiles(target: string): string[] {
  let stats;
  try {
    stats = statSync(target);
  } catch {
    throw new CliError(`${target}: no such file or folder`);
  }
  if (!stats.isDirectory()) return [target];
  const files = readdirSync(target)
    .filter(isDefinitionFile)
    .sort()
    .map((name) => path.join(target, name));
  if (!files.length) throw new CliError(`${target} holds no .json, .yaml or .yml files`);
  return files;
}

/** A JSON or YAML file's content; a syntax error names the file and where in it. */
export function readDataFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (path.extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  // YAML is a superset of JSON, so a file named otherwise (an input.txt, a pipe) is read as YAML.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length) {
    throw new CliError(
      `${file} is not valid YAML`,
      document.errors.map((e) => e.message.split('\n')[0]!),
    );
  }
  return document.toJS({ maxAliasCount: 100 }) as unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a definition file into its workflow fields and graph, or lists every problem of its shape. */
export function readWorkflowFile(file: string): { workflow?: WorkflowFile; problems: FileProblem[] } {
  const content = readDataFile(file);
  if (!isObject(content))
    return { problems: [{ path: '(root)', message: 'a definition file holds one object (name, nodes, edges, …)' }] };
  const problems: FileProblem[] = [];
  const { name, id, description, category, tags, isTemplate } = content;
  if (typeof name !== 'string' || !name.trim()) problems.push({ path: 'name', message: 'every workflow needs a name' });
  if (id !== undefined && (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)))
    problems.push({ path: 'id', message: "id, when given, is the workflow's UUID on the server" });
  if (description !== undefined && description !== null && typeof description !== 'string')
    problems.push({ path: 'description', message: 'description is text' });
  if (category !== undefined && typeof category !== 'string')
    problems.push({ path: 'category', message: 'category is text' });
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')))
    problems.push({ path: 'tags', message: 'tags is a list of texts' });
  if (isTemplate !== undefined && typeof isTemplate !== 'boolean')
    problems.push({ path: 'isTemplate', message: 'isTemplate is true or false' });

  const nested = 'definition' in content;
  if (nested && !isObject(content.definition))
    problems.push({ path: 'definition', message: 'definition is an object holding nodes and edges' });
  if (problems.length) return { problems };

  const definition = nested
    ? (content.definition as Record<string, unknown>)
    : Object.fromEntries(Object.entries(content).filter(([key]) => !(METADATA as readonly string[]).includes(key)));
  return {
    problems,
    workflow: {
      file,
      ...(typeof id === 'string' ? { id: id.toLowerCase() } : {}),
      name: (name as string).trim(),
      ...(typeof description === 'string' && description ? { description } : {}),
      ...(typeof category === 'string' ? { category } : {}),
      ...(Array.isArray(tags) ? { tags: tags as string[] } : {}),
      ...(typeof isTemplate === 'boolean' ? { isTemplate } : {}),
      definition,
      graphPath: nested ? 'definition.' : '',
    },
  };
}

/** The file's workflow, or a CliError listing every problem of its shape. */
export function loadWorkflowFile(file: string): WorkflowFile {
  const { workflow, problems } = readWorkflowFile(file);
  if (!workflow)
    throw new CliError(
      `${file} is not a workflow definition`,
      problems.map((p) => `${p.path}: ${p.message}`),
    );
  return workflow;
}
