/**
 * The node types as the server describes them (`GET /api/node-types`): the JSON Schema of each type's data, its help
 * and the rule its handles follow. The designer reads only this; interpreter/node-model.ts stays the one source.
 */
import { createContext, useContext } from 'react';
import type { components } from '../../../client';
import type { NodeData } from './node-types';

export type NodeTypeInfo = components['schemas']['NodeType'];
export type Catalogue = ReadonlyMap<string, NodeTypeInfo>;

export const catalogueOf = (items: NodeTypeInfo[]): Catalogue => new Map(items.map((item) => [item.type, item]));

/** The handles a node leaves by, by its type's rule; null is the default (unnamed) handle. */
export function handlesOf(info: NodeTypeInfo | undefined, data: NodeData): Array<string | null> {
  if (!info) return [];
  const rule = info.handles;
  switch (rule.rule) {
    case 'fixed':
      return rule.handles;
    case 'when-set':
      return data[rule.field] === undefined ? rule.unset : rule.set;
    case 'each-value': {
      const values = data[rule.field];
      const named = Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string' && v !== '') : [];
      return [...(named.length ? named : rule.default), ...rule.after];
    }
  }
}

/** Lets each node on the canvas find its type without threading the catalogue through React Flow's node data. */
export const CatalogueContext = createContext<Catalogue>(new Map());
export const useCatalogue = () => useContext(CatalogueContext);
