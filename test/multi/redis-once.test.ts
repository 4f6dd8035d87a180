import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { wsClient } from '../helpers/clients.js';
import { freshDbUrl, onPostgres } from '../helpers/db-url.js';
import { seededBytes } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';
import { CHUNK_SIZE, collect, LIVE_WAIT_MS, untilLive } from '../live/live-env.js';

describe.skipIf(!onPostgres)('two instances on Redis, each event seen once', () => {
  it('subscribers on the running instance and on the other one each get every event exactly once', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ['r/big.bin', seededBytes(3 * CHUNK_SIZE + 9, 5)],
      ['r/small.txt', seededBytes(100, 6)],
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'dss-'));
    try {
      const env = { ...s3.env, REDIS_URL: inject('redisUrl'), DB_URL: await freshDbUrl(dir), DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'), S3_CHUNK_SIZE: String(CHUNK_SIZE) };
      await using worker = await startTestApp({ env: { ...env, INSTANCE_ID: 'w' } });
      await using api = await startTestApp({ env: { ...env, INSTANCE_ID: 'a' } });
      const job = await worker.services.jobs.create({ name: 'once', connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: s3.bucket, prefix: 'r/' } });
      const onWorker = wsClient(worker.wsUrl, { lazy: false });
      const onApi = wsClient(api.wsUrl, { lazy: false });
      try {
        const subs = [collect(onWorker, job.id), collect(onWorker, undefined), collect(onApi, job.id), collect(onApi, undefined)];
        await untilLive(api.bus, [job.id], subs);
        const { run } = await worker.services.lifecycle.trigger(job.id);
        await waitFor(() => subs.every((s) => s.events.some((e) => e.kind === 'RUN_FINISHED')), LIVE_WAIT_MS, 'RUN_FINISHED everywhere');
        await new Promise((r) => setTimeout(r, 500));
        const rows = await worker.orm.em.fork().find(SyncObject, { jobId: job.id }, { fields: ['key', 'instanceId'] });
        const fetchedBy = new Map(rows.map((row) => [row.key, row.instanceId]));
        for (const [i, sub] of subs.entries()) {
          // Run ids count from 1 in each database: the job id tells this run's events from others'.
          const ofRun = sub.events.filter((e) => e.jobId === job.id && e.runId === String(run.id));
          const count = (kind: string, key: string | null = null) => ofRun.filter((e) => e.kind === kind && e.objectKey === key).length;
          expect([count('RUN_STARTED'), count('RUN_FINISHED'), count('OBJECT_DONE', 'r/big.bin'), count('OBJECT_DONE', 'r/small.txt')], `sub ${i}`).toEqual([1, 1, 1, 1]);
          const chunks = ofRun.filter((e) => e.kind === 'CHUNK' && e.objectKey === 'r/big.bin').map((e) => e.bytesTransferred);
          expect(chunks, `sub ${i}`).toEqual([...new Set(chunks)].sort((x, y) => x - y));
          // The holder's events come in its order. A helper's (objects another instance fetched)
          // travel on their own and can reach a subscriber before the holder's RUN_STARTED or after
          // its RUN_FINISHED (README, "Live progress").
          const ofHolder = ofRun.filter((e) => e.objectKey === null || fetchedBy.get(e.objectKey) === 'w');
          expect(ofHolder[0]!.kind, `sub ${i}`).toBe('RUN_STARTED');
          expect(ofHolder.at(-1)!.kind, `sub ${i}`).toBe('RUN_FINISHED');
        }
      } finally {
        await onWorker.dispose();
        await onApi.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
