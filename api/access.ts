/**
 * Access control for every route, in one hook: the route Fastify matched
 * (never the raw URL, which `%61pi` or `//` would disguise) is looked up in the
 * permission matrix (api/permissions.ts); a key is required unless the route
 * is public, and its roles must be among those the route allows. A route the
 * matrix does not name is refused to everyone.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client';
import { authenticate } from './auth';
import { forbidden } from './errors';
import type { JwtVerifier } from './jwt-verifier';
import { permissionFor, permissionKey, rolesAllow } from './permissions';

/** Refuses a request the matrix does not allow; sets `request.caller` for every route that needs a key. */
async function checkAccess(db: Db, request: FastifyRequest, jwt: JwtVerifier | undefined): Promise<void> {
  const url = request.routeOptions.url;
  // No route matched: the not-found handler answers, and it shows nothing private.
  if (url === undefined) return;
  const permission = permissionFor(request.method, url);
  if (!permission) {
    request.log.error(
      { route: permissionKey(request.method, url) },
      'route missing from the permission matrix; refused',
    );
    throw forbidden(
      `The route ${permissionKey(request.method, url)} is not in the permission matrix, so nobody may call it.`,
    );
  }
  if (permission.access === 'public') return;
  const caller = await authenticate(db, request.headers.authorization, jwt);
  request.caller = caller;
  if (!rolesAllow(permission.access, caller.roles)) {
    const allowed = permission.access as readonly string[];
    throw forbidden(
      `This needs one of the roles ${allowed.map((r) => `"${r}"`).join(', ')}; the caller has ${caller.roles.length ? caller.roles.join(', ') : 'none'}.`,
    );
  }
}

const registered = new WeakMap<FastifyInstance, Set<string>>();

/**
 * Every route (`METHOD /pattern`) registered on an app since its access check was installed: what the matrix must
 * cover.
 */
export const registeredRoutes = (app: FastifyInstance): string[] => [...(registered.get(app) ?? [])];

/**
 * Installs the check on the root instance, before any route plugin, so every
 * route inherits it; routes the matrix does not name are logged as they register.
 */
export function enforceAccess(app: FastifyInstance, db: Db, jwt?: JwtVerifier): void {
  const seen = new Set<string>();
  registered.set(app, seen);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      seen.add(`${method} ${route.url}`);
      if (!permissionFor(method, route.url))
        app.log.error(
          { route: permissionKey(method, route.url) },
          'route missing from the permission matrix (api/permissions.ts): every call to it is refused',
        );
    }
  });
  app.addHook('onRequest', async (request) => checkAccess(db, request, jwt));
}
