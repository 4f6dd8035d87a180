import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { readObjectCounts } from '../../src/db/object-counts.js';
import { CLAIM_BATCH } from '../../src/sync/run/claimed-work.js';
import { sha256, sha256File } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { waitFor as poll } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { LIVE_WAIT_MS, subscribeLive } from '../live/live-env.js';
import { startInstance } from './instance-process.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

const OBJECTS = 90;
const CONCURRENCY = 2;

describe('one large run shared by three instances (object claims)', () => {
  it('each instance does a share; kill -9 of a helper: the others finish its objects; the run succeeds once, byte-identical', async () => {
    const objects = numberedObjects('many/', OBJECTS, 40_000);
    // A slow link (every GET at 128 KiB/s), so the run lasts long enough for helpers to join and for a kill mid-run.
    await using source = await startThrottledSource(objects, 128 * 1024);
    const { s3 } = source;
    // The shortest lease: the killed helper's claims run out a second after its last renewal.
    const env = source.instanceEnv({ SYNC_CONCURRENCY: String(CONCURRENCY), RETRY_COUNT: '0', RUN_LEASE_TTL: '2s' });
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startInstance({ ...env, INSTANCE_ID: id })));
    try {
      await using c = await startTestApp({ env: { ...env, INSTANCE_ID: 'c' } });
      const job = await createPausedJobInService(c, { name: 'shared run', schedule: 'daily', bucket: s3.bucket, prefix: 'many/' });
      await using sub = await subscribeLive(c, job.id);
      const { run } = await c.services.lifecycle.trigger(job.id);
      const doneBy = async () => {
        const rows = await c.orm.em.fork().find(SyncObject, { jobId: job.id, status: 'PROCESSED' }, { fields: ['instanceId'] });
        const counts = new Map<string, number>();
        for (const row of rows) counts.set(row.instanceId ?? '', (counts.get(row.instanceId ?? '') ?? 0) + 1);
        return counts;
      };
      // Both child instances join the run held by `c`, then `b` dies mid-run with claims in hand.
      await poll(async () => {
        const counts = await doneBy();
        return (counts.get('a') ?? 0) >= 1 && (counts.get('b') ?? 0) >= 3 ? counts : undefined;
      }, 60_000, 'a and b to help with the run');
      await b!.kill9();
      // The kill landed mid-run: the rest need not crawl.
      source.proxy.liftThrottle();

      const finished = await poll(async () => {
        const row = await c.orm.em.fork().findOne(SyncRun, { id: run.id });
        return row && row.status !== 'RUNNING' ? row : undefined;
      }, 90_000, 'the shared run to finish');
      expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsTotal: OBJECTS, objectsDone: OBJECTS, objectsFailed: 0, instanceId: 'c' });
      expect(await c.orm.em.fork().count(SyncRun, { jobId: job.id })).toBe(1);
      // Every instance did a share of the objects (the rows name who did each).
      const counts = await doneBy();
      expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(OBJECTS);
      for (const id of ['a', 'b', 'c']) expect(counts.get(id) ?? 0, `objects done by ${id}`).toBeGreaterThan(0);
      // The counts the triggers kept through the instances' concurrent batches match the rows.
      expect(await readObjectCounts(c.orm, job.id)).toEqual(new Map([['PROCESSED', OBJECTS]]));
      for (const [key, body] of objects) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, job.id, key)), key).toBe(sha256(body));
      // Fetched again: at most what the killed helper had claimed and not committed.
      const gets = new Map<string, number>();
      for (const { key } of s3.counts.getRanges) gets.set(key, (gets.get(key) ?? 0) + 1);
      expect([...gets.values()].every((n) => n <= 2)).toBe(true);
      const refetched = [...gets.values()].reduce((sum, n) => sum + n - 1, 0);
      expect(refetched).toBeLessThanOrEqual(CLAIM_BATCH + CONCURRENCY);
      // The subscriber on `c` saw every object of the run done, whichever instance did it (Redis).
      // An instance publishes objects' events after committing their rows, so objects `b` committed
      // right before its kill -9 can lack their event (at most the claims it held); no other may.
      await poll(() => sub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS);
      const done = new Set(sub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey));
      const missing = objects.map(([key]) => key).filter((key) => !done.has(key));
      const doneByKilled = await c.orm.em.fork().find(SyncObject, { jobId: job.id, instanceId: 'b' }, { fields: ['key'] });
      const killedKeys = new Set(doneByKilled.map((row) => row.key));
      expect(missing.filter((key) => !killedKeys.has(key)), 'objects without their OBJECT_DONE event').toEqual([]);
      expect(missing.length).toBeLessThanOrEqual(CLAIM_BATCH);
    } finally {
      await Promise.all([a!.kill9(), b!.kill9()]);
    }
  }, 240_000);
});
