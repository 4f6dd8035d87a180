import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

/** True in the PostgreSQL pass of the suite (`TEST_DB=postgres`, see vitest.config.ts). */
export const onPostgres = process.env.TEST_DB === 'postgres';

/**
 * A DB_URL for a fresh, empty database: a SQLite file in `dir`, or in the PostgreSQL pass a new
 * database on the pass's throwaway server (dropped with the server at the end of the pass).
 */
export async function freshDbUrl(dir: string, file = 'scheduler.db'): Promise<string> {
  if (!onPostgres) return `sqlite:${join(dir, file)}`;
  const admin = new URL(inject('postgresAdminUrl'));
  const name = `dss_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  admin.pathname = `/${name}`;
  return admin.href;
}
