/** `npm run migrate` applies the migrations and stops; run again, it changes nothing and still succeeds. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';
import { openDatabase } from '../../db/client';

const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-migrate-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run migrate', () => {
  it('migrates the embedded database under DATA_DIR, twice without harm, and leaves the tables in place', async () => {
    const { DATABASE_URL: _unset, ...env } = process.env;
    const migrate = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
        cwd: projectRoot,
        env: { ...env, DATA_DIR: dataDir },
        encoding: 'utf8',
      });
    expect(migrate()).toContain(`Migrated the embedded database in ${path.join(dataDir, 'pglite')}`);
    expect(migrate()).toContain('Migrated');
    const database = await openDatabase({ databaseUrl: undefined, embeddedDir: path.join(dataDir, 'pglite') });
    try {
      const result = (await database.db.execute(
        sql`select count(*)::int as n from information_schema.tables where table_name in ('tenants', 'workflow_instances', 'webhook_signatures')`,
      )) as unknown as { rows: Array<{ n: number }> };
      expect(result.rows[0]!.n).toBe(3);
    } finally {
      await database.close();
    }
  }, 120_000);
});
