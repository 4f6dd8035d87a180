import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { startSyntheticS3 } from '../helpers/synthetic-s3.js';
import { startSyncFixture } from './sync-fixture.js';

/** Three pages: enough for a page in the middle, one at the end, and keys ahead of the page being answered. */
const KEYS = 1200;
/** A first page of 100 keys, then 1000 a page. */
const LIST_PAGES = 3;
const sizeOf = (index: number) => (index % 5 === 0 ? 10 + (index % 50) : 0);
const WITH_BYTES = KEYS / 5;

async function setup(options: { retryCount?: number } = {}) {
  const f = await startSyncFixture({ retryCount: options.retryCount });
  const s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf });
  const connector = f.connectorVia(s3.endpoint);
  return {
    f,
    s3,
    sync: () => f.sync({ connector }),
    count: (where: object = {}) => f.orm.em.fork().count(SyncObject, { jobId: f.jobId, ...where }),
    async [Symbol.asyncDispose]() {
      await s3.stop();
      await f[Symbol.asyncDispose]();
    },
  };
}

describe('listing faults on the synthetic S3 server', () => {
  test('keys out of order and repeated across pages: each recorded and fetched once; no resume position is kept', async () => {
    await using t = await setup();
    t.s3.faults.reversePages = true;
    t.s3.faults.repeatLastKey = true;
    const run = await t.sync();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.run).toMatchObject({ objectsTotal: KEYS, objectsDone: KEYS, objectsFailed: 0, listingComplete: true, listAfter: null });
    expect(t.s3.counts.gets).toBe(WITH_BYTES);
    expect(await t.count()).toBe(KEYS);
    expect(await readFile(join(t.f.root, t.s3.keyAt(1000)))).toEqual(t.s3.body(1000));
  });

  test('keys repeated across pages of an ordered listing: counted once; the position is the last key', async () => {
    await using t = await setup();
    t.s3.faults.repeatLastKey = true;
    const run = await t.sync();
    expect(run.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS, listingComplete: true, listAfter: t.s3.keyAt(KEYS - 1) });
    expect(t.s3.counts.gets).toBe(WITH_BYTES);
  });

  test('a page that fails once is retried and the listing completes; one that keeps failing fails the run and mirror deletes wait', async () => {
    await using t = await setup({ retryCount: 2 });
    await t.f.orm.em.fork().nativeUpdate(Job, { id: t.f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
    t.s3.faults.failLists.add(2);
    const first = await t.sync();
    expect(first.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS, listingComplete: true });
    expect(t.s3.counts.lists).toBe(LIST_PAGES + 1);

    // Gone at the source: 10 files. The second page then fails on every attempt (1 + 2 retries).
    for (let index = 0; index < 50; index += 5) t.s3.deleted.add(index);
    t.s3.resetCounts();
    for (const n of [2, 3, 4]) t.s3.faults.failLists.add(n);
    const cut = await t.sync();
    expect(cut.status).toBe('FAILED');
    expect(cut.run.error).toMatch(/^listing failed/);
    expect(cut.run.listingComplete).not.toBe(true);
    expect(cut.deletes).toBeUndefined();
    expect(existsSync(join(t.f.root, t.s3.keyAt(5)))).toBe(true);
    expect(await t.count({ status: 'DELETED' })).toBe(0);

    const whole = await t.sync();
    expect(whole.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS - 10, listingComplete: true });
    expect(whole.deletes).toMatchObject({ kind: 'deleted', removed: 10 });
    expect(existsSync(join(t.f.root, t.s3.keyAt(5)))).toBe(false);
    expect(await t.count({ status: 'DELETED' })).toBe(10);
  });

  test('a page cut short (its last <Contents> and the closing tags missing, Content-Length honest): retried, then the run fails and mirror deletes wait', async () => {
    await using t = await setup({ retryCount: 2 });
    await t.f.orm.em.fork().nativeUpdate(Job, { id: t.f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
    expect((await t.sync()).run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS });

    // The last page, cut on its first attempt only: retried, nothing lost.
    t.s3.resetCounts();
    t.s3.faults.cutLists.add(LIST_PAGES);
    const retried = await t.sync();
    expect(retried.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS, listingComplete: true });
    expect(t.s3.counts.lists).toBe(LIST_PAGES + 1);
    expect(await t.count({ status: 'DELETED' })).toBe(0);

    // Cut on every attempt: the listing fails, nothing is taken for deleted.
    t.s3.resetCounts();
    for (const n of [LIST_PAGES, LIST_PAGES + 1, LIST_PAGES + 2]) t.s3.faults.cutLists.add(n);
    const cut = await t.sync();
    expect(cut.status).toBe('FAILED');
    expect(cut.run.error).toMatch(/^listing failed.*cut short/);
    expect(cut.deletes).toBeUndefined();
    expect(await t.count({ status: 'DELETED' })).toBe(0);
    expect(existsSync(join(t.f.root, t.s3.keyAt(KEYS - 1)))).toBe(true);
  });

  test('a listing that changes between pages: keys removed ahead are never seen, a key changed ahead is fetched in its new version', async () => {
    await using t = await setup();
    t.s3.faults.beforeList = (n) => {
      if (n !== 2) return;
      t.s3.deleted.add(1150);
      t.s3.change(1120);
    };
    const run = await t.sync();
    expect(run.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS - 1, objectsFailed: 0 });
    expect(await t.count({ key: t.s3.keyAt(1150) })).toBe(0);
    expect(await readFile(join(t.f.root, t.s3.keyAt(1120)))).toEqual(t.s3.body(1120));
  });
});
