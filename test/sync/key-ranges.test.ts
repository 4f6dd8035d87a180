import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { listingBoundaries } from '../../src/sync/checkpoint/listing-boundaries.js';
import { previewSync } from '../../src/sync/sync-preview.js';
import { waitFor } from '../helpers/poll.js';
import { startSyntheticS3, type SyntheticS3 } from '../helpers/synthetic-s3.js';
import { startCli } from './sync-cli.js';
import { startSyncFixture, type SyncFixture } from './sync-fixture.js';

/** Four ranges of 300 stored keys: at most KEYS / this minimum, fewer than LIST_CONCURRENCY's default. */
const RANGE = 300;
const KEYS = 4 * RANGE;
const tuning = { listRangeMinKeys: RANGE };
/** A first page of 100 keys, then 1000 a page: three pages in one sequence. */
const SEQUENTIAL_PAGES = 1 + Math.ceil((KEYS - 100) / 1000);
/** Changed at the source after the first run: on both sides of the future range seams (stored keys 300, 600 and 900). */
const CHANGED = [0, RANGE - 1, RANGE, RANGE + 1, 2 * RANGE - 1, 2 * RANGE, 3 * RANGE + 1, KEYS - 1];
/** Removed at the source after the first run, on both sides of the seams too. */
const REMOVED = [RANGE - 2, 2 * RANGE + 1, 3 * RANGE - 1, 3 * RANGE];
/** The changed objects and one in ten have bytes; the others are empty files (no GET): the first run stays quick. */
const sizeOfKeys = (index: number) => (CHANGED.includes(index) || index % 10 === 0 ? 1 + (index % 64) : 0);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A first run (one listing: nothing is stored yet), then the bucket changes near the future range seams. */
async function syncedThenChanged(f: SyncFixture, s3: SyntheticS3) {
  await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
  const first = await f.sync({ connector: f.connectorVia(s3.endpoint), tuning });
  expect(first.status, first.run.error ?? '').toBe('SUCCEEDED');
  expect(s3.counts.startAfterLists).toBe(0);
  for (const index of CHANGED) s3.change(index);
  for (const index of REMOVED) s3.deleted.add(index);
  s3.resetCounts();
  return { changed: CHANGED, removed: REMOVED };
}

/** What a user checks after the rerun: every object's bytes on disk, the removed ones gone, every row listed by the rerun. */
async function expectMirrored(f: SyncFixture, s3: SyntheticS3, runId: number, removed: number[]) {
  for (let index = 0; index < KEYS; index += 1) {
    const path = join(f.root, s3.keyAt(index));
    if (removed.includes(index)) {
      await expect(stat(path), s3.keyAt(index)).rejects.toThrow(/ENOENT/);
      continue;
    }
    expect(sha256(await readFile(path)), s3.keyAt(index)).toBe(sha256(s3.body(index)));
  }
  const em = f.orm.em.fork();
  expect(await em.count(SyncObject, { jobId: f.jobId, listedRunId: runId })).toBe(KEYS - removed.length);
  expect(await em.count(SyncObject, { jobId: f.jobId, status: 'DELETED' })).toBe(removed.length);
}

