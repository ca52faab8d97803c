/**
 * Preview: the draft run through the dry run (`POST /api/workflows/:id/simulate`) with a decision chosen for each
 * approval, and the path it would take marked on the canvas. Nothing is sent, stored or started; the draft is saved
 * first, since the dry run reads the stored draft.
 */
import { useState } from 'react';
import type { components, GraphflowClient } from '../../../client';
import { need } from '../api';
import { handlesOf, useCatalogue } from './catalogue';
import type { StoredDefinition } from './graph-doc';
import type { Marks } from './marks';

type Report = components['schemas']['SimulationReport'];
const NOBODY = '';

/** The nodes the run passed and the edges it took: an edge from a passed node by a handle it left by, to a passed node. */
export function marksOf(report: Report, definition: StoredDefinition): Marks {
  const left = new Map<string, Set<string | null>>();
  for (const step of report.path) left.set(step.nodeId, (left.get(step.nodeId) ?? new Set()).add(step.handle));
  const waiting = new Set(report.waits.map((w) => w.nodeId));
  const nodes = new Map<string, string>();
  for (const id of left.keys()) nodes.set(id, waiting.has(id) ? 'path-waiting' : 'path-taken');
  for (const id of waiting) nodes.set(id, 'path-waiting');
  const edges = new Map<string, string>();
  definition.edges.forEach((edge, i) => {
    const handles = left.get(edge.source);
    const byHandle = edge.sourceHandle
      ? handles?.has(edge.sourceHandle)
      : handles && [...handles].some((h) => h !== 'error');
    if (byHandle && nodes.has(edge.target)) edges.set(edge.id ?? `e${i}`, 'path-taken');
  });
  return { nodes, edges };
}

interface Props {
  api: GraphflowClient;
  workflowId: string;
  current: () => StoredDefinition;
  /** Saves the draft when it has changed; answers what is stored. */
  saved: () => Promise<StoredDefinition>;
  onMarks: (marks: Marks) => void;
}

export function PreviewPanel({ api, workflowId, current, saved, onMarks }: Props) {
  const catalogue = useCatalogue();
  const [decisions, setDecisions] = useState<Record<string, string>>({});
  const [input, setInput] = useState('{}');
  const [report, setReport] = useState<Report | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const approvals = current().nodes.filter((n) => n.type === 'approval');

  const run = async () => {
    setProblem(null);
    try {
      const parsed: unknown = JSON.parse(input || '{}');
      const definition = await saved();
      const chosen = Object.fromEntries(Object.entries(decisions).filter(([, outcome]) => outcome !== NOBODY));
      const answer = await need(
        api.POST('/api/workflows/{id}/simulate', {
          params: { path: { id: workflowId } },
          body: { input: parsed, decisions: chosen },
        }),
      );
      setReport(answer);
      onMarks(marksOf(answer, definition));
    } catch (error) {
      setReport(null);
      setProblem((error as Error).message);
    }
  };

  return (
    <section className="designer-preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p className="muted">A dry run of the draft: nothing is sent, stored or started.</p>
      {approvals.map((node) => {
        const outcomes = handlesOf(catalogue.get('approval'), node.data ?? {}).filter((h): h is string => h !== null);
        const label = typeof node.data?.label === 'string' && node.data.label ? node.data.label : node.id;
        return (
          <div className="designer-field" key={node.id}>
            <label htmlFor={`decision-${node.id}`}>Decision at {label}</label>
            <select
              id={`decision-${node.id}`}
              value={decisions[node.id] ?? NOBODY}
              onChange={(e) => setDecisions((d) => ({ ...d, [node.id]: e.target.value }))}
            >
              <option value={NOBODY}>nobody decides</option>
              {outcomes.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </div>
        );
      })}
      <label htmlFor="preview-input">Preview input (JSON)</label>
      <textarea id="preview-input" rows={2} value={input} onChange={(e) => setInput(e.target.value)} />
      <button type="button" onClick={() => void run()}>
        Run preview
      </button>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {report && (
        <>
          <p className="designer-preview-outcome" aria-live="polite">
            The run would end <strong>{report.status}</strong>
            {report.waits.length > 0 && <> at {report.waits.map((w) => w.label || w.nodeId).join(', ')}</>}.
          </p>
          <ol aria-label="Preview path">
            {report.path.map((step) => (
              <li key={step.seq}>
                {step.label ?? step.nodeId} ({step.nodeType}): {step.status}
                {step.handle ? ` → ${step.handle}` : ''}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
