import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startInstance } from './instance-process.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

const OBJECTS = 16;

describe("kill -9 of the instance running a paused job's manual run", () => {
  it('another instance takes the run over (a paused job has no schedule there) and finishes it, byte-identical', async () => {
    const objects = numberedObjects('big/', OBJECTS, 300_000);
    await using source = await startThrottledSource(objects, 512 * 1024);
    const { s3 } = source;
    const env = source.instanceEnv({ SYNC_CONCURRENCY: '2', RETRY_COUNT: '0' });
    const a = await startInstance({ ...env, INSTANCE_ID: 'a' });
    try {
      await using b = await startTestApp({ env: { ...env, INSTANCE_ID: 'b' } });
      const job = await b.services.jobs.create({ name: 'paused manual', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: s3.bucket, prefix: 'big/' } });
      const triggered = await http(a.url, 'POST', '/api/v1/scheduler/trigger_job', { job_id: job.id });
      expect(triggered.status).toBe(200);
      const runId = Number(triggered.body.run.run_id);
      await waitFor(async () => (await b.orm.em.fork().count(SyncObject, { jobId: job.id, status: 'PROCESSED' })) >= 2, 60_000, 'a few objects');
      await a.kill9();
      // The kill landed mid-run: taking the run over and finishing it does not need the slow link.
      source.proxy.setRule(undefined);

      const ended = await waitFor(async () => {
        const run = await b.orm.em.fork().findOneOrFail(SyncRun, { id: runId });
        return run.status === 'RUNNING' ? undefined : run;
      }, 60_000, 'the run to end on b');
      expect(ended).toMatchObject({ status: 'SUCCEEDED', objectsDone: OBJECTS, leaseOwner: 'b' });
      expect(await b.orm.em.fork().count(SyncRun, { jobId: job.id })).toBe(1);
      for (const [key, body] of objects) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, job.id, key)), key).toBe(sha256(body));
      expect((await http(b, 'GET', `/api/v1/scheduler/list_jobs?job_id=${job.id}`)).body.job.job_status).toBe('PAUSED');
    } finally {
      await a.kill9();
    }
  }, 180_000);

  it('resume_job through another instance while the run goes: the job is RUNNING, not SCHEDULED', async () => {
    await using source = await startThrottledSource(numberedObjects('big/', OBJECTS, 300_000), 512 * 1024);
    const env = source.instanceEnv({ SYNC_CONCURRENCY: '2', RETRY_COUNT: '0' });
    const a = await startInstance({ ...env, INSTANCE_ID: 'a' });
    try {
      await using b = await startTestApp({ env: { ...env, INSTANCE_ID: 'b' } });
      const job = await b.services.jobs.create({ name: 'resumed elsewhere', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: source.s3.bucket, prefix: 'big/' } });
      expect((await http(a.url, 'POST', '/api/v1/scheduler/trigger_job', { job_id: job.id })).status).toBe(200);
      await waitFor(async () => (await b.orm.em.fork().count(SyncObject, { jobId: job.id, status: 'PROCESSED' })) >= 1, 60_000, 'the run under way');
      const resumed = await http(b, 'POST', '/api/v1/scheduler/resume_job', { job_id: job.id });
      expect(resumed).toMatchObject({ status: 200, body: { job: { job_status: 'RUNNING' } } });
    } finally {
      await a.kill9();
    }
  }, 180_000);
});
