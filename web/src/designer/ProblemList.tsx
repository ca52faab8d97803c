/** The last validation's problems and warnings, each with the node or edge it concerns. */
import type { Problem, StoredDefinition } from './graph-doc';
import { problemPlace } from './problems';

export function ProblemList({
  errors,
  warnings,
  of,
}: {
  errors: Problem[];
  warnings: Problem[];
  of: StoredDefinition;
}) {
  if (errors.length === 0 && warnings.length === 0) return null;
  return (
    <section className="designer-problems" aria-labelledby="problems-title">
      <h2 id="problems-title">Problems</h2>
      <ul aria-label="Validation problems">
        {errors.map((p, i) => (
          <li key={`e${i}`} className="error">
            <strong>{problemPlace(p, of)}</strong>: {p.message}
          </li>
        ))}
        {warnings.map((p, i) => (
          <li key={`w${i}`} className="warning">
            <strong>{problemPlace(p, of)}</strong> (warning): {p.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
