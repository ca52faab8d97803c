/**
 * Rate limits (`RATE_LIMIT_PER_MINUTE`, 0 = off): per API key on /api, per
 * client address on /hooks and /approve, which anyone may call. Past the
 * limit: 429 problem+json with `Retry-After`. Health, /openapi.json and /docs
 * are not limited.
 *
 * The counters live in this process's memory: behind several API processes
 * each counts on its own (the effective limit is the sum), and a restart
 * forgets them. The address is the socket's peer, so behind a reverse proxy
 * every client shares the proxy's bucket unless Fastify is told to trust it.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config';
import { hashKey } from './auth';
import { HttpProblem } from './errors';

/** The bucket a request counts against, or undefined for routes that are not limited. */
export function rateLimitBucket(request: FastifyRequest): string | undefined {
  // The route Fastify matched, not the raw URL, which `%61pi` or `//` would disguise.
  const route = request.routeOptions.url;
  if (route === undefined) return undefined;
  if (route.startsWith('/api/')) {
    const authorization = request.headers.authorization;
    // Keyed by the key's hash, never the key itself: the limiter's memory holds nothing a thief could use.
    return authorization ? `key:${hashKey(authorization.replace(/^Bearer\s+/i, ''))}` : `address:${request.ip}`;
  }
  if (route.startsWith('/hooks/') || route.startsWith('/approve/')) return `address:${request.ip}`;
  return undefined;
}

/**
 * Installs the limiter as an application hook, so it must be called before the access check is installed:
 * a flood with one key is cut before each of its requests looks the key up in the database.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config): Promise<void> {
  if (config.rateLimitPerMinute === 0) return;
  await app.register(rateLimit, { global: false });
  app.addHook(
    'onRequest',
    app.rateLimit({
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => rateLimitBucket(request) ?? 'unlimited',
      allowList: (request) => rateLimitBucket(request) === undefined,
      errorResponseBuilder: (_request, context) =>
        new HttpProblem(
          429,
          'rate-limited',
          `More than ${context.max} requests a minute; retry after ${context.after}. Nothing was done.`,
        ),
    }),
  );
}
