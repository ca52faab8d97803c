/**
 * Secrets by name from the process environment: the fallback when a tenant's
 * store (db/secrets.ts) has no secret of that name, for secrets an operator
 * prefers to keep in the deployment.
 */
export function resolveSecret(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = process.env[name];
  return value && value.length > 0 ? value : undefined;
}
