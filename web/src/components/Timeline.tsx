import type { Step } from '../api';
import { duration, when } from '../format';
import { StatusBadge } from './StatusBadge';

/** The run's steps in the order they started; each selects its node in the graph (the keyboard's way in). */
export function Timeline({
  steps,
  selected,
  onSelect,
}: {
  steps: Step[];
  selected: string | null;
  onSelect: (nodeId: string) => void;
}) {
  if (steps.length === 0) return <p className="muted">No step has started yet.</p>;
  return (
    <ol className="timeline">
      {steps.map((step) => (
        <li key={step.id} className={step.nodeId === selected ? 'selected' : undefined}>
          <button type="button" onClick={() => onSelect(step.nodeId)} aria-pressed={step.nodeId === selected}>
            <span className="step-label">{step.label ?? step.nodeId}</span>
            <StatusBadge status={step.status} />
            <span className="muted">
              {when(step.startedAt)} · {duration(step.durationMs)}
              {step.attempt > 1 ? ` · ${step.attempt} attempts` : ''}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
