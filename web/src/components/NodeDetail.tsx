import type { Step } from '../api';
import { duration, json, when } from '../format';
import { STATE_LABELS, type NodeState } from './RunGraph';
import { StatusBadge } from './StatusBadge';

/** What one node did in this run: every visit, with its input, output, error, attempts and duration. */
export function NodeDetail({
  nodeId,
  label,
  state,
  steps,
}: {
  nodeId: string;
  label: string;
  state: NodeState;
  steps: Step[];
}) {
  return (
    <section className="node-detail" aria-labelledby="node-detail-title" tabIndex={-1}>
      <h2 id="node-detail-title">
        {label} <span className="muted">({nodeId})</span>
      </h2>
      <p>
        State: <span className={`badge state-${state}`}>{STATE_LABELS[state]}</span>
      </p>
      {steps.length === 0 && <p className="muted">This node has not run.</p>}
      {steps.map((step) => (
        <details key={step.id} open={step === steps.at(-1)}>
          <summary>
            Visit {step.visit} · <StatusBadge status={step.status} /> · attempt {step.attempt} ·{' '}
            {duration(step.durationMs)}
          </summary>
          <dl>
            <dt>Started</dt>
            <dd>{when(step.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{when(step.completedAt)}</dd>
            {step.handle && (
              <>
                <dt>Left by</dt>
                <dd>{step.handle}</dd>
              </>
            )}
          </dl>
          <h3>Input</h3>
          <pre>{json(step.input)}</pre>
          <h3>Output</h3>
          <pre>{json(step.output)}</pre>
          {step.error !== null && step.error !== undefined && (
            <>
              <h3>Error</h3>
              <pre className="error">{json(step.error)}</pre>
            </>
          )}
        </details>
      ))}
    </section>
  );
}
