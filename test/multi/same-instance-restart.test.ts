import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createJobOverRest } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startInstance } from './instance-process.js';

const CHUNK = 64 * 1024;

// A container restarted in place keeps its host name and pid 1, so the default INSTANCE_ID comes back unchanged.
describe('an instance killed mid-run and restarted under the same INSTANCE_ID', () => {
  it('resumes its run at once, fetches the objects its dead claims held, and succeeds byte-identical', async () => {
    await using s3 = await startS3Server();
    const objects: Array<[string, Buffer]> = Array.from({ length: 6 }, (_, i) => [`big/${i}.bin`, seededBytes(12 * CHUNK + i, 40 + i)]);
    await s3.putObjects(objects);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 1024 * 1024 } : undefined));
    const dir = await mkdtemp(join(tmpdir(), 'dss-same-instance-'));
    const dbUrl = await freshDbUrl(dir);
    const orm = await initOrm(dbUrl);
    // Claims that outlive the test: only clearing them, not their expiry, lets the restarted run finish.
    const env = {
      ...s3.env,
      DB_URL: dbUrl,
      DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      S3_CHUNK_SIZE: '64KiB',
      SYNC_CONCURRENCY: '2',
      RUN_LEASE_TTL: '10m',
      INSTANCE_ID: 'dss-0',
    };
    let instance = await startInstance(env);
    try {
      const jobId = await createJobOverRest(instance, { name: 'large', schedule: 'daily', bucket: s3.bucket, prefix: 'big/' });
      const rows = () => orm.em.fork().find(SyncObject, { jobId });
      const total = objects.reduce((sum, [, body]) => sum + body.length, 0);
      await waitFor(async () => (await rows()).reduce((sum, r) => sum + r.lastPosition, 0) >= 0.3 * total, 60_000, '30 % committed');
      await instance.kill9();
      const claimedAtKill = (await rows()).filter((r) => r.claimOwner !== null && r.status !== 'PROCESSED');
      expect(claimedAtKill.length, 'unfinished objects claimed by the killed process').toBeGreaterThan(0);
      // The kill landed mid-run: the restarted process needs no slow link to show it takes its claims back.
      proxy.setRule(undefined);

      instance = await startInstance(env);
      const finished = await waitFor(async () => {
        const row = await orm.em.fork().findOne(SyncRun, { jobId });
        return row && row.status !== 'RUNNING' ? row : undefined;
      }, 60_000, 'the restarted instance to finish the run');
      expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsDone: objects.length, objectsFailed: 0, instanceId: 'dss-0' });
      expect(await orm.em.fork().count(SyncRun, { jobId })).toBe(1);
      const after = await orm.em.fork().find(SyncObject, { jobId }, { orderBy: { key: 'asc' } });
      expect(after.map((r) => [r.key, r.status, r.claimOwner])).toEqual(objects.map(([key]) => [key, 'PROCESSED', null]));
      for (const [key, body] of objects) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, jobId, key)), key).toBe(sha256(body));
    } finally {
      await instance.kill9();
      await orm.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
