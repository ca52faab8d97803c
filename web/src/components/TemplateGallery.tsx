/**
 * "New from template": the template library (GET /api/templates: shipped templates and the tenant's own) as cards;
 * choosing one makes a new draft from it (POST /api/templates/:id/use) and opens it in the designer.
 */
import { useEffect, useMemo, useState } from 'react';
import type { Session } from '../App';
import { apiFor, need } from '../api';
import type { components } from '../../../client';
import { navigate } from '../router';
import './template-gallery.css';

type Template = components['schemas']['Template'];

export function TemplateGallery({ session, onClose }: { session: Session; onClose: () => void }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    need(api.GET('/api/templates'))
      .then((list) => setTemplates(list.items))
      .catch((error: Error) => setProblem(error.message));
  }, [api]);

  const use = async (template: Template) => {
    try {
      const draft = await need(
        api.POST('/api/templates/{id}/use', { params: { path: { id: template.id } }, body: {} }),
      );
      navigate(`/designer/${encodeURIComponent(draft.id)}`);
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  return (
    <section className="template-gallery" aria-labelledby="template-gallery-title">
      <h2 id="template-gallery-title">New from a template</h2>
      <button type="button" onClick={onClose}>
        Close
      </button>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {templates === null ? (
        <p aria-live="polite">Loading templates …</p>
      ) : (
        <ul>
          {templates.map((t) => (
            <li key={t.id} data-template-id={t.id}>
              <h3>{t.name}</h3>
              <p className="muted">
                {t.source === 'shipped' ? 'Shipped' : 'Your template'} · {t.nodeCount} nodes · {t.category}
              </p>
              {t.description && <p>{t.description}</p>}
              <button type="button" onClick={() => void use(t)} aria-label={`Use the template ${t.name}`}>
                Use
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
