import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startThrottledSource } from './throttled-source.js';

describe('a session whose own claims ran out while it still works on them', () => {
  it('does not claim them again: each object is fetched once, the run ends SUCCEEDED, byte-identical', async () => {
    const objects: Array<[string, Buffer]> = [
      ['d/first.bin', seededBytes(300_000, 1)],
      ['d/second.bin', seededBytes(300_001, 2)],
    ];
    const totalBytes = objects.reduce((sum, [, body]) => sum + body.length, 0);
    // About a second per object: the claims run out while the first is in flight.
    await using source = await startThrottledSource(objects, 300 * 1024);
    // A lease of an hour: no renewal comes between the claims' expiry and the session's next claim.
    const env = source.instanceEnv({ SYNC_CONCURRENCY: '1', RUN_LEASE_TTL: '1h', INSTANCE_ID: 'a' });
    await using app = await startTestApp({ env });
    const job = await createPausedJobInService(app, { name: 'own expired claims', schedule: 'daily', bucket: source.s3.bucket, prefix: 'd/' });
    const { run } = await app.services.lifecycle.trigger(job.id);
    const connection = app.orm.em.getConnection();
    await waitFor(async () => {
      const [row] = (await connection.execute('select count(*) as claimed from sync_objects where run_id = ? and claim_owner is not null', [run.id])) as Array<{ claimed: string }>;
      return Number(row?.claimed) === objects.length && source.s3.counts.gets > 0;
    }, 30_000, 'both objects to be claimed and the first one fetched');
    // The renewals missed for a lease's length (a database outage): nobody else took the rows meanwhile.
    await connection.execute(`update sync_objects set claim_expires_at = now() - interval '1 minute' where run_id = ?`, [run.id]);

    const finished = await waitFor(async () => {
      const row = await app.orm.em.fork().findOne(SyncRun, { id: run.id });
      return row && row.status !== 'RUNNING' ? row : undefined;
    }, 60_000, 'the run to end');
    expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsDone: objects.length, objectsFailed: 0, error: null });
    expect(source.s3.counts.getRanges.map(({ key }) => key).sort()).toEqual(objects.map(([key]) => key));
    expect(source.s3.counts.getBytes).toBe(totalBytes);
    const rows = await app.orm.em.fork().find(SyncObject, { jobId: job.id }, { orderBy: { key: 'asc' } });
    expect(rows.map((row) => [row.key, row.status, row.claimOwner])).toEqual(objects.map(([key]) => [key, 'PROCESSED', null]));
    for (const [key, body] of objects) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, job.id, key)), key).toBe(sha256(body));
  }, 90_000);
});
