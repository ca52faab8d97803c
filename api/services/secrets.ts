/**
 * Secrets by name. Until the encrypted per-tenant store exists (integrations
 * work), a `secretRef` names an environment variable of the API process.
 */
export function resolveSecret(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = process.env[name];
  return value && value.length > 0 ? value : undefined;
}
