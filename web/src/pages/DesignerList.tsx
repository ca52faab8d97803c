/**
 * The workflows the designer can open, and "New workflow": a draft with one manual trigger, opened at once.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { Session } from '../App';
import { apiFor, need } from '../api';
import { TemplateGallery } from '../components/TemplateGallery';
import { when } from '../format';
import { Link, navigate } from '../router';

interface Row {
  id: string;
  name: string;
  status: string;
  latestVersion: number | null;
  updatedAt: string;
}

const STARTER = {
  nodes: [
    { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { label: 'Start', trigger: { type: 'manual' } } },
  ],
  edges: [],
};

export function DesignerList({ session }: { session: Session }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [gallery, setGallery] = useState(false);

  useEffect(() => {
    need(api.GET('/api/workflows', { params: { query: { limit: 100 } } }))
      .then((page) => setRows(page.items))
      .catch((error: Error) => setProblem(error.message));
  }, [api]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const created = await need(
        api.POST('/api/workflows', {
          body: { name: name.trim() || 'Untitled workflow', definition: STARTER as never },
        }),
      );
      navigate(`/designer/${encodeURIComponent(created.id)}`);
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  return (
    <section aria-labelledby="designer-list-title">
      <h1 id="designer-list-title">Designer</h1>
      <form className="designer-new" onSubmit={create}>
        <label htmlFor="new-workflow-name">Name</label>
        <input id="new-workflow-name" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit">New workflow</button>
        <button type="button" onClick={() => setGallery(true)}>
          New from template
        </button>
      </form>
      {gallery && <TemplateGallery session={session} onClose={() => setGallery(false)} />}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {rows === null ? (
        <p aria-live="polite">Loading workflows …</p>
      ) : rows.length === 0 ? (
        <p className="muted">No workflows yet.</p>
      ) : (
        <table className="runs">
          <thead>
            <tr>
              <th>Workflow</th>
              <th>Status</th>
              <th>Latest version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.id} data-workflow-id={w.id}>
                <td>
                  <Link href={`/designer/${encodeURIComponent(w.id)}`}>{w.name}</Link>
                </td>
                <td>{w.status}</td>
                <td>{w.latestVersion ?? '—'}</td>
                <td>{when(w.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
