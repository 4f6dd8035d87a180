import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { startSyntheticS3 } from '../helpers/synthetic-s3.js';
import { startSyncFixture } from './sync-fixture.js';

const KEYS = 300;
const sizeOf = () => 100;

/**
 * A listing that fails after its first page ends the run FAILED with the objects it listed and did
 * not fetch left open. On PostgreSQL the run is shared and its counts come from its rows: an object
 * that is neither done nor failed is not counted as done (run row, so REST, RUN_FINISHED, webhooks).
 */
describe('a run whose listing fails part-way', () => {
  test('counts as done only the objects it fetched', async () => {
    await using f = await startSyncFixture({ retryCount: 0, concurrency: 1 });
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf });
    const connector = f.connectorVia(s3.endpoint, { retryCount: 0 });
    s3.faults.failLists.add(2);
    const cut = await f.sync({ connector });
    const em = f.orm.em.fork();
    const done = await em.count(SyncObject, { jobId: f.jobId, status: { $in: ['PROCESSED', 'SKIPPED'] } });
    const open = await em.count(SyncObject, { jobId: f.jobId, status: { $in: ['PENDING', 'PROCESSING'] } });
    expect(cut.status).toBe('FAILED');
    expect(cut.run.error).toMatch(/^listing failed/);
    expect(cut.run).toMatchObject({ objectsTotal: done + open, objectsDone: done, bytesDone: done * 100 });
    expect(f.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'FAILED', bytesTransferred: done * 100 });
  });
});
