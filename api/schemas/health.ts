/**
 * The documented answers of `/healthz` and `/readyz` (api/routes/health.ts), kept here so that file stays about the
 * checks.
 */
import { z } from 'zod';
import { answer, withProblems } from './problem';

export const healthzSchema = {
  operationId: 'healthz',
  summary: 'Liveness: the process answers',
  tags: ['health'],
  security: [],
  response: { 200: answer('Alive', z.object({ status: z.literal('ok') }).meta({ id: 'Health' })) },
};

export const readyzSchema = {
  operationId: 'readyz',
  summary: 'Readiness: PostgreSQL and Temporal are reachable',
  tags: ['health'],
  security: [],
  response: withProblems(
    {
      200: answer(
        'Ready; `checks` names each service',
        z
          .object({ status: z.string(), checks: z.record(z.string(), z.unknown()) })
          .loose()
          .meta({ id: 'Readiness' }),
      ),
    },
    [503],
    { publicRoute: true },
  ),
};
