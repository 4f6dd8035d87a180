import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { createJobOverRest } from '../helpers/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
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
  const sql = async (text: string, connectionString = admin) => {
    const client = new pg.Client({ connectionString });
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
    /** A query on the role's own database, as the role. */
    query: (text: string) => sql(text, url.href),
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

  it('/readyz probes share one connection: a burst of probes with one slot free all answer 200', async () => {
    const role = await limitedRole();
    await using app = await startTestApp({ env: { DB_URL: role.dbUrl } });
    expect((await http(app, 'GET', '/readyz')).status).toBe(200);
    // One connection slot beyond those the instance holds: a probe each would take 30.
    await role.limit((await role.connections()) + 1);
    try {
      const probes = await Promise.all(Array.from({ length: 30 }, () => http(app, 'GET', '/readyz')));
      expect(probes.map((probe) => probe.status)).toEqual(Array.from({ length: 30 }, () => 200));
    } finally {
      await role.limit(-1);
    }
  });

  it("a run whose engine thread cannot open its connection yet waits for one, rather than failing with 'internal error'", async () => {
    await using s3 = await startS3Server();
    await s3.putObjects(Array.from({ length: 5 }, (_, i) => [`p/k${i}.txt`, `body ${i}`] as [string, string]));
    const logs = captureLogs();
    const role = await limitedRole();
    await using app = await startTestApp({
      logger: logs.logger,
      env: { DB_URL: role.dbUrl, SYNC_THREAD: 'true', AWS_ENDPOINT_URL_S3: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1' },
    });
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(200);
    // The service's own pool keeps the connections it has; no new one can be opened (other instances took the slots).
    await role.limit(await role.connections());
    const jobId = await createJobOverRest(app, { name: 'slots', schedule: 'hourly', bucket: s3.bucket, prefix: 'p/' });
    const lastRun = async () => (await http(app, 'GET', `/api/v1/jobs/${jobId}/runs`)).body.runs?.[0];
    // Slots free up once the thread has been refused one (another instance stopped), or never if the run already ended.
    await waitFor(
      async () => logs.lines.some((line) => line.msg === 'the sync engine thread waits for the database') || ((await lastRun())?.status ?? 'RUNNING') !== 'RUNNING',
      { timeoutMs: 20_000, what: 'the engine thread to try its database' },
    );
    await role.limit(-1);
    const run = await waitFor(
      async () => {
        const last = await lastRun();
        return last && last.status !== 'RUNNING' ? last : null;
      },
      { timeoutMs: 30_000, what: 'the run to end' },
    );
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
  });

  it('a graceful stop while the engine thread waits for its connection hands the run back (RUNNING), rather than failing it', async () => {
    const logs = captureLogs();
    const role = await limitedRole();
    const app = await startTestApp({ logger: logs.logger, env: { DB_URL: role.dbUrl, SYNC_THREAD: 'true' } });
    try {
      expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(200);
      await role.limit(await role.connections());
      const jobId = await createJobOverRest(app, { name: 'stopped while waiting', schedule: 'hourly', bucket: 'bkt', prefix: 'p/' });
      // Stopped once the thread waits for its database (or, as before, the run ended at once).
      await waitFor(
        async () =>
          logs.lines.some((line) => line.msg === 'the sync engine thread waits for the database') ||
          (await http(app, 'GET', `/api/v1/jobs/${jobId}/runs`)).body.runs?.[0]?.status === 'FAILED',
        { timeoutMs: 20_000, what: 'the engine thread to try its database' },
      );
    } finally {
      await app.stop();
    }
    await role.limit(-1);
    // What the next start (or another instance) resumes: the run row as the stop left it.
    const runs = await role.query('select status, error, finished_at from sync_runs');
    expect(runs).toEqual([{ status: 'RUNNING', error: null, finished_at: null }]);
    expect(logs.lines.filter((line) => /handed back/.test(String(line.msg))).map((line) => line.level)).toEqual([40]);
  });
});
