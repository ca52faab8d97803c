/** The draft's round trips: writing it (PUT keeps the workflow's name and labels) and publishing it. */
import type { GraphflowClient } from '../../../client';
import { need } from '../api';
import type { Problem, StoredDefinition } from './graph-doc';

export interface WorkflowMeta {
  name: string;
  description: string | null;
  category: string;
  tags: string[];
  isTemplate: boolean;
  latestVersion: number | null;
}

/** Writes the draft; answers what was stored (what validation and publish will read). */
export async function writeDraft(
  api: GraphflowClient,
  workflowId: string,
  meta: WorkflowMeta,
  definition: StoredDefinition,
): Promise<StoredDefinition> {
  const saved = await need(
    api.PUT('/api/workflows/{id}', {
      params: { path: { id: workflowId } },
      body: {
        name: meta.name,
        ...(meta.description !== null ? { description: meta.description } : {}),
        category: meta.category,
        tags: meta.tags,
        isTemplate: meta.isTemplate,
        definition: definition as never,
      },
    }),
  );
  return saved.definition as StoredDefinition;
}

export type Published = { refused: false; version: number; unchanged: boolean } | { refused: true; errors: Problem[] };

/** Publishes the stored draft: a new version, or (422) the problems that refuse it. */
export async function publishDraft(
  api: GraphflowClient,
  workflowId: string,
  changeDescription: string,
): Promise<Published> {
  const { data, error, response } = await api.POST('/api/workflows/{id}/publish', {
    params: { path: { id: workflowId } },
    body: changeDescription ? { changeDescription } : {},
  });
  if (response.status === 422)
    return { refused: true, errors: (error as { errors?: Problem[] } | undefined)?.errors ?? [] };
  const published = await need(Promise.resolve({ data, error, response }));
  return { refused: false, version: published.version, unchanged: published.unchanged };
}
