import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { readObjectCounts } from '../../src/db/object-counts.js';
import { createCheckpointStore, JobGoneError } from '../../src/sync/checkpoint/checkpoint-store.js';
import { startSyncFixture } from '../sync/sync-fixture.js';

const KEYS = ['plain.txt', `it's "quoted" \\ back/slash`, 'ünïcödé/☃ snow.bin', 'percent %_ under_score', 'a'.repeat(900)];

describe('the checkpoint store commits a batch of object states (row batcher)', () => {
  it('sets each row as given, whatever its key, the latest update of a key winning; the run counters in the same commit', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    const store = createCheckpointStore(f.orm, f.jobId, runId, 'inst-1');
    await store.upsert(KEYS.map((key, i) => ({ remote: { key, size: 100 + i, etag: `"e${i}"`, lastModified: null, checksumAlgorithms: [] }, stored: undefined, lastPosition: 0 })));
    const keys = [...Array(450).keys()].map((i) => `many/${String(i).padStart(4, '0')}`);
    await store.upsert(keys.map((key) => ({ remote: { key, size: 7, etag: '"x"', lastModified: null, checksumAlgorithms: [] }, stored: undefined, lastPosition: 0 })));

    await store.commitMany(
      [
        { key: KEYS[0]!, update: { status: 'FAILED', error: 'first try' } },
        { key: KEYS[1]!, update: { status: 'PROCESSED', lastPosition: 101, localPath: '/d/1', error: null } },
        { key: KEYS[2]!, update: { status: 'FAILED', error: 'bad', lastPosition: 0 } },
        { key: KEYS[3]!, update: { status: 'EXCLUDED' } },
        { key: KEYS[4]!, update: { status: 'PROCESSED', lastPosition: 104, localPath: `/d/${KEYS[4]}`, error: null } },
        { key: KEYS[0]!, update: { status: 'PROCESSED', lastPosition: 100, localPath: '/d/0', error: null } },
        // More rows of one shape than one statement takes (200).
        ...keys.map((key) => ({ key, update: { status: 'PROCESSED' as const, lastPosition: 7, localPath: `/d/${key}`, error: null } })),
      ],
      { objectsDone: 3, bytesDone: 305 },
    );

    const rows = await f.orm.em.fork().find(SyncObject, { jobId: f.jobId, key: { $in: KEYS } });
    const byKey = new Map(rows.map((r) => [r.key, [r.status, Number(r.lastPosition), r.localPath, r.error, r.runId, r.instanceId]]));
    expect(Object.fromEntries(byKey)).toEqual({
      [KEYS[0]!]: ['PROCESSED', 100, '/d/0', null, runId, 'inst-1'],
      [KEYS[1]!]: ['PROCESSED', 101, '/d/1', null, runId, 'inst-1'],
      [KEYS[2]!]: ['FAILED', 0, null, 'bad', runId, 'inst-1'],
      [KEYS[3]!]: ['EXCLUDED', 0, null, null, runId, 'inst-1'],
      [KEYS[4]!]: ['PROCESSED', 104, `/d/${KEYS[4]}`, null, runId, 'inst-1'],
    });
    const many = await f.orm.em.fork().find(SyncObject, { jobId: f.jobId, key: { $like: 'many/%' } }, { orderBy: { key: 'asc' } });
    expect(many.map((r) => [r.key, r.status, Number(r.lastPosition), r.localPath])).toEqual(keys.map((key) => [key, 'PROCESSED', 7, `/d/${key}`]));
    expect(await f.orm.em.fork().findOne(SyncRun, { id: runId })).toMatchObject({ objectsDone: 3, bytesDone: 305 });
    // The triggers that keep the job's counts ran for every changed row.
    expect(Object.fromEntries(await readObjectCounts(f.orm, f.jobId))).toEqual({ PROCESSED: 453, FAILED: 1, EXCLUDED: 1 });
  });

  it('records new keys as the listing gave them, and writes the counters only of a run this instance may write', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    const store = createCheckpointStore(f.orm, f.jobId, runId, 'inst-1');
    const lastModified = new Date('2026-11-02T03:04:05.678Z');
    const before = Date.now();
    await store.upsert([
      { remote: { key: 'dated', size: 2 ** 40, etag: '"d"', lastModified, checksumAlgorithms: ['CRC32C', 'SHA256'] }, stored: undefined, lastPosition: 0 },
      { remote: { key: 'plain', size: 0, etag: '"p"', lastModified: null, checksumAlgorithms: [] }, stored: undefined, lastPosition: 0 },
    ]);
    const rows = await f.orm.em.fork().find(SyncObject, { jobId: f.jobId }, { orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, Number(r.size), r.etag, r.lastModified?.toISOString() ?? null, r.checksumAlgorithms, Number(r.lastPosition), r.status])).toEqual([
      ['dated', 2 ** 40, '"d"', lastModified.toISOString(), 'CRC32C,SHA256', 0, 'PENDING'],
      ['plain', 0, '"p"', null, null, 0, 'PENDING'],
    ]);
    for (const row of rows) {
      expect([row.runId, row.instanceId, row.localPath, row.error, row.checksum, row.listedRunId, row.claimOwner]).toEqual([runId, 'inst-1', null, null, null, null, null]);
      expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(row.updatedAt.getTime()).toBe(row.createdAt.getTime());
    }

    await f.orm.em.fork().nativeUpdate(SyncRun, { id: runId }, { leaseOwner: 'inst-2' });
    await store.commitMany([{ key: 'plain', update: { status: 'PROCESSED', lastPosition: 0, localPath: '/d/plain', error: null } }], { objectsDone: 1 });
    expect(await f.orm.em.fork().findOne(SyncRun, { id: runId })).toMatchObject({ objectsDone: 0 });
    await f.orm.em.fork().nativeUpdate(SyncRun, { id: runId }, { leaseOwner: 'inst-1' });
    await store.commitMany([{ key: 'dated', update: { status: 'PROCESSED', lastPosition: 2 ** 40, localPath: '/d/dated', error: null } }], { objectsDone: 2, bytesDone: 2 ** 40 });
    expect(await f.orm.em.fork().findOne(SyncRun, { id: runId })).toMatchObject({ objectsDone: 2, bytesDone: 2 ** 40 });
  });

  it('writes a known row from the listing only while it is as read or open: a row finished meanwhile keeps its result', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    const holder = createCheckpointStore(f.orm, f.jobId, runId, 'holder');
    const helper = createCheckpointStore(f.orm, f.jobId, runId, 'helper');
    const listed = (key: string, etag: string, size = 10) => ({ key, size, etag, lastModified: null as Date | null, checksumAlgorithms: [] as string[] });
    const keys = ['done-meanwhile', 'failed-meanwhile', 'checkpointed-meanwhile', 'still-pending', 'read-as-processed'];
    await holder.upsert(keys.map((key) => ({ remote: listed(key, '"v1"'), stored: undefined, lastPosition: 0 })));
    await holder.commit('read-as-processed', { status: 'PROCESSED', lastPosition: 10, localPath: '/d/gone' });

    // A holder taking the run over lists again and reads the rows; a helper then works on them.
    const read = await holder.load(keys);
    await helper.commit('done-meanwhile', { status: 'PROCESSED', lastPosition: 10, localPath: '/d/done' });
    await helper.commit('failed-meanwhile', { status: 'FAILED', error: 'access denied' });
    await helper.commit('checkpointed-meanwhile', { status: 'PROCESSING', lastPosition: 4 });
    const lastModified = new Date('2026-11-30T01:02:03.456Z');
    const newVersion = (key: string) => ({ ...listed(key, '"v2"', 2 ** 40), lastModified, checksumAlgorithms: ['CRC64NVME'] });
    await holder.upsert(keys.map((key) => ({ remote: newVersion(key), stored: read.get(key), lastPosition: 0 })));

    const rows = await f.orm.em.fork().find(SyncObject, { jobId: f.jobId }, { orderBy: { key: 'asc' } });
    expect(Object.fromEntries(rows.map((r) => [r.key, [r.status, r.etag, Number(r.size), Number(r.lastPosition), r.error, r.instanceId]]))).toEqual({
      'done-meanwhile': ['PROCESSED', '"v1"', 10, 10, null, 'helper'],
      'failed-meanwhile': ['FAILED', '"v1"', 10, 0, 'access denied', 'helper'],
      // Still open: the listing's newer version wins, as before.
      'checkpointed-meanwhile': ['PENDING', '"v2"', 2 ** 40, 0, null, 'helper'],
      'still-pending': ['PENDING', '"v2"', 2 ** 40, 0, null, 'holder'],
      // Read as PROCESSED (its file was gone, so the listing fetches it again) and still so: written.
      'read-as-processed': ['PENDING', '"v2"', 2 ** 40, 0, null, 'holder'],
    });
    for (const row of rows.filter((r) => r.etag === '"v2"')) {
      expect([row.lastModified?.toISOString(), row.checksumAlgorithms, row.runId]).toEqual([lastModified.toISOString(), 'CRC64NVME', runId]);
    }
    expect(Object.fromEntries(await readObjectCounts(f.orm, f.jobId))).toEqual({ PROCESSED: 1, FAILED: 1, PENDING: 3 });

    await f.orm.em.fork().nativeDelete(Job, { id: f.jobId });
    await expect(holder.upsert([{ remote: listed('still-pending', '"v3"'), stored: read.get('still-pending'), lastPosition: 0 }])).rejects.toBeInstanceOf(JobGoneError);
  });

  it('refuses with JobGoneError, changing nothing, once the job is deleted', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    const store = createCheckpointStore(f.orm, f.jobId, runId, 'inst-1');
    await store.upsert([{ remote: { key: 'a', size: 1, etag: '"a"', lastModified: null, checksumAlgorithms: [] }, stored: undefined, lastPosition: 0 }]);
    await f.orm.em.fork().nativeDelete(Job, { id: f.jobId });
    await expect(store.commitMany([{ key: 'a', update: { status: 'PROCESSED', lastPosition: 1, localPath: '/d/a', error: null } }], { objectsDone: 1 })).rejects.toBeInstanceOf(JobGoneError);
  });
});
