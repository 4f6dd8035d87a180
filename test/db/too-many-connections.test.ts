import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { startTestApp } from '../helpers/test-app.js';

/**
 * PostgreSQL out of connection slots (max_connections reached by other instances, or the role's or
 * database's CONNECTION LIMIT): new connections are refused with SQLSTATE 53300 ("sorry, too many
 * clients already" / "too many connections for role"). Simulated with a role's CONNECTION LIMIT,
 * which fails a new connection with the same code while the app's open ones keep working.
 */
async function limitedRole() {
  const admin = inject('postgresAdminUrl');
  const name = `dss_lim_${randomBytes(5).toString('hex')}`;
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  };
  await sql(`create role ${name} login`);
  await sql(`create database ${name} owner ${name}`);
  const url = new URL(admin);
  url.username = name;
  url.pathname = `/${name}`;
  return {
    dbUrl: url.href,
    connections: async () => Number((await sql(`select count(*) as n from pg_stat_activity where usename = '${name}'`))[0].n),
    limit: (n: number) => sql(`alter role ${name} connection limit ${n}`),
    terminate: () => sql(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${name}'`),
  };
}

describe.runIf(onPostgres)('PostgreSQL out of connection slots', () => {
  it('the API answers 503 with Retry-After (as for an unreachable database), not 500', async () => {
    const logs = captureLogs();
    const role = await limitedRole();
    await using app = await startTestApp({ logger: logs.logger, env: { DB_URL: role.dbUrl } });
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(200);
    await role.limit(0);
    await role.terminate();
    expect((await http(app, 'GET', '/readyz')).status).toBe(503);
    const list = await http(app, 'GET', '/api/v1/scheduler/list_jobs');
    const graphql = await http(app, 'POST', '/graphql', { query: '{ jobs(first: 1) { edges { node { id } } } }' });
    await role.limit(-1);
    expect({ status: list.status, body: list.body, retryAfter: list.headers.get('retry-after') }).toEqual({
      status: 503,
      body: { message: 'Database unavailable, try again later' },
      retryAfter: '5',
    });
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    // Warnings without a stack, as in an outage (api-during-outage.test.ts), not errors.
    const requestLines = logs.lines.filter((line) => /request failed|GraphQL error/.test(String(line.msg)));
    expect(requestLines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'request failed: service unavailable'],
      [40, 'GraphQL request failed: database unreachable or locked'],
    ]);
  });

});
