import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startInstance } from './instance-process.js';
import { startThrottledSource } from './throttled-source.js';

const CHUNK = 64 * 1024;

describe('a holder whose claim on one object ran out', () => {
  it('stops that object only and the helper that claimed it finishes it: the run ends SUCCEEDED, each byte counted once, byte-identical, the job SCHEDULED', async () => {
    const objects: Array<[string, Buffer]> = [
      ...[0, 1, 2, 3].map((i): [string, Buffer] => [`d/big-${i}.bin`, seededBytes(12 * CHUNK + 17 * i, 100 + i)]),
      ...Array.from({ length: 20 }, (_, i): [string, Buffer] => [`d/small-${String(i).padStart(2, '0')}.bin`, seededBytes(30_000 + i, 200 + i)]),
    ];
    await using source = await startThrottledSource(objects, 96 * 1024);
    const env = source.instanceEnv({ S3_CHUNK_SIZE: '64KiB', SYNC_CONCURRENCY: '2', RETRY_COUNT: '2', LIST_CONCURRENCY: '1' });
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startInstance({ ...env, INSTANCE_ID: id })));
    const orm = await initOrm(env.DB_URL);
    try {
      const created = await fetch(`${a!.url}/api/v1/scheduler/create_job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job_name: 'lost claim', connector_type: 'S3', schedule: 'daily', connector_config: { bucket_name: source.s3.bucket, prefix: 'd/' } }),
      });
      const jobId = ((await created.json()) as { job_id: string }).job_id;
      const connection = orm.em.getConnection();
      // A big object the holder `a` is in the middle of.
      const victim = await waitFor(async () => {
        const rows = (await connection.execute(
          `select id from sync_objects where job_id = ? and claim_owner like 'a/%' and status = 'PROCESSING' and last_position > 0 and last_position < size / 2 and object_key like 'd/big-%'`,
          [jobId],
        )) as Array<{ id: number }>;
        return rows[0];
      }, 60_000, 'the holder to be fetching a big object');
      // Its claim runs out (a renewal missed for a lease's length: a stall, a database outage) and the helper `b` claims it.
      await waitFor(async () => {
        await connection.execute(`update sync_objects set claim_expires_at = now() - interval '1 hour' where id = ? and claim_owner like 'a/%'`, [victim.id]);
        const [row] = (await connection.execute('select claim_owner from sync_objects where id = ?', [victim.id])) as Array<{ claim_owner: string | null }>;
        return row?.claim_owner?.startsWith('b/');
      }, 30_000, 'the helper to claim the object');
      // The holder's next checkpoint of that object finds the claim gone, however fast it comes: the
      // slow link only had to keep the object unfinished until the helper claimed it.
      source.proxy.liftThrottle();

      const finished = await waitFor(async () => {
        const row = await orm.em.fork().findOne(SyncRun, { jobId });
        return row && row.status !== 'RUNNING' ? row : undefined;
      }, 120_000, 'the run to finish');
      expect(finished, `error: ${finished.error}`).toMatchObject({ status: 'SUCCEEDED', objectsDone: objects.length, objectsFailed: 0 });
      // The chunks the holder committed before it lost the claim are not counted on top of the helper's whole object.
      const totalBytes = objects.reduce((sum, [, body]) => sum + body.length, 0);
      expect(Number(finished.bytesDone)).toBe(totalBytes);
      await waitFor(async () => (await orm.em.fork().findOneOrFail(Job, { id: jobId })).status === 'SCHEDULED', 10_000, 'the job to be SCHEDULED');
      const rows = await orm.em.fork().find(SyncObject, { jobId });
      expect(rows.filter((row) => row.status !== 'PROCESSED').map((row) => `${row.key}:${row.status}`)).toEqual([]);
      for (const [key, body] of objects) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, jobId, key)), key).toBe(sha256(body));
    } finally {
      await Promise.all([a, b].map((instance) => instance?.kill9()));
      await orm.close(true);
    }
  }, 180_000);
});
