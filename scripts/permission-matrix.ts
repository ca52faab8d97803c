/**
 * Prints the permission matrix (api/permissions.ts) as Markdown, for the
 * README: `npx tsx scripts/permission-matrix.ts`. The table is generated so it
 * cannot drift from what the API enforces.
 */
import { PERMISSIONS, ROLE_DUTIES, ROLES, rolesAllow, type Access } from '../api/permissions';

/** The columns: each role the platform knows, then a key whose user has none of them (e.g. only `manager`). */
const COLUMNS = [
  ...ROLES.map((role) => ({ title: role, roles: [role] as string[] })),
  { title: 'other roles / none', roles: [] as string[] },
];

function cell(access: Access, roles: string[]): string {
  if (access === 'public') return 'public';
  return rolesAllow(access, roles) ? 'yes' : '403';
}

function permissionMatrixMarkdown(): string {
  const lines = [
    `| route | ${COLUMNS.map((c) => c.title).join(' | ')} | also checked |`,
    `| --- | ${COLUMNS.map(() => '---').join(' | ')} | --- |`,
    ...Object.entries(PERMISSIONS).map(
      ([route, { access, note }]) =>
        `| \`${route}\` | ${COLUMNS.map((c) => cell(access, c.roles)).join(' | ')} | ${note ?? ''} |`,
    ),
  ];
  const legend = [
    '',
    '`public`: no key needed. `yes`: allowed with a valid key. `403`: refused. Every non-public route answers 401 without a valid key (missing, unknown or revoked).',
    '',
    ...ROLES.map((role) => `- \`${role}\`: ${ROLE_DUTIES[role]}.`),
  ];
  return [...lines, ...legend].join('\n');
}

console.log(permissionMatrixMarkdown());