describe('a rerun lists its prefix as key ranges side by side', () => {
  it('four ranges from the stored keys: each change fetched once, each removal mirrored, a request more per range at most', async () => {
    await using f = await startSyncFixture();
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf: sizeOfKeys });
    const { changed, removed } = await syncedThenChanged(f, s3);
    const request = { bucket: s3.bucket, ranges: 8, minKeys: tuning.listRangeMinKeys, prefix: '', after: null };
    expect(await listingBoundaries(f.orm, f.jobId, request)).toEqual([RANGE, 2 * RANGE, 3 * RANGE].map((index) => s3.keyAt(index)));
    expect(await listingBoundaries(f.orm, f.jobId, { ...request, after: s3.keyAt(2 * RANGE + RANGE / 2) })).toEqual([s3.keyAt(3 * RANGE)]);
    expect(await listingBoundaries(f.orm, f.jobId, { ...request, bucket: 'mirror--use1-az4--x-s3' }), 'a directory bucket').toEqual([]);

    const rerun = await f.sync({ connector: f.connectorVia(s3.endpoint), tuning });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.run).toMatchObject({ objectsTotal: KEYS - removed.length, objectsDone: KEYS - removed.length, objectsFailed: 0, listingComplete: true });
    expect(s3.counts.startAfterLists, 'listings started after a boundary').toBe(3);
    expect(rerun.stats).toMatchObject({ listRanges: 4, listRangesGivenUp: false });
    expect(s3.counts.lists, 'at most one page more per range: the one read past its end').toBeLessThanOrEqual(SEQUENTIAL_PAGES + 3);
    expect(s3.counts.gets).toBe(changed.length);
    await expectMirrored(f, s3, rerun.runId, removed);
  });

  it('a server that ignores start-after: the ranges are given up at their first seam and nothing is missed', async () => {
    await using f = await startSyncFixture();
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf: sizeOfKeys });
    const { changed, removed } = await syncedThenChanged(f, s3);
    s3.faults.ignoreStartAfter = true;

    const rerun = await f.sync({ connector: f.connectorVia(s3.endpoint), tuning });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.run).toMatchObject({ objectsTotal: KEYS - removed.length, objectsDone: KEYS - removed.length, objectsFailed: 0 });
    expect(s3.counts.startAfterLists).toBeGreaterThanOrEqual(3);
    expect(rerun.stats).toMatchObject({ listRanges: 4, listRangesGivenUp: true });
    expect(s3.counts.gets).toBe(changed.length);
    await expectMirrored(f, s3, rerun.runId, removed);
  });

  it('LIST_CONCURRENCY=1 lists in one sequence', async () => {
    await using f = await startSyncFixture();
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf: sizeOfKeys });
    await syncedThenChanged(f, s3);
    f.config.listConcurrency = 1;

    const rerun = await f.sync({ connector: f.connectorVia(s3.endpoint), tuning });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(s3.counts).toMatchObject({ startAfterLists: 0, lists: SEQUENTIAL_PAGES });
    expect(rerun.stats).toMatchObject({ listRanges: 1, listRangesGivenUp: false });
  });
});

describe('a server that does not list in key order (s3rver: folder by folder)', () => {
  it('no key ranges after a listing out of order: every key listed again, mirror deletes remove nothing', async () => {
    await using f = await startSyncFixture();
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 50 });
    // s3rver lists "d/00" … "d/09" before "d 0" and "d 1", though " " sorts below "/".
    const keys = ['d 0', 'd 1', ...Array.from({ length: 10 }, (_, i) => `d/0${i}`)];
    await f.s3.putObjects(keys.map((key) => [key, `body of ${key}`]));
    const few = { listRangeMinKeys: 2 };

    const first = await f.sync({ tuning: few });
    expect(first.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: 12, listAfter: null });
    const request = { bucket: f.s3.bucket, ranges: 8, minKeys: few.listRangeMinKeys, prefix: '', after: null };
    expect(await listingBoundaries(f.orm, f.jobId, request), 'a listing out of order records no position: no ranges').toEqual([]);

    const rerun = await f.sync({ tuning: few });
    expect(rerun.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: 12, objectsDone: 12 });
    expect(rerun.stats).toMatchObject({ listRanges: 1 });
    expect(await f.orm.em.fork().count(SyncObject, { jobId: f.jobId, status: 'DELETED' })).toBe(0);
    for (const key of keys) expect(await readFile(join(f.root, key), 'utf8'), key).toBe(`body of ${key}`);
  });
});

/** Two ranges of 5,000 stored keys (the default minimum). */
const MANY = 10_000;
/** One object in ten has bytes; the others are empty files (no GET): the first run stays quick. */
const sizeOf = (index: number) => (index % 10 === 0 ? 1 + (index % 64) : 0);

/**
 * One first run for both tests, the preview's first: a preview writes nothing (sync-preview.ts), so
 * the rerun killed after it starts from the state the first run left. Each test brings its own
 * server, whose objects are at the versions the first run stored.
 */
