/** Starts a run of the latest published version from the designer, with its input as JSON, and opens its page. */
import { useState } from 'react';
import type { GraphflowClient } from '../../../client';
import { need } from '../api';
import { navigate } from '../router';

export function RunStarter({ api, workflowId }: { api: GraphflowClient; workflowId: string }) {
  const [input, setInput] = useState('{}');
  const [problem, setProblem] = useState<string | null>(null);
  const start = async () => {
    setProblem(null);
    try {
      const parsed: unknown = JSON.parse(input || '{}');
      const started = await need(
        api.POST('/api/workflows/{id}/runs', {
          params: { path: { id: workflowId } },
          body: { input: parsed as Record<string, unknown> },
        }),
      );
      navigate(`/runs/${encodeURIComponent(started.runId)}`);
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  return (
    <details className="designer-run">
      <summary>Start a run</summary>
      <label htmlFor="run-input">Run input (JSON)</label>
      <textarea id="run-input" rows={3} value={input} onChange={(e) => setInput(e.target.value)} />
      <button type="button" onClick={() => void start()}>
        Start run
      </button>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </details>
  );
}
