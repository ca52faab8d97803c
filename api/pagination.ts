/** Keyset pagination over (created_at desc, id desc): `?limit=&cursor=` → `{ items, nextCursor }`. */
import { and, type AnyColumn, eq, lt, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { badRequest } from './errors';

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
};

export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(cursor: string | undefined, uuidIds = false): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // Only what the columns can hold: a year PostgreSQL stores, an id without NUL, and a UUID where the ids are UUIDs.
    const year = date.getUTCFullYear();
    if (!(year >= 1 && year <= 9999) || typeof id !== 'string' || id.includes('\u0000') || (uuidIds && !UUID.test(id)))
      throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw badRequest('The cursor is not one this API gave out.', [
      { path: 'querystring.cursor', message: 'unknown cursor' },
    ]);
  }
}

/** Takes one row more than asked, to know whether a next page exists. */
export function page<T extends { createdAt: Date; id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** Rows after the cursor in (created_at desc, id desc) order; undefined when there is no cursor. */
export function afterCursor(createdAt: AnyColumn, id: AnyColumn, cursor: string | undefined): SQL | undefined {
  const c = decodeCursor(cursor, (id as { columnType?: string }).columnType === 'PgUUID');
  if (!c) return undefined;
  return or(lt(createdAt, c.createdAt), and(eq(createdAt, c.createdAt), lt(id, c.id)));
}
