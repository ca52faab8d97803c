/**
 * The only description of the platform's tables. Migrations under
 * db/migrations are generated from this file by drizzle-kit
 * (`npm run db:generate`) and committed; the two reporting views are a
 * hand-written migration and appear here as `.existing()` views.
 *
 * Every row carries its tenant, so every query can be scoped to one.
 */

export * from './schema/statuses';
export * from './schema/access';
export * from './schema/clients';
export * from './schema/definitions';
export * from './schema/runs';
export * from './schema/reports';
