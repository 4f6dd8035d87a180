import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { describe, expect, it } from 'vitest';
import { parseDbUrl } from '../../src/config/db-url.js';
import { buildOrmConfig, MIGRATION_NAMES } from '../../src/db/mikro-orm.config.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { initOrm } from '../../src/db/orm.js';
import { freshDbUrl } from '../helpers/db-url.js';

async function appliedNames(orm: MikroORM): Promise<string[]> {
  const rows: Array<{ name: string }> = await orm.em.getConnection().execute('select name from mikro_orm_migrations order by id');
  return rows.map((row) => row.name);
}

describe('migrations at start-up', () => {
  it('the names a start compares with the migrations table are the released migration classes, in order', () => {
    expect(MIGRATIONS.map((migration) => migration.name)).toEqual(MIGRATION_NAMES);
    expect(MIGRATIONS.map((migration) => migration.class.name)).toEqual(MIGRATION_NAMES);
  });

  it('applies every migration to a new database, the missing ones to an older one, and nothing to a current one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-migrations-'));
    try {
      const url = await freshDbUrl(dir);
      const names = MIGRATIONS.map((migration) => migration.name);

      // A database left by an older release: only the first three migrations applied.
      const config = await buildOrmConfig(parseDbUrl(url));
      const older = await MikroORM.init({ ...config, extensions: [Migrator], migrations: { ...config.migrations, migrationsList: MIGRATIONS } });
      await older.getMigrator().up({ to: names[2] });
      expect(await appliedNames(older)).toEqual(names.slice(0, 3));
      await older.close(true);

      const upgraded = await initOrm(url);
      expect(await appliedNames(upgraded)).toEqual(names);
      // The table the last migration creates answers.
      expect(await upgraded.em.getConnection().execute('select count(*) as n from object_counts')).toEqual([{ n: 0 }]);
      await upgraded.close(true);

      const current = await initOrm(url);
      expect(await appliedNames(current)).toEqual(names);
      await current.close(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
