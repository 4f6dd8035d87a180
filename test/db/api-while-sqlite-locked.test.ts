import { describe, expect, it } from 'vitest';
import { parseDbUrl } from '../../src/config/db-url.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { holdWriteLock } from '../helpers/sqlite-write-lock.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

const newJob = { job_name: 'while locked', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' } };
const unavailable = { message: 'Database unavailable, try again later' };

// Locked longer than the busy timeout, a write fails with SQLITE_BUSY: the API says "retry later"
// as for an unreachable database, not 500 "Internal server error", which clients do not retry.
describe.skipIf(onPostgres)('the API while another process holds the SQLite write lock', () => {
  it('REST answers 503 with Retry-After, GraphQL SERVICE_UNAVAILABLE; nothing is written; released, the same requests succeed', async () => {
    await using app = await startAppWithFakeExecutor({ auto: 'SUCCEEDED' });
    const paused = await http(app, 'POST', '/api/v1/scheduler/create_job', { ...newJob, paused: true });
    const jobId = paused.body.job_id as string;
    // The condition is the lock outlasting the busy timeout; a short one keeps the test quick
    // (better-sqlite3 waits synchronously, blocking the whole app for each attempt).
    await app.orm.em.getConnection().execute('pragma busy_timeout = 50');
    const file = parseDbUrl(app.config.dbUrl);
    if (file.kind !== 'sqlite') throw new Error('expected a SQLite DB_URL');
    const lock = await holdWriteLock(file.file);

    const create = await http(app, 'POST', '/api/v1/scheduler/create_job', newJob);
    const trigger = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId });
    const resume = await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId });
    const graphql = await http(app, 'POST', '/graphql', {
      query: 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }',
      variables: { input: { name: 'while locked', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bkt', prefix: 'p/' } } },
    });
    await lock.release();

    expect([create.status, trigger.status, resume.status]).toEqual([503, 503, 503]);
    expect([create.body, trigger.body, resume.body]).toEqual([unavailable, unavailable, unavailable]);
    expect(create.headers.get('retry-after')).toBe('5');
    expect(graphql.body.errors).toMatchObject([{ ...unavailable, extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
    // Warnings, not errors with a stack.
    expect(app.errorLines).toEqual([]);
    const em = app.orm.em.fork();
    expect((await em.find(Job, {})).map((job) => [job.id, job.status])).toEqual([[jobId, 'PAUSED']]);
    expect(await em.count(SyncRun, {})).toBe(0);

    // Released: the same requests go through.
    expect((await http(app, 'POST', '/api/v1/scheduler/create_job', newJob)).status).toBe(200);
    expect((await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId })).status).toBe(200);
    expect((await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId })).status).toBe(200);
  });
});
