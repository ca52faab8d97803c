/**
 * The `nodes` a node inside a loop iteration reads: its iteration's own node outputs over its loops' over the run's,
 * as one read-only object. It used to be a copy of the run's outputs made for every node entered inside a loop, so
 * a run's cost grew with the square of its size (a 5,000-node graph spent most of its time copying). Lookups walk the
 * layers instead: as deep as the loops are nested, whatever the run's size.
 *
 * It reads as the copy did, for every way the engine reads an object (getPath's own-property test, templates'
 * Object.entries, JSON.stringify): the run's keys in their order, each with the innermost layer's value. Like the run's
 * own context outside loops, it is a view: it shows outputs that finish after it was made.
 */
import type { NodeState } from './port';

type Nodes = Record<string, NodeState>;

/** `base` (the run's outputs, which hold every node id that finished anywhere) under `layers`, innermost first. */
export function layeredNodes(base: Nodes, layers: readonly Nodes[]): Nodes {
  if (layers.every((layer) => Object.keys(layer).length === 0)) return base;
  const owner = (key: string | symbol): Nodes | undefined => {
    if (typeof key !== 'string') return undefined;
    for (const layer of layers) if (Object.hasOwn(layer, key)) return layer;
    return Object.hasOwn(base, key) ? base : undefined;
  };
  const refuse = () => {
    throw new TypeError('the nodes of a loop iteration are read-only');
  };
  return new Proxy(base, {
    get: (target, key) => {
      const layer = owner(key);
      return layer ? layer[key as string] : Reflect.get(target, key);
    },
    has: (target, key) => owner(key) !== undefined || Reflect.has(target, key),
    getOwnPropertyDescriptor: (_target, key) => {
      const layer = owner(key);
      if (!layer) return undefined;
      return { value: layer[key as string], writable: true, enumerable: true, configurable: true };
    },
    // Every layer's key is the run's too (a node's output goes to both), so the run's keys are all of them.
    ownKeys: (target) => Reflect.ownKeys(target),
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
    setPrototypeOf: refuse,
  });
}
