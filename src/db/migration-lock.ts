import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/knex';

/** An arbitrary constant shared by every instance: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 7_263_011_201;

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs `migrate` while holding a PostgreSQL session advisory lock on a connection of its own, so
 * that of several instances starting together one applies the migrations and the others wait, then
 * find nothing pending. The lock goes with the session if the process dies.
 */
export async function withMigrationLock<T>(orm: MikroORM<AbstractSqlDriver>, migrate: () => Promise<T>): Promise<T> {
  const client = orm.em.getConnection().getKnex().client as {
    acquireConnection(): Promise<PgClient>;
    releaseConnection(connection: PgClient): Promise<void>;
  };
  const connection = await client.acquireConnection();
  try {
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await migrate();
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.releaseConnection(connection);
  }
}
