import { dirname } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import { parseDbUrl, type DbTarget } from '../config/db-url.js';
import { ensureWritableFile, ensureWritableFolder } from '../config/writable-folder.js';
import { startDatabaseClock } from './database-clock.js';
import { withMigrationLock } from './migration-lock.js';
import { buildOrmConfig, MIGRATION_NAMES } from './mikro-orm.config.js';
import { beginTransactionsDirectly } from './transaction-begin.js';

export type Orm = MikroORM<AbstractSqlDriver, SqlEntityManager>;

/** The engine each open ORM talks to (every ORM comes from initOrm). */
const engines = new WeakMap<Orm, DbTarget['kind']>();

/**
 * PostgreSQL's bigint (ids from bigserial, count(*), byte counts) as a JS number, as SQLite gives
 * it: without this, pg returns decimal strings and ids would compare unequal across engines.
 * Exact up to 2^53, the bound the API already documents for byte counts.
 */
async function parseBigintsAsNumbers(): Promise<void> {
  const { default: pg } = await import('pg');
  pg.types.setTypeParser(pg.types.builtins.INT8, Number);
}

/**
 * Creates DB_URL's `?schema=` when it does not exist, before anything reads it (an unqualified name
 * finds no table in a missing schema). Looked up first: a role may use a schema it may not create.
 */
async function ensureSchema(orm: Orm, schema: string): Promise<void> {
  const connection = orm.em.getConnection();
  const exists = async () => (await connection.execute<unknown[]>('select 1 from pg_namespace where nspname = ?', [schema])).length > 0;
  if (await exists()) return;
  // Another instance starting at the same time may create it first.
  await connection.execute(`create schema if not exists "${schema.replaceAll('"', '""')}"`).catch(async (error: unknown) => {
    if (!(await exists())) throw error;
  });
}

/** The migrations the database records, in one query (a new database has no migrations table: none). */
async function appliedMigrations(orm: Orm): Promise<Set<string>> {
  const applied = await orm.em
    .getConnection()
    .execute<Array<{ name: string }>>('select name from mikro_orm_migrations')
    .catch(() => []);
  // As the migrator reads them: a name may have been recorded with its file's extension.
  return new Set(applied.map((row) => row.name.replace(/\.[jt]s$/, '')));
}

/**
 * Refuses a database that a newer release has migrated (a rollback): this release would ignore the
 * migrations it does not know and write rows whose invariants the newer schema relies on.
 */
function refuseNewerSchema(applied: Set<string>): void {
  const unknown = [...applied].filter((name) => !MIGRATION_NAMES.includes(name)).sort();
  if (unknown.length > 0) throw new Error(`the database was migrated by a newer release (${unknown.join(', ')}): start that release or newer`);
}

/** The migrations, the migrator and what it brings (umzug and its dependencies) load only when there is something to apply. */
async function runMigrations(orm: Orm): Promise<void> {
  const [{ Migrator }, { MIGRATIONS }] = await Promise.all([import('@mikro-orm/migrations'), import('./migrations/index.js')]);
  orm.config.set('migrations', { ...orm.config.get('migrations'), migrationsList: MIGRATIONS });
  Migrator.register(orm);
  await orm.getMigrator().up();
}

/**
 * Opens the database and runs pending migrations; refuses one that a newer release migrated. On
 * SQLite, applies the pragmas the sync engine relies on (WAL, NORMAL sync, busy timeout, foreign
 * keys) and immediate write transactions (several connections write: the service's engine thread,
 * the CLI); on PostgreSQL, migrations run under an advisory lock so instances starting together
 * apply them once. The one entry point for the app, the CLI and tests.
 */
export async function initOrm(dbUrl: string, overrides: Partial<Options> = {}): Promise<Orm> {
  const target = parseDbUrl(dbUrl);
  if (target.kind === 'sqlite' && target.file !== ':memory:') {
    const setting = { variable: 'DB_URL', value: dbUrl, example: 'sqlite:./data/scheduler.db' };
    ensureWritableFolder(dirname(target.file), setting);
    ensureWritableFile(target.file, setting);
  }
  if (target.kind === 'postgresql') await parseBigintsAsNumbers();
  const orm = (await MikroORM.init(await buildOrmConfig(target, overrides))) as Orm;
  engines.set(orm, target.kind);
  try {
    beginTransactionsDirectly(orm.em.getConnection(), target.kind);
    if (target.kind === 'postgresql' && target.schema) await ensureSchema(orm, target.schema);
    if (target.kind === 'sqlite') {
      const connection = orm.em.getConnection();
      await connection.execute('pragma journal_mode = WAL');
      await connection.execute('pragma synchronous = NORMAL');
      await connection.execute('pragma busy_timeout = 5000');
      await connection.execute('pragma foreign_keys = ON');
    }
    const applied = await appliedMigrations(orm);
    refuseNewerSchema(applied);
    if (MIGRATION_NAMES.some((name) => !applied.has(name))) {
      await (target.kind === 'sqlite' ? runMigrations(orm) : withMigrationLock(orm, () => runMigrations(orm)));
    }
    if (target.kind === 'postgresql') await startDatabaseClock(orm);
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  return orm;
}

export function isPostgres(orm: Orm): boolean {
  return engines.get(orm) === 'postgresql';
}
