/** Every node type the server describes: click to add one at the canvas's centre, or drag it onto the canvas. */
import type { DragEvent } from 'react';
import type { Catalogue } from './catalogue';

const DRAG_TYPE = 'application/x-graphflow-node-type';

/** The node type a drop onto the canvas carries, when it is one the catalogue knows. */
export function droppedType(event: DragEvent, catalogue: Catalogue | null): string | undefined {
  const type = event.dataTransfer.getData(DRAG_TYPE);
  return catalogue?.has(type) ? type : undefined;
}

export function Palette({ catalogue, onAdd }: { catalogue: Catalogue | null; onAdd: (type: string) => void }) {
  return (
    <nav className="designer-palette" aria-label="Palette">
      {[...(catalogue?.values() ?? [])].map(({ type, help }) => (
        <button
          key={type}
          type="button"
          title={help}
          draggable
          onDragStart={(e) => e.dataTransfer.setData(DRAG_TYPE, type)}
          onClick={() => onAdd(type)}
          className={`palette-item type-${type}`}
        >
          {type}
        </button>
      ))}
    </nav>
  );
}
