/**
 * The template library: the templates shipped with the platform (examples/*.json, read once at start) and every
 * workflow of the tenant marked `isTemplate`. Using a template makes a new draft of its definition; the template
 * itself never changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { projectRoot } from '../../config';
import type { Db } from '../../db/client';
import { workflows } from '../../db/schema';
import { NotFound } from '../../lib/domain-errors';

export const SHIPPED_DIR = path.join(projectRoot, 'examples');
/** A shipped template's id: the prefix keeps it apart from workflow ids (UUIDs), whatever the file is called. */
const SHIPPED_PREFIX = 'shipped:';

export interface TemplateSummary {
  id: string;
  source: 'shipped' | 'workflow';
  name: string;
  description: string | null;
  category: string;
  tags: string[];
  nodeCount: number;
}

/** What a new draft made from a template is made of. */
export interface TemplateContent {
  name: string;
  description: string | null;
  category: string;
  tags: string[];
  definition: Record<string, unknown>;
}

interface Shipped extends TemplateContent {
  id: string;
}

/** A file of examples/ as a template: the flat form (name, description, category, tags beside the graph). */
function shippedFrom(file: string, text: string): Shipped {
  const {
    name,
    description,
    category,
    tags,
    isTemplate: _t,
    id: _id,
    ...definition
  } = JSON.parse(text) as Record<string, unknown>;
  if (typeof name !== 'string' || !Array.isArray(definition.nodes) || !Array.isArray(definition.edges))
    throw new Error(`examples/${file} is not a definition (name, nodes, edges)`);
  return {
    id: `${SHIPPED_PREFIX}${path.basename(file, '.json')}`,
    name,
    description: typeof description === 'string' ? description : null,
    category: typeof category === 'string' ? category : 'custom',
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
    definition,
  };
}

/** Reads the shipped templates from a folder; a file that is not a definition fails the start, not a request. */
export function readShippedTemplates(dir = SHIPPED_DIR): Shipped[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => shippedFrom(file, readFileSync(path.join(dir, file), 'utf8')));
}

let shippedCache: Shipped[] | undefined;
/** The shipped templates, read on first use and kept: they change only with a release. */
export const shippedTemplates = (): Shipped[] => (shippedCache ??= readShippedTemplates());

const summaryOf = (t: Shipped): TemplateSummary => ({
  id: t.id,
  source: 'shipped',
  name: t.name,
  description: t.description,
  category: t.category,
  tags: t.tags,
  nodeCount: (t.definition.nodes as unknown[]).length,
});

const nodeCount = (definition: unknown) => {
  const nodes = (definition as { nodes?: unknown } | null)?.nodes;
  return Array.isArray(nodes) ? nodes.length : 0;
};

/** Every template the tenant can use: the shipped ones, then its own, each by name. */
export async function listTemplates(db: Db, tenantId: string): Promise<TemplateSummary[]> {
  const own = await db
    .select()
    .from(workflows)
    .where(and(eq(workflows.tenantId, tenantId), eq(workflows.isTemplate, true)))
    .orderBy(asc(workflows.name), asc(workflows.id))
    .limit(500);
  return [
    ...shippedTemplates()
      .map(summaryOf)
      .sort((a, b) => a.name.localeCompare(b.name)),
    ...own.map((w): TemplateSummary => ({
      id: w.id,
      source: 'workflow',
      name: w.name,
      description: w.description,
      category: w.category,
      tags: w.tags,
      nodeCount: nodeCount(w.workflowData),
    })),
  ];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The content of the template `id`: a shipped one, or the tenant's own workflow marked isTemplate; else 404. */
export async function templateContent(db: Db, tenantId: string, id: string): Promise<TemplateContent> {
  const shipped = shippedTemplates().find((t) => t.id === id);
  if (shipped) return structuredClone(shipped);
  if (UUID.test(id)) {
    const row = (
      await db
        .select()
        .from(workflows)
        .where(and(eq(workflows.id, id), eq(workflows.tenantId, tenantId), eq(workflows.isTemplate, true)))
        .limit(1)
    )[0];
    if (row)
      return {
        name: row.name,
        description: row.description,
        category: row.category,
        tags: row.tags,
        definition: row.workflowData as Record<string, unknown>,
      };
  }
  throw new NotFound('Template', id);
}
