/**
 * A workflow's published versions: the history, a visual diff between any two of them (or one and the draft on the
 * canvas), and rollback, which publishes an earlier version's definition again as the next version and makes it the
 * draft (api-contract.md, "Definitions").
 */
import { useCallback, useEffect, useState } from 'react';
import type { components, GraphflowClient } from '../../../client';
import { need } from '../api';
import { when } from '../format';
import { DiffCanvas } from './DiffCanvas';
import { diffDefinitions, type GraphDiff } from './diff';
import type { StoredDefinition } from './graph-doc';

type VersionSummary = components['schemas']['VersionSummary'];
const DRAFT = 'draft';

interface Props {
  api: GraphflowClient;
  workflowId: string;
  /** The draft as the canvas holds it now. */
  draft: () => StoredDefinition;
  /** Rollback replaces the draft: not while the canvas holds unsaved changes. */
  dirty: boolean;
  /** Bumped by the designer after each publish, so the list follows. */
  latestVersion: number | null;
  onRolledBack: (message: string) => void;
}

export function VersionsPanel({ api, workflowId, draft, dirty, latestVersion, onRolledBack }: Props) {
  const [versions, setVersions] = useState<VersionSummary[] | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState(DRAFT);
  const [diff, setDiff] = useState<{ diff: GraphDiff; title: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    const page = await need(api.GET('/api/workflows/{id}/versions', { params: { path: { id: workflowId } } }));
    setVersions(page.items);
    setFrom((current) => current || String(page.items[0]?.version ?? ''));
  }, [api, workflowId]);

  useEffect(() => {
    load().catch((error: Error) => setProblem(error.message));
  }, [load, latestVersion]);

  const definitionOf = async (which: string): Promise<StoredDefinition> => {
    if (which === DRAFT) return draft();
    const version = await need(
      api.GET('/api/workflows/{id}/versions/{n}', { params: { path: { id: workflowId, n: Number(which) } } }),
    );
    return version.definition as unknown as StoredDefinition;
  };

  const name = (which: string) => (which === DRAFT ? 'the draft' : `version ${which}`);

  const compare = async () => {
    setProblem(null);
    try {
      const [older, newer] = await Promise.all([definitionOf(from), definitionOf(to)]);
      setDiff({ diff: diffDefinitions(older, newer), title: `From ${name(from)} to ${name(to)}` });
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  const rollback = async (version: number) => {
    setProblem(null);
    try {
      const rolled = await need(
        api.POST('/api/workflows/{id}/versions/{n}/rollback', {
          params: { path: { id: workflowId, n: version } },
          body: {},
        }),
      );
      await load();
      // The diff shown compared what the draft was.
      setDiff(null);
      onRolledBack(
        rolled.unchanged
          ? `Version ${version} is the latest already.`
          : `Rolled back: version ${rolled.version} is a copy of version ${version}.`,
      );
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  if (versions === null) return <p aria-live="polite">Loading versions …</p>;
  const choices = versions.map((v) => String(v.version));
  return (
    <section className="designer-versions" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {versions.length === 0 ? (
        <p className="muted">Nothing published yet.</p>
      ) : (
        <>
          <table className="runs" aria-label="Version history">
            <thead>
              <tr>
                <th>Version</th>
                <th>Published</th>
                <th>Change</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <td>
                    v{v.version}
                    {v.isRollbackVersion && <span className="muted"> (rollback)</span>}
                  </td>
                  <td>{when(v.createdAt)}</td>
                  <td>{v.changeDescription ?? '—'}</td>
                  <td>
                    <button
                      type="button"
                      disabled={dirty}
                      title={dirty ? 'Save or undo your changes first: rollback replaces the draft' : undefined}
                      onClick={() => void rollback(v.version)}
                    >
                      Roll back to v{v.version}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="designer-compare" role="group" aria-label="Compare versions">
            <label htmlFor="compare-from">Compare</label>
            <select id="compare-from" value={from} onChange={(e) => setFrom(e.target.value)}>
              {choices.map((c) => (
                <option key={c} value={c}>{`v${c}`}</option>
              ))}
            </select>
            <label htmlFor="compare-to">with</label>
            <select id="compare-to" value={to} onChange={(e) => setTo(e.target.value)}>
              <option value={DRAFT}>the draft</option>
              {choices.map((c) => (
                <option key={c} value={c}>{`v${c}`}</option>
              ))}
            </select>
            <button type="button" onClick={() => void compare()}>
              Show differences
            </button>
          </div>
        </>
      )}
      {diff && <DiffCanvas {...diff} />}
    </section>
  );
}
