/**
 * The operator console (web/, built to web/dist by `npm start` or
 * scripts/build-console.ts): its hashed assets under /assets/, and its page
 * at `/` and at each of its own paths (the SPA fallback), so a reload or a
 * shared link of `/runs/<id>` opens the console there. The console's paths
 * are listed, not caught with `/*`: any other path keeps answering the API's
 * 404 problem, and /api, /hooks, /approve, /docs and the rest keep their
 * meaning.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../config';
import { HttpProblem } from './errors';

export const CONSOLE_DIST = path.join(projectRoot, 'web', 'dist');

/** The console's own paths: each answers its page; the page routes itself. */
export const CONSOLE_PAGES = [
  '/',
  '/runs/:runId',
  '/inbox',
  '/board',
  '/reports',
  '/dashboard',
  '/designer',
  '/designer/:workflowId',
] as const;
/** Every route this module registers (`METHOD /pattern`): pages, not API operations, so not in the OpenAPI document. */
export const CONSOLE_ROUTES: readonly string[] = [...CONSOLE_PAGES.map((page) => `GET ${page}`), 'GET /assets/*'];

/**
 * The page holds an API key in session storage: nothing but our own scripts may run on it, and no other site
 * may frame it. Inline style attributes are allowed because the graph library positions nodes with them.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

export async function consoleRoutes(app: FastifyInstance, options: { dist?: string } = {}): Promise<void> {
  const dist = options.dist ?? CONSOLE_DIST;
  const assets = path.join(dist, 'assets');
  // Only sendFile: the route below answers a missing file with the API's own 404 problem.
  // Each sendFile names its root (assets, which may not be built yet): the registered one is never read.
  await app.register(fastifyStatic, { root: projectRoot, serve: false });
  app.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    // The build writes flat, hashed names: anything else (a path, `..`) names no asset.
    if (!ASSET_NAME.test(name) || !existsSync(path.join(assets, name))) throw notFound(name);
    // Hashed file names: a file never changes under its name, so browsers may keep it.
    return reply
      .header('x-content-type-options', 'nosniff')
      .sendFile(name, assets, { immutable: true, maxAge: '365d' });
  });
  for (const page of CONSOLE_PAGES) {
    app.get(page, { schema: { hide: true } }, async (_request, reply) => {
      const html = await readFile(path.join(dist, 'index.html'), 'utf8').catch(() => undefined);
      if (html === undefined) throw notBuilt();
      return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
    });
  }
}

const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;
const notFound = (name: string) =>
  new HttpProblem(404, 'not-found', `No console asset "${name}". The console may have been rebuilt: reload the page.`);
const notBuilt = () =>
  new HttpProblem(
    503,
    'console-not-built',
    'The console is not built: `npm start` builds it, or run `npm run build:console`. The API under /api works without it.',
  );
