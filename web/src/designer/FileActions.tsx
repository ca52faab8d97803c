/**
 * Export and import of a workflow file: the export document of `GET /api/workflows/:id/export` (format
 * graphflow.workflow/v1) carrying the definition on the canvas, and a file of that format, or a bare definition,
 * loaded onto the canvas as an edit to save.
 */
import { useRef, type ChangeEvent } from 'react';
import type { GraphflowClient } from '../../../client';
import { need } from '../api';
import type { StoredDefinition } from './graph-doc';

/** A workflow file's definition, or why the file is not one. */
export function definitionInFile(text: string): StoredDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Not a workflow file: ${(error as Error).message}`);
  }
  const candidate =
    parsed && typeof parsed === 'object' && 'definition' in parsed
      ? (parsed as { definition: unknown }).definition
      : parsed;
  const definition = candidate as Partial<StoredDefinition> | null;
  if (
    !definition ||
    typeof definition !== 'object' ||
    !Array.isArray(definition.nodes) ||
    !Array.isArray(definition.edges)
  )
    throw new Error('Not a workflow file: it holds no definition with nodes and edges.');
  if (!definition.nodes.every((n) => n && typeof n === 'object' && typeof n.id === 'string'))
    throw new Error('Not a workflow file: every node needs an id.');
  return definition as StoredDefinition;
}

function download(name: string, body: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

interface Props {
  api: GraphflowClient;
  workflowId: string;
  current: () => StoredDefinition;
  onImport: (definition: StoredDefinition, fileName: string) => void;
  onProblem: (message: string) => void;
}

export function FileActions({ api, workflowId, current, onImport, onProblem }: Props) {
  const picker = useRef<HTMLInputElement>(null);

  const onExport = async () => {
    try {
      const document = await need(api.GET('/api/workflows/{id}/export', { params: { path: { id: workflowId } } }));
      const fileName = document.name.replace(/[^A-Za-z0-9._-]+/g, '-').toLowerCase() || 'workflow';
      download(`${fileName}.json`, { ...document, definition: current() });
    } catch (error) {
      onProblem((error as Error).message);
    }
  };

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      onImport(definitionInFile(await file.text()), file.name);
    } catch (error) {
      onProblem((error as Error).message);
    }
  };

  return (
    <>
      <button type="button" onClick={() => void onExport()}>
        Export
      </button>
      <button type="button" onClick={() => picker.current?.click()}>
        Import
      </button>
      <input
        ref={picker}
        type="file"
        accept="application/json,.json"
        aria-label="Workflow file"
        hidden
        onChange={(e) => void onFile(e)}
      />
    </>
  );
}
