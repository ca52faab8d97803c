/** What the client and template routes answer (api/routes/clients.ts, api/routes/templates.ts). */
import { z } from 'zod';

export const Client = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    contactEmail: z.string().nullable(),
    notes: z.string().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'Client', description: 'An organisation the tenant runs work for' });

export const Template = z
  .strictObject({
    id: z.string().meta({
      description:
        'A shipped template\'s id (e.g. "shipped:purchase-order"), or the id of a workflow marked isTemplate',
    }),
    source: z.enum(['shipped', 'workflow']),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    tags: z.array(z.string()),
    nodeCount: z.number().int().min(0),
  })
  .meta({ id: 'Template' });

export const TemplateList = z
  .strictObject({ items: z.array(Template), nextCursor: z.null() })
  .meta({ id: 'TemplateList', description: "Every template: the shipped ones first, then the tenant's, by name" });
