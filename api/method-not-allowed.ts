/**
 * 405 for a method a path lacks (TRACE, or DELETE on a list): Fastify's router only knows "no route", so the
 * routes are remembered as they register, and the not-found handler asks which methods the path does have.
 * A path no route matches stays a 404.
 */
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './errors';

/** Fastify's `/a/:id/*` as a whole-path pattern: a parameter is one non-empty segment, `*` the rest. */
function patternOf(url: string): RegExp {
  const body = url
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) =>
      segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${body}/?$`);
}

/** Starts remembering routes (call before any route registers); answers the methods a concrete path has. */
export function trackRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    routes.push({
      pattern: patternOf(route.url),
      methods: ([] as string[]).concat(route.method).map((m) => m.toUpperCase()),
    });
  });
  return (path) => {
    const methods = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    return [...methods].sort();
  };
}

/** The 405 problem for a path that has other methods. */
export const methodNotAllowed = (method: string, path: string, allowed: string[]) =>
  new HttpProblem(405, 'method-not-allowed', `${path} does not answer ${method}; it answers ${allowed.join(', ')}.`);