describe('a job with 10,000 stored keys', () => {
  let f: SyncFixture;
  let firstRunId: number;
  beforeAll(async () => {
    f = await startSyncFixture();
    await using s3 = await startSyntheticS3({ keys: MANY, bucket: f.s3.bucket, sizeOf });
    const first = await f.sync({ connector: f.connectorVia(s3.endpoint) });
    expect(first.status).toBe('SUCCEEDED');
    firstRunId = first.runId;
  }, 60_000);
  afterAll(() => f?.[Symbol.asyncDispose]());
  /** The first run is the job's only one: no test before has run it again. */
  const expectFirstRunOnly = async () => expect(await f.orm.em.fork().find(SyncRun, { jobId: f.jobId }, { fields: ['id'] as never })).toMatchObject([{ id: firstRunId }]);

  describe('a preview of a job with stored keys', () => {
    it('lists as key ranges too, and counts and samples what one listing would, also when the ranges are given up', async () => {
      await expectFirstRunOnly();
      await using s3 = await startSyntheticS3({ keys: MANY, bucket: f.s3.bucket, sizeOf });
      const changed = [0, 4990, 5000, 5010, 9990];
      for (const index of changed) s3.change(index);
      const connector = f.connectorVia(s3.endpoint);
      const job = await f.orm.em.fork().findOneOrFail(Job, { id: f.jobId }, { populate: ['sealedCredentials'] as never });
      const connectors = { acquire: () => ({ connector, release: () => {} }) };
      const preview = (listConcurrency: number) => previewSync({ orm: f.orm, connectors, downloadRoot: f.config.downloadRoot, listConcurrency }, job);

      s3.resetCounts();
      const ranged = await preview(8);
      expect(s3.counts.startAfterLists, 'two ranges').toBe(1);
      s3.faults.ignoreStartAfter = true;
      const givenUp = await preview(8);
      s3.faults.ignoreStartAfter = false;
      s3.resetCounts();
      const sequential = await preview(1);
      expect(s3.counts.startAfterLists).toBe(0);

      const unchangedKeys = Array.from({ length: MANY }, (_, index) => index).filter((index) => !changed.includes(index)).map((index) => s3.keyAt(index));
      expect(sequential).toMatchObject({
        listedObjects: MANY,
        fetch: { objects: changed.length, keys: changed.map((index) => s3.keyAt(index)) },
        skip: { objects: MANY - changed.length, keys: unchangedKeys.slice(0, 100) },
      });
      expect(ranged).toEqual(sequential);
      expect(givenUp).toEqual(sequential);
    });
  });

  describe('a rerun killed (-9) while its key ranges list', () => {
    it('resumed from the recorded position: every key listed by the run, each change fetched once, the rest not again', async () => {
      await expectFirstRunOnly();
      await using s3 = await startSyntheticS3({ keys: MANY, bucket: f.s3.bucket, sizeOf });
      const changed = [10, 2500, 4990, 5000, 5010, 9990];
      for (const index of changed) s3.change(index);
      // Slow lists, so the kill lands mid-listing; two ranges of 5,000 stored keys (the default minimum).
      s3.faults.listDelayMs = 150;

      const cli = startCli(f, s3.endpoint);
      const { id: runId } = await waitFor(() => f.orm.em.fork().findOne(SyncRun, { jobId: f.jobId, id: { $gt: firstRunId } }), 30_000, 'the CLI run');
      const listedByRun = () => f.orm.em.fork().count(SyncObject, { jobId: f.jobId, listedRunId: runId });
      await waitFor(async () => (await listedByRun()) >= 4000, 60_000, 'the ranges past 4,000 keys');
      cli.child.kill('SIGKILL');
      expect((await cli.exit).signal).toBe('SIGKILL');
      expect(s3.counts.startAfterLists, 'ranges were listing').toBe(1);
      expect(await listedByRun()).toBeLessThan(MANY);
      const cut = await f.orm.em.fork().findOneOrFail(SyncRun, { id: runId });
      // The second range (after stored key 5,000) had listed keys, the first had not finished: the
      // recorded position is the first range's, so a resumed run cannot skip what it left.
      const boundary = s3.keyAt(5000);
      expect(await f.orm.em.fork().count(SyncObject, { jobId: f.jobId, listedRunId: runId, key: { $gt: boundary } })).toBeGreaterThan(0);
      expect(await f.orm.em.fork().count(SyncObject, { jobId: f.jobId, listedRunId: runId, key: { $lte: boundary } })).toBeLessThan(5001);
      expect(cut.listAfter, 'a position recorded from the first range').not.toBeNull();
      expect(cut.listAfter! < boundary).toBe(true);

      s3.faults.listDelayMs = 0;
      const resumed = startCli(f, s3.endpoint);
      const done = await resumed.exit;
      expect(done.code, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({ runId, status: 'SUCCEEDED', objectsTotal: MANY, objectsDone: MANY, objectsFailed: 0 });
      expect(await listedByRun()).toBe(MANY);
      expect(s3.counts.gets, 'each changed object fetched once, or again if its row had not committed at the kill').toBeGreaterThanOrEqual(changed.length);
      for (const index of changed) expect(sha256(await readFile(join(f.root, s3.keyAt(index)))), s3.keyAt(index)).toBe(sha256(s3.body(index)));
      // Both processes together: one listing, and again what the killed one had listed past the
      // recorded position (the second range's pages); 16–18 requests here against 11 for one listing.
      expect(s3.counts.lists).toBeLessThanOrEqual(2 * (1 + Math.ceil((MANY - 100) / 1000)));
    }, 120_000);
  });
});
