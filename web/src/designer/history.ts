/**
 * Undo and redo for the canvas: a snapshot of its nodes and edges taken before each edit. Keystrokes in one field
 * of one node make one step, not one per key (a step remembered under the same key as the last is skipped).
 */
import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DesignerEdge, DesignerNode } from './graph-doc';

interface Snapshot {
  nodes: DesignerNode[];
  edges: DesignerEdge[];
}

const LIMIT = 100;

export function useHistory(onRestore: () => void) {
  const flow = useReactFlow<DesignerNode, DesignerEdge>();
  const past = useRef<Snapshot[]>([]);
  const future = useRef<Snapshot[]>([]);
  const lastKey = useRef<string | undefined>(undefined);
  // Re-renders the buttons when what can be undone changes.
  const [, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);

  const snapshot = (): Snapshot => ({ nodes: flow.getNodes(), edges: flow.getEdges() });

  const remember = useCallback(
    (key?: string) => {
      if (key !== undefined && key === lastKey.current) return;
      lastKey.current = key;
      past.current = [...past.current.slice(-(LIMIT - 1)), snapshot()];
      future.current = [];
      bump();
    },
    [flow],
  );

  const step = (from: { current: Snapshot[] }, to: { current: Snapshot[] }) => {
    const previous = from.current.at(-1);
    if (!previous) return;
    from.current = from.current.slice(0, -1);
    to.current = [...to.current, snapshot()];
    lastKey.current = undefined;
    flow.setNodes(previous.nodes);
    flow.setEdges(previous.edges);
    onRestore();
    bump();
  };

  return {
    remember,
    undo: useCallback(() => step(past, future), [flow, onRestore]),
    redo: useCallback(() => step(future, past), [flow, onRestore]),
    canUndo: past.current.length > 0,
    canRedo: future.current.length > 0,
  };
}

/** Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y on the canvas; in a text field they stay the field's own undo. */
export function useUndoKeys(undo: () => void, redo: () => void) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      if ((event.target as HTMLElement | null)?.closest('input, textarea, select, [contenteditable]')) return;
      const key = event.key.toLowerCase();
      if (key === 'z' && !event.shiftKey) undo();
      else if ((key === 'z' && event.shiftKey) || key === 'y') redo();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);
}
