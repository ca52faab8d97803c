/**
 * The designer: a workflow's draft on a canvas. Add nodes from the palette (click, or drag onto the canvas),
 * connect a node's outcome handle to another node to add an edge, move and delete; the selected node's
 * properties are edited beside it, in fields generated from the node types the server describes. Save writes the
 * draft (PUT), Validate pins the server's problems on the nodes and edges they concern, Publish makes a version
 * (refused with the same list while the draft is invalid). Versions: history, visual diff, rollback; export, import.
 */
import {
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  useUpdateNodeInternals,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import type { Session } from '../App';
import { apiFor, need } from '../api';
import { CatalogueContext, catalogueOf, type Catalogue } from '../designer/catalogue';
import { templatePaths } from '../designer/completions';
import { NODE_VIEWS } from '../designer/DesignerNodeView';
import { NO_MARKS, withMarks, type Marks } from '../designer/marks';
import { droppedType, Palette } from '../designer/Palette';
import { PreviewPanel } from '../designer/PreviewPanel';
import { FileActions } from '../designer/FileActions';
import { publishDraft, writeDraft, type WorkflowMeta } from '../designer/draft-api';
import { useHistory, useUndoKeys } from '../designer/history';
import { laidOut } from '../designer/layout';
import {
  freshId,
  fromCanvas,
  toCanvasEdge,
  toCanvasNode,
  type DesignerEdge,
  type DesignerNode,
  type Problem,
  type StoredDefinition,
} from '../designer/graph-doc';
import { initialData, type NodeData } from '../designer/node-types';
import { PropertyPanel } from '../designer/PropertyPanel';
import { pinProblems } from '../designer/problems';
import { ProblemList } from '../designer/ProblemList';
import { RunStarter } from '../designer/RunStarter';
import { VersionsPanel } from '../designer/VersionsPanel';
import { Link } from '../router';
import '../designer/designer.css';

const PRO_OPTIONS = { hideAttribution: true };
const DELETE_KEYS = ['Backspace', 'Delete'];
const EMPTY_CATALOGUE: Catalogue = new Map();
/** Not below half size: a big graph opens readable, around its centre, and only what is in view is drawn. */
const FIT_VIEW = { maxZoom: 1, minZoom: 0.5 };

function DesignerCanvas({ session, workflowId }: { session: Session; workflowId: string }) {
  const api = useMemo(() => apiFor(session.key), [session.key]);
  const flow = useReactFlow<DesignerNode, DesignerEdge>();
  const updateNodeInternals = useUpdateNodeInternals();
  const [meta, setMeta] = useState<WorkflowMeta | null>(null);
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [panel, setPanel] = useState<'versions' | 'preview' | null>(null);
  const [base, setBase] = useState<StoredDefinition | null>(null);
  const [nodes, setNodes, onNodesChange] = useNodesState<DesignerNode>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<DesignerEdge>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ text: string; ok: boolean } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [problems, setProblems] = useState<{ errors: Problem[]; warnings: Problem[]; of: StoredDefinition } | null>(
    null,
  );
  const [changeDescription, setChangeDescription] = useState('');
  const markDirty = useCallback(() => setDirty(true), []);
  const history = useHistory(markDirty);
  const { remember, undo, redo } = history;

  useUndoKeys(undo, redo);

  const show = useCallback(
    (definition: StoredDefinition) => {
      setBase(definition);
      setNodes(definition.nodes.map(toCanvasNode));
      setEdges(definition.edges.map(toCanvasEdge));
    },
    [setNodes, setEdges],
  );

  const load = useCallback(async () => {
    const [workflow, types] = await Promise.all([
      need(api.GET('/api/workflows/{id}', { params: { path: { id: workflowId } } })),
      need(api.GET('/api/node-types')),
    ]);
    setCatalogue(catalogueOf(types.items));
    setMeta(workflow);
    show(workflow.definition as StoredDefinition);
    setDirty(false);
  }, [api, workflowId, show]);

  useEffect(() => {
    load().catch((error: Error) => setProblem(error.message));
  }, [load]);

  // Selecting and measuring are not edits; everything else the canvas reports is.
  const nodesChanged = useCallback(
    (changes: NodeChange<DesignerNode>[]) => {
      onNodesChange(changes);
      if (changes.some((c) => c.type !== 'select' && c.type !== 'dimensions')) setDirty(true);
      if (changes.some((c) => c.type === 'remove' && c.id === selected)) setSelected(null);
    },
    [onNodesChange, selected],
  );
  const edgesChanged = useCallback(
    (changes: EdgeChange<DesignerEdge>[]) => {
      onEdgesChange(changes);
      if (changes.some((c) => c.type !== 'select')) setDirty(true);
    },
    [onEdgesChange],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      remember();
      setEdges((current) => {
        const id = freshId(
          'e',
          current.map((e) => e.id),
        );
        const stored = {
          id,
          source: connection.source,
          target: connection.target,
          ...(connection.sourceHandle ? { sourceHandle: connection.sourceHandle } : {}),
        };
        return [...current, toCanvasEdge(stored, current.length)];
      });
      setDirty(true);
    },
    [setEdges, remember],
  );

  const addNode = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      const pane = document.querySelector('.designer-canvas')?.getBoundingClientRect();
      const position =
        at ??
        flow.screenToFlowPosition({
          x: (pane ? pane.left + pane.width / 2 : 300) + (nodes.length % 5) * 24,
          y: (pane ? pane.top + pane.height / 2 : 200) + (nodes.length % 5) * 24,
        });
      const id = freshId(
        type,
        nodes.map((n) => n.id),
      );
      const label = type[0]!.toUpperCase() + type.slice(1);
      const node = toCanvasNode({ id, type, position, data: initialData(type, label) });
      remember();
      // Only the nodes that were selected change: the others keep their objects and do not re-render.
      const unselected = (n: DesignerNode) => (n.selected ? { ...n, selected: false } : n);
      setNodes((current) => [...current.map(unselected), { ...node, selected: true }]);
      setSelected(id);
      setDirty(true);
    },
    [flow, nodes, setNodes, remember],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = droppedType(event, catalogue);
      if (!type) return;
      event.preventDefault();
      addNode(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [addNode, flow, catalogue],
  );

  const changeData = useCallback(
    (id: string, data: NodeData) => {
      remember(`data:${id}`);
      setNodes((current) =>
        current.map((n) => (n.id === id ? { ...n, data: { ...n.data, stored: { ...n.data.stored, data } } } : n)),
      );
      // Outcomes may have changed, and with them the node's handles.
      requestAnimationFrame(() => updateNodeInternals(id));
      setDirty(true);
    },
    [setNodes, updateNodeInternals, remember],
  );

  const deleteNode = useCallback(
    (id: string) => {
      remember();
      setNodes((current) => current.filter((n) => n.id !== id));
      setEdges((current) => current.filter((e) => e.source !== id && e.target !== id));
      setSelected(null);
      setDirty(true);
    },
    [setNodes, setEdges, remember],
  );

  // The same functions every render: React Flow hands them to every node, which would otherwise all re-render.
  const canvasEvents = useMemo(
    () => ({
      onNodeDragStart: () => remember(),
      onBeforeDelete: async () => {
        remember();
        return true;
      },
      onNodeClick: (_event: unknown, node: DesignerNode) => setSelected(node.id),
      onPaneClick: () => setSelected(null),
    }),
    [remember],
  );

  const autoLayout = () => {
    remember();
    setNodes(laidOut(flow.getNodes(), flow.getEdges()));
    setDirty(true);
    requestAnimationFrame(() => void flow.fitView(FIT_VIEW));
  };

  const current = () => fromCanvas(base ?? { nodes: [], edges: [] }, flow.getNodes(), flow.getEdges());

  const imported = (definition: StoredDefinition, fileName: string) => {
    remember();
    show(definition);
    setSelected(null);
    setDirty(true);
    setStatus({ text: `Imported ${fileName}: save to keep it.`, ok: true });
  };

  /** Writes the draft; answers what was stored (what validation and publish will read). */
  const save = async (): Promise<StoredDefinition> => {
    if (!meta || !base) throw new Error('The draft is not loaded.');
    const stored = await writeDraft(api, workflowId, meta, fromCanvas(base, nodes, edges));
    setBase(stored);
    setDirty(false);
    return stored;
  };

  // An unchanged draft is not written again: a viewer may validate what it cannot save.
  const savedDraft = async (): Promise<StoredDefinition> => (dirty || !base ? save() : base);

  const showProblems = (errors: Problem[], warnings: Problem[], of: StoredDefinition) => {
    setProblems({ errors, warnings, of });
    const pinned = pinProblems(errors, of, flow.getNodes(), flow.getEdges());
    setNodes(pinned.nodes);
    setEdges(pinned.edges);
  };

  const mark = (marks: Marks) => {
    const marked = withMarks(flow.getNodes(), flow.getEdges(), marks);
    setNodes(marked.nodes);
    setEdges(marked.edges);
  };

  const act = (what: () => Promise<string | { text: string; ok: boolean }>) => async () => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    try {
      const outcome = await what();
      setStatus(typeof outcome === 'string' ? { text: outcome, ok: true } : outcome);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const onSave = act(async () => {
    await save();
    return 'Draft saved.';
  });

  const onValidate = act(async () => {
    const stored = await savedDraft();
    const report = await need(api.POST('/api/workflows/{id}/validate', { params: { path: { id: workflowId } } }));
    showProblems(report.errors, report.warnings, stored);
    return report.valid
      ? 'The draft is valid.'
      : { text: `The draft has ${report.errors.length} problem(s).`, ok: false };
  });

  const onPublish = act(async () => {
    const stored = await savedDraft();
    const published = await publishDraft(api, workflowId, changeDescription.trim());
    if (published.refused) {
      showProblems(published.errors, [], stored);
      throw new Error('Not published: the draft is invalid (problems listed below).');
    }
    showProblems([], [], stored);
    setChangeDescription('');
    setMeta((m) => (m ? { ...m, latestVersion: published.version } : m));
    return published.unchanged
      ? `Nothing new: the draft equals version ${published.version}.`
      : `Published version ${published.version}.`;
  });

  if (problem && !meta)
    return (
      <p role="alert" className="error">
        {problem}
      </p>
    );
  if (!meta) return <p aria-live="polite">Loading the draft …</p>;

  const selectedNode = nodes.find((n) => n.id === selected);
  return (
    <CatalogueContext.Provider value={catalogue ?? EMPTY_CATALOGUE}>
      <article className="designer" aria-labelledby="designer-title">
        <header className="designer-head">
          <h1 id="designer-title">
            {meta.name}{' '}
            <span className="muted">{meta.latestVersion ? `v${meta.latestVersion} published` : 'draft'}</span>
            {dirty && <span className="muted"> · unsaved changes</span>}
          </h1>
          <div className="designer-actions" role="group" aria-label="Draft actions">
            <button type="button" onClick={onSave} disabled={busy}>
              Save
            </button>
            <button type="button" onClick={undo} disabled={!history.canUndo}>
              Undo
            </button>
            <button type="button" onClick={redo} disabled={!history.canRedo}>
              Redo
            </button>
            <button type="button" onClick={autoLayout}>
              Auto-layout
            </button>
            <button type="button" onClick={onValidate} disabled={busy}>
              Validate
            </button>
            <input
              aria-label="Change description"
              placeholder="What changed"
              value={changeDescription}
              onChange={(e) => setChangeDescription(e.target.value)}
            />
            <button type="button" onClick={onPublish} disabled={busy}>
              Publish
            </button>
            {(['versions', 'preview'] as const).map((name) => (
              <button
                key={name}
                type="button"
                aria-pressed={panel === name}
                onClick={() => {
                  if (panel === 'preview') mark(NO_MARKS);
                  setPanel((open) => (open === name ? null : name));
                }}
              >
                {name === 'versions' ? 'Versions' : 'Preview'}
              </button>
            ))}
            <FileActions
              api={api}
              workflowId={workflowId}
              current={current}
              onImport={imported}
              onProblem={setProblem}
            />
          </div>
          {meta.latestVersion !== null && <RunStarter api={api} workflowId={workflowId} />}
          {status && (
            <p role="status" className={`designer-status ${status.ok ? 'ok' : 'not-ok'}`}>
              {status.text}
            </p>
          )}
          {problem && (
            <p role="alert" className="error">
              {problem}
            </p>
          )}
        </header>
        <div className="designer-body">
          <Palette catalogue={catalogue} onAdd={addNode} />
          <div className="designer-canvas" onDrop={onDrop} onDragOver={(e) => e.preventDefault()}>
            <ReactFlow<DesignerNode, DesignerEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_VIEWS}
              onNodesChange={nodesChanged}
              onEdgesChange={edgesChanged}
              onConnect={onConnect}
              onNodeDragStart={canvasEvents.onNodeDragStart}
              onBeforeDelete={canvasEvents.onBeforeDelete}
              onNodeClick={canvasEvents.onNodeClick}
              onPaneClick={canvasEvents.onPaneClick}
              deleteKeyCode={DELETE_KEYS}
              fitView
              fitViewOptions={FIT_VIEW}
              onlyRenderVisibleElements
              proOptions={PRO_OPTIONS}
              minZoom={0.1}
            >
              <Background />
              <Controls />
            </ReactFlow>
          </div>
          <aside className="designer-side">
            {selectedNode ? (
              <PropertyPanel
                node={selectedNode.data.stored}
                problems={selectedNode.data.problems}
                paths={() => templatePaths(current(), selectedNode.id)}
                onChange={(data) => changeData(selectedNode.id, data)}
                onDelete={() => deleteNode(selectedNode.id)}
              />
            ) : (
              <p className="muted">Select a node to edit its properties.</p>
            )}
          </aside>
        </div>
        {problems && <ProblemList {...problems} />}
        {panel === 'preview' && (
          <PreviewPanel api={api} workflowId={workflowId} current={current} saved={savedDraft} onMarks={mark} />
        )}
        {panel === 'versions' && (
          <VersionsPanel
            api={api}
            workflowId={workflowId}
            draft={current}
            dirty={dirty}
            latestVersion={meta.latestVersion}
            onRolledBack={(text) => {
              setStatus({ text, ok: true });
              load().catch((error: Error) => setProblem(error.message));
            }}
          />
        )}
        <p>
          <Link href="/designer">← All workflows</Link>
        </p>
      </article>
    </CatalogueContext.Provider>
  );
}

export function Designer({ session, workflowId }: { session: Session; workflowId: string }) {
  return (
    <ReactFlowProvider>
      <DesignerCanvas key={workflowId} session={session} workflowId={workflowId} />
    </ReactFlowProvider>
  );
}
