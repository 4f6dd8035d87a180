import { dirname, resolve } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/better-sqlite';
import { ConfigError } from '../config/env.js';
import { ensureWritableFile, ensureWritableFolder } from '../config/writable-folder.js';
import { buildOrmConfig } from './mikro-orm.config.js';

export type Orm = MikroORM;

/** Resolves `sqlite:<path>` to a file path; `sqlite::memory:` stays in memory. */
export function sqliteFileFromUrl(dbUrl: string): string {
  if (dbUrl.startsWith('postgres')) {
    throw new ConfigError(
      'invalid DB_URL: postgresql is not supported by this build yet; use sqlite:<path>, e.g. sqlite:./data/scheduler.db',
    );
  }
  const path = dbUrl.replace(/^sqlite:/, '');
  return path === ':memory:' ? path : resolve(path);
}

/**
 * Opens the database, applies the pragmas the sync engine relies on (WAL, NORMAL sync, busy timeout,
 * foreign keys) and runs pending migrations. The one entry point for the app, the CLI and tests.
 */
export async function initOrm(dbUrl: string, overrides: Partial<Options> = {}): Promise<Orm> {
  const file = sqliteFileFromUrl(dbUrl);
  if (file !== ':memory:') {
    const setting = { variable: 'DB_URL', value: dbUrl, example: 'sqlite:./data/scheduler.db' };
    ensureWritableFolder(dirname(file), setting);
    ensureWritableFile(file, setting);
  }
  const orm = await MikroORM.init(buildOrmConfig(file, overrides));
  const connection = orm.em.getConnection();
  await connection.execute('pragma journal_mode = WAL');
  await connection.execute('pragma synchronous = NORMAL');
  await connection.execute('pragma busy_timeout = 5000');
  await connection.execute('pragma foreign_keys = ON');
  await orm.getMigrator().up();
  return orm;
}

/** True when the database answers a trivial query; used by /readyz. */
export async function isDatabaseReady(orm: Orm): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return true;
  } catch {
    return false;
  }
}
