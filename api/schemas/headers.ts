/** Request headers the API documents and honours besides Authorization. */
import { z } from 'zod';

/**
 * `Idempotency-Key` (api/idempotency.ts): the same key with the same body answers the first result again,
 * with another body 409. Loose: every other header passes through untouched.
 */
export const IdempotencyHeaders = z
  .object({
    'idempotency-key': z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({
        description:
          'Makes the request safe to retry: repeated with the same body it answers the first result again (for IDEMPOTENCY_TTL, 24 h by default) and changes nothing more; with another body it answers 409.',
        examples: ['order-4711-approval'],
      }),
  })
  .loose();
