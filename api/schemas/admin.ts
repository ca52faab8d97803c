/** Users, API keys and tenants as the admin routes answer them (api/routes/admin.ts, api/routes/users.ts). */
import { z } from 'zod';

const moment = z.iso.datetime({ offset: true });

export const User = z
  .strictObject({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    roles: z.array(z.string()),
    active: z.boolean(),
    createdAt: moment,
    deactivatedAt: moment.nullable(),
  })
  .meta({ id: 'User' });

export const UserList = z.strictObject({ items: z.array(User), nextCursor: z.null() }).meta({ id: 'UserPage' });

/** A key as listed: never the key itself, nor its hash. */
export const ApiKey = z
  .strictObject({
    id: z.uuid(),
    name: z.string().nullable(),
    prefix: z.string().meta({ description: "The key's first characters, to tell keys apart" }),
    userId: z.uuid(),
    userEmail: z.string(),
    isBootstrap: z.boolean(),
    createdAt: moment,
    lastUsedAt: moment.nullable().meta({ description: 'To the minute: written at most once a minute' }),
    expiresAt: moment.nullable(),
    revokedAt: moment.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const ApiKeyList = z.strictObject({ items: z.array(ApiKey), nextCursor: z.null() }).meta({ id: 'ApiKeyPage' });

export const CreatedApiKey = z
  .strictObject({
    id: z.uuid(),
    key: z.string().meta({ description: 'The key: shown this once, never again' }),
    userId: z.uuid(),
    name: z.string().nullable(),
    prefix: z.string(),
    createdAt: moment,
    expiresAt: moment.nullable(),
  })
  .meta({ id: 'CreatedApiKey' });

export const Tenant = z
  .strictObject({ id: z.uuid(), name: z.string(), isDefault: z.boolean(), createdAt: moment })
  .meta({ id: 'Tenant' });
export const TenantList = z.strictObject({ items: z.array(Tenant), nextCursor: z.null() }).meta({ id: 'TenantPage' });
export const CreatedTenant = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    adminUserId: z.uuid(),
    adminKey: z.string().meta({ description: "The new tenant's first admin key: shown this once" }),
  })
  .meta({ id: 'CreatedTenant' });
