import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { sha256, sha256File } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startInstance } from './instance-process.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

const OBJECTS = 60;
const CONCURRENCY = 2;

describe('cancel of a run held by another instance', () => {
  it('cancel_run through B stops the run A holds: CANCELLED, no more fetching by either, finished files stay', async () => {
    const objects = numberedObjects('big/', OBJECTS, 300_000);
    // About a second per object, so the run is still going when the cancel comes.
    await using source = await startThrottledSource(objects, 256 * 1024);
    const { s3 } = source;
    const env = source.instanceEnv({ SYNC_CONCURRENCY: String(CONCURRENCY), RETRY_COUNT: '0' });
    const a = await startInstance({ ...env, INSTANCE_ID: 'a' });
    try {
      await using b = await startTestApp({ env: { ...env, INSTANCE_ID: 'b' } });
      const job = await createPausedJobInService(b, { name: 'cancelled elsewhere', schedule: 'daily', bucket: s3.bucket, prefix: 'big/' });
      const triggered = await http(a.url, 'POST', '/api/v1/scheduler/trigger_job', { job_id: job.id });
      expect(triggered.status).toBe(200);
      const runId = Number(triggered.body.run.run_id);
      const processed = () => b.orm.em.fork().find(SyncObject, { jobId: job.id, status: 'PROCESSED' }, { fields: ['key', 'instanceId'] });
      await waitFor(async () => (await processed()).filter((row) => row.instanceId === 'a').length >= 3, 60_000, 'a to fetch a few objects');

      const cancelled = await http(b, 'POST', '/api/v1/scheduler/cancel_run', { job_id: job.id });
      expect(cancelled).toMatchObject({
        status: 200,
        body: { message: 'Run cancelled successfully', job: { job_status: 'PAUSED' }, run: { status: 'CANCELLED' } },
      });
      expect(Number(cancelled.body.run.run_id)).toBe(runId);
      const getsAtCancel = s3.counts.getRanges.length;
      const row = await b.orm.em.fork().findOneOrFail(SyncRun, { id: runId });
      expect(row).toMatchObject({ status: 'CANCELLED', leaseOwner: 'a', instanceId: 'a' });
      expect(row.finishedAt).not.toBeNull();
      expect(await http(b, 'POST', '/api/v1/scheduler/cancel_run', { job_id: job.id })).toMatchObject({
        status: 409,
        body: { message: 'Job has no run in progress' },
      });

      // Every instance that worked on the run handed its claims back: nobody works on it any more.
      await waitFor(async () => (await b.orm.em.fork().count(SyncObject, { jobId: job.id, claimOwner: { $ne: null } })) === 0, 30_000, 'the claims to be released');
      const getsWhenStopped = s3.counts.getRanges.length;
      // Only a helper's transfers started before it saw the cancel could still begin after the answer.
      expect(getsWhenStopped - getsAtCancel).toBeLessThanOrEqual(CONCURRENCY);
      const done = await processed();
      expect(done.length).toBeGreaterThanOrEqual(3);
      expect(done.length).toBeLessThan(OBJECTS);
      const bodies = new Map(objects);
      for (const { key } of done) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, job.id, key)), key).toBe(sha256(bodies.get(key)!));
      const doneKeys = new Set(done.map((r) => r.key));
      for (const [key] of objects.filter(([k]) => !doneKeys.has(k))) {
        await expect(access(join(env.DOWNLOAD_ROOT_FOLDER, job.id, key)), key).rejects.toThrow();
      }
      await a.stop();
      expect(s3.counts.getRanges.length).toBe(getsWhenStopped);
    } finally {
      await a.kill9();
    }
  }, 180_000);
});
