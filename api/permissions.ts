/**
 * The permission matrix: for every route, who may call it. This table is the
 * one place that decides; api/access.ts enforces it before any handler runs,
 * and a route missing from it is refused to everyone (and fails
 * test/integration/permissions.test.ts), never left open.
 *
 * Handlers keep only the checks that depend on the resource: that the caller
 * is one of an approval's approvers, that a document is the caller's own, that
 * only the bootstrap key creates tenants. Tenant scoping (another tenant's ids
 * answer 404) is every handler's own query.
 */

/**
 * The roles the platform gives meaning to. Other role names (approver roles such as `manager`) grant no route of their
 * own: they matter only where an approval names them.
 */
export const ROLES = ['admin', 'editor', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DUTIES: Record<Role, string> = {
  admin: 'everything in its tenant: users, API keys, variables and secrets, and every editor and operator action',
  editor:
    'writes workflow definitions (create, edit, publish, roll back, archive, clone, import), and runs them as an operator does',
  operator: 'starts runs, posts events, cancels, pauses, resumes and retries runs, uploads documents',
  viewer: "reads: workflows, versions, runs, approvals, schedules, variables (never a secret's value), documents",
};

/**
 * `public`: no key (the route checks something else, or serves nothing private).
 * `any-key`: any valid key of the tenant, whatever its roles (reads, and decisions checked against the approval).
 * A list: a valid key whose user has one of these roles.
 */
export type Access = 'public' | 'any-key' | readonly Role[];

const ADMIN: readonly Role[] = ['admin'];
const EDIT: readonly Role[] = ['admin', 'editor'];
const OPERATE: readonly Role[] = ['admin', 'editor', 'operator'];

export interface Permission {
  access: Access;
  /** What the handler checks besides, on the resource itself. */
  note?: string;
}

/** `METHOD /path/:param` (Fastify's route pattern) → who may call it. HEAD follows GET. */
export const PERMISSIONS: Readonly<Record<string, Permission>> = {
  'GET /healthz': { access: 'public' },
  'GET /readyz': { access: 'public' },
  'GET /openapi.json': { access: 'public' },
  'GET /docs/*': { access: 'public', note: 'every route of the API browser under /docs' },
  'POST /hooks/:scope/:path': { access: 'public', note: 'the webhook signature decides' },
  'GET /approve/:token': { access: 'public', note: 'the signed link decides; shows, changes nothing' },
  'POST /approve/:token': { access: 'public', note: 'the signed link decides: one vote by its approver' },
  'GET /': { access: 'public', note: "the console's page; it holds no data until signed in with a key" },
  'GET /runs/:runId': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /inbox': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /board': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /assets/*': { access: 'public', note: "the console's scripts and styles" },
  'GET /reports': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /dashboard': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /designer': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /designer/:workflowId': { access: 'public', note: "the console's page (SPA fallback)" },
  'GET /metrics': {
    access: 'public',
    note: "the handler decides: METRICS_TOKEN, or an admin key of the default tenant (the platform's figures)",
  },

  'POST /api/workflows': { access: EDIT },
  'GET /api/workflows': { access: 'any-key' },
  'GET /api/workflows/:id': { access: 'any-key' },
  'PUT /api/workflows/:id': { access: EDIT },
  'POST /api/workflows/:id/validate': { access: 'any-key', note: 'writes nothing' },
  'POST /api/workflows/:id/simulate': { access: 'any-key', note: 'writes, sends and starts nothing' },
  'POST /api/workflows/:id/publish': { access: EDIT },
  'POST /api/workflows/:id/runs': { access: OPERATE },
  'GET /api/workflows/:id/versions': { access: 'any-key' },
  'GET /api/workflows/:id/versions/:n': { access: 'any-key' },
  'POST /api/workflows/:id/versions/:n/rollback': { access: EDIT },
  'POST /api/workflows/:id/archive': { access: EDIT },
  'POST /api/workflows/:id/clone': { access: EDIT },
  'GET /api/workflows/:id/export': { access: 'any-key' },
  'GET /api/node-types': { access: 'any-key', note: 'the same for everyone: node schemas and help' },
  'POST /api/workflows/import': { access: EDIT },

  'GET /api/runs': { access: 'any-key' },
  'GET /api/runs/:runId': { access: 'any-key' },
  'GET /api/runs/:runId/state': { access: 'any-key' },
  'GET /api/runs/:runId/history': { access: 'any-key' },
  'GET /api/runs/:runId/events': { access: 'any-key', note: "Server-Sent Events of the run's changes" },
  'GET /api/run-events': { access: 'any-key', note: "Server-Sent Events of every change to the tenant's runs" },
  'POST /api/runs/:runId/cancel': { access: OPERATE },
  'POST /api/runs/:runId/pause': { access: OPERATE },
  'POST /api/runs/:runId/resume': { access: OPERATE },
  'POST /api/runs/:runId/retry': { access: OPERATE },
  'POST /api/runs/:runId/migrate': {
    access: EDIT,
    note: 'moves a run to another version of its definition, as publishing one does for new runs',
  },

  'GET /api/approvals': { access: 'any-key' },
  'GET /api/approvals/:id': { access: 'any-key' },
  'POST /api/approvals/:id/decision': {
    access: 'any-key',
    note: "only the approval's approvers (by role or by name), never the run's requester",
  },
  'POST /api/approvals/:id/claim': { access: 'any-key', note: "only the approval's approvers, never the requester" },
  'POST /api/approvals/:id/delegate': {
    access: 'any-key',
    note: "only the approval's approvers, to another user of the tenant (never the run's requester)",
  },

  'GET /api/schedules': { access: 'any-key' },
  'GET /api/webhooks': { access: 'any-key', note: "the tenant's webhook URLs and their refusal counts" },
  'GET /api/integrations': { access: 'any-key' },
  'POST /api/events/:name': { access: OPERATE, note: 'platform event names (run.*, approval.*) are refused' },

  'GET /api/variables': { access: 'any-key', note: 'a secret shows that it is set, never its value' },
  'GET /api/variables/:key': { access: 'any-key', note: 'a secret shows that it is set, never its value' },
  'PUT /api/variables/:key': { access: ADMIN },
  'DELETE /api/variables/:key': { access: ADMIN },

  'POST /api/documents': { access: OPERATE },
  'GET /api/documents': { access: 'any-key' },
  'GET /api/documents/:id': { access: 'any-key' },
  'GET /api/documents/:id/content': { access: 'any-key' },
  'DELETE /api/documents/:id': { access: OPERATE, note: "only the uploader's own document, unless admin" },

  'GET /api/reports/workflows/:id': { access: 'any-key', note: "the tenant's own workflows only" },
  'GET /api/reports/overview': { access: 'any-key', note: "the tenant's own workflows only" },
  'GET /api/reports/series': { access: 'any-key', note: "the tenant's own runs only" },
  'GET /api/reports/periods': { access: 'any-key', note: "the tenant's own workflows only" },
  'GET /api/reports/approvers': { access: 'any-key', note: "the tenant's own users only" },
  'GET /api/reports/subscriptions': { access: ADMIN },
  'PUT /api/reports/subscriptions': { access: ADMIN },

  'GET /api/clients': { access: 'any-key' },
  'POST /api/clients': { access: EDIT },
  'GET /api/clients/:id': { access: 'any-key' },
  'PATCH /api/clients/:id': { access: EDIT },
  'DELETE /api/clients/:id': { access: EDIT, note: 'refused (409) while a workflow or run names the client' },

  'GET /api/templates': { access: 'any-key', note: "shipped templates and the tenant's own" },
  'POST /api/templates/:id/use': { access: EDIT, note: 'makes a draft, as creating a workflow does' },

  'GET /api/me': { access: 'any-key', note: "the caller's own user, tenant and roles" },
  'POST /api/users': { access: ADMIN },
  'GET /api/users': { access: ADMIN },
  'GET /api/users/:id': { access: ADMIN },
  'PATCH /api/users/:id': { access: ADMIN, note: "never the caller's own admin role, nor the bootstrap key's user" },
  'DELETE /api/users/:id': { access: ADMIN, note: "deactivates; never the caller, nor the bootstrap key's user" },
  'GET /api/api-keys': { access: ADMIN, note: 'never the key itself' },
  'POST /api/api-keys': { access: ADMIN },
  'DELETE /api/api-keys/:id': { access: ADMIN },
  'GET /api/tenants': { access: ADMIN, note: 'only the bootstrap key (ADMIN_API_KEY)' },
  'POST /api/tenants': { access: ADMIN, note: 'only the bootstrap key (ADMIN_API_KEY)' },
};

/** Routes registered by a plugin under a prefix (the API browser) answer to one entry for the whole prefix. */
const PREFIX_ENTRIES = [{ prefix: '/docs', key: 'GET /docs/*' }] as const;

/** The matrix key of a registered route; HEAD is answered by the GET route's rules. */
export function permissionKey(method: string, url: string): string {
  const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const grouped = PREFIX_ENTRIES.find((p) => url === p.prefix || url.startsWith(`${p.prefix}/`));
  if (grouped && verb === 'GET') return grouped.key;
  return `${verb} ${url}`;
}

/** The rule for a registered route, or undefined when the matrix does not name it (the caller refuses it). */
export function permissionFor(method: string, url: string): Permission | undefined {
  return PERMISSIONS[permissionKey(method, url)];
}

/** Whether a user with these roles passes a route's rule; `public` and `any-key` need no role. */
export function rolesAllow(access: Access, roles: readonly string[]): boolean {
  if (access === 'public' || access === 'any-key') return true;
  return access.some((role) => roles.includes(role));
}
