/**
 * Zod pieces for the numbers and ids requests carry, bounded by what the
 * database columns hold: a version above 2^31-1 or an id that is not a UUID is
 * a 400 naming the field, never an error from PostgreSQL.
 */
import { z } from 'zod';
import { MAX_EDGES, MAX_INT32 as PG_INT_MAX, MAX_NODES } from '../interpreter/schema';

/** A version number in a JSON body. */
export const versionNumber = z.number().int().min(1).max(PG_INT_MAX, `a version number is at most ${PG_INT_MAX}`);

/** A version number in a path (`/versions/:n`). */
export const versionParam = z.coerce.number().int().min(1).max(PG_INT_MAX, `a version number is at most ${PG_INT_MAX}`);

/** An id column's value: anything else cannot name a row, so it is refused before a query is made. */
export const uuidOf = (what: string) => z.uuid(`must be ${what} id (a UUID)`);

const jsonObject = z.record(z.string(), z.unknown());

/**
 * A draft's definition as create, replace and import take it. A draft may be unfinished (validate and publish
 * list what is missing), but where an object belongs it is an object: a node or edge that is `null` is a 400.
 */
export const DraftDefinition = z
  .object({
    nodes: z.array(z.object({ data: jsonObject.optional(), position: jsonObject.optional() }).loose()).max(MAX_NODES),
    edges: z.array(z.object({}).loose()).max(MAX_EDGES),
  })
  .loose();

/** A moment in a query (`from`, `to`): ISO 8601 with an offset, in the years PostgreSQL's timestamps hold. */
export const isoMoment = z.iso.datetime({ offset: true }).refine((text) => {
  const year = new Date(text).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, 'a date from the year 1 to 9999');

/**
 * A name or label a person types: at most `max` characters as sent (the documented maxLength), then trimmed,
 * and not empty once trimmed.
 */
export const label = (max: number) => z.string().max(max).trim().min(1);

/**
 * An email address within the limits of RFC 5321, which JSON Schema's `email` format applies: 64 before the @, 254 in
 * all.
 */
export const emailAddress = z
  .email()
  .max(254)
  .refine((address) => address.split('@')[0]!.length <= 64, 'the part before the @ is at most 64 characters');
