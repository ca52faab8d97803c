/** Keyset pagination over (created_at desc, id desc): `?limit=&cursor=` → `{ items, nextCursor }`. */
import { type AnyColumn, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { badRequest } from './errors';

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
};

export interface Cursor {
  createdAt: Date;
  /** The moment as the cursor holds it: to the microsecond when the list gave it so (`cursorAt`). */
  at: string;
  id: string;
}

/**
 * A row a page ends on. `cursorAt` is its moment to the microsecond (PostgreSQL's precision): a cursor cut to the
 * millisecond would skip the rows created earlier in that same millisecond.
 */
export interface PageRow {
  createdAt: Date;
  id: string;
  cursorAt?: string;
}

export function encodeCursor(row: PageRow): string {
  return Buffer.from(JSON.stringify([row.cursorAt ?? row.createdAt.toISOString(), row.id])).toString('base64url');
}

/** An ISO 8601 UTC moment with up to microseconds: what encodeCursor writes, and all decodeCursor lets through. */
const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** The moment to the microsecond, in the form the cursor carries (`cursorAt` of a PageRow). */
export const cursorMoment = (column: AnyColumn) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(cursor: string | undefined, uuidIds = false): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // Only what the columns can hold: a year PostgreSQL stores, an id without NUL, and a UUID where the ids are UUIDs.
    const year = date.getUTCFullYear();
    if (
      typeof createdAt !== 'string' ||
      !MOMENT.test(createdAt) ||
      // A day the month has not (Feb 30) rolls over in JavaScript but fails in PostgreSQL.
      date.toISOString().slice(0, 19) !== createdAt.slice(0, 19) ||
      !(year >= 1 && year <= 9999) ||
      typeof id !== 'string' ||
      id.includes('\u0000') ||
      (uuidIds && !UUID.test(id))
    )
      throw new Error('bad cursor');
    return { createdAt: date, at: createdAt, id };
  } catch {
    throw badRequest('The cursor is not one this API gave out.', [
      { path: 'querystring.cursor', message: 'unknown cursor' },
    ]);
  }
}

/** Takes one row more than asked, to know whether a next page exists. */
export function page<T extends PageRow>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/**
 * Rows after the cursor in (created_at desc, id desc) order; undefined when there is no cursor. A row comparison,
 * not `a < x or (a = x and b < y)`: PostgreSQL starts an index scan on (…, created_at, id) at the cursor with it,
 * so the thousandth page costs what the first does.
 */
export function afterCursor(createdAt: AnyColumn, id: AnyColumn, cursor: string | undefined): SQL | undefined {
  const uuidIds = (id as { columnType?: string }).columnType === 'PgUUID';
  const c = decodeCursor(cursor, uuidIds);
  if (!c) return undefined;
  return sql`(${createdAt}, ${id}) < (${c.at}::timestamptz, ${uuidIds ? sql`${c.id}::uuid` : sql`${c.id}::text`})`;
}
