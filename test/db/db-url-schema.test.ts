import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { freshDbUrl, onPostgres } from '../helpers/db-url.js';
import { startTestApp } from '../helpers/test-app.js';
import { validJob } from '../rest/rest-env.js';
import { MIGRATION_NAMES } from '../../src/db/mikro-orm.config.js';

/** The database's tables, as `schema.table`. */
async function tablesOf(dbUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: dbUrl.replace(/\?.*$/, '') });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `select table_schema || '.' || table_name as name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 1`,
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

/** README, DB_URL: `?schema=` puts every table, the migrations' own included, in that schema (created if missing). */
describe.skipIf(!onPostgres)('DB_URL with ?schema=', () => {
  it('migrates into that schema and keeps its rows there; two schemas of one database are two services', async () => {
    const database = await freshDbUrl('');
    const inS1 = `${database}?schema=s1`;
    {
      await using app = await startTestApp({ env: { DB_URL: inS1 } });
      expect((await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ job_name: 'in-s1' }))).status).toBe(200);
    }
    const tables = await tablesOf(database);
    expect(tables).toContain('s1.jobs');
    expect(tables).toContain('s1.mikro_orm_migrations');
    expect(tables.filter((table) => !table.startsWith('s1.'))).toEqual([]);

    // Started again: nothing left to migrate, the job is there.
    await using again = await startTestApp({ env: { DB_URL: inS1 } });
    const listed = await http(again, 'GET', '/api/v1/scheduler/list_jobs');
    expect(listed.status).toBe(200);
    expect(listed.body.jobs.map((job: { job_name: string }) => job.job_name)).toEqual(['in-s1']);

    await using other = await startTestApp({ env: { DB_URL: `${database}?schema=s2` } });
    expect((await http(other, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toEqual([]);
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('select name from s2.mikro_orm_migrations order by id');
      expect(rows.map((row) => row.name.replace(/\.[jt]s$/, ''))).toEqual(MIGRATION_NAMES);
    } finally {
      await client.end();
    }
  });
});
