import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { previewSync } from '../../src/sync/sync-preview.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/** The key `a/k` (a file) beside the folder marker `a/k/` (a 0-byte object, as the S3 console makes). */
const FILE = 'a/k';
const MARKER = 'a/k/';
const SMALL = seededBytes(1_000, 31);
const CHUNKED = seededBytes(3 * CHUNK + 5, 32);

async function statuses(f: SyncFixture) {
  return Object.fromEntries((await f.rows()).map((row) => [row.key, row.status]));
}

/** A second run that finds everything in place: no GET, nothing failed, rows unchanged. */
async function expectNoOpRerun(f: SyncFixture) {
  const rowsBefore = await statuses(f);
  f.s3.resetCounts();
  const rerun = await f.sync();
  expect(rerun.status).toBe('SUCCEEDED');
  expect(rerun.run).toMatchObject({ objectsFailed: 0 });
  expect(f.s3.counts.gets).toBe(0);
  expect(await statuses(f)).toEqual(rowsBefore);
}

describe('a key k beside an empty folder marker k/', () => {
  test('both listed from the start: the file is stored, the marker is done; a rerun fetches nothing', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([[MARKER, ''], [FILE, SMALL], ['a/other.txt', 'other']]);
    const first = await f.sync();
    expect(first.status).toBe('SUCCEEDED');
    expect(first.run).toMatchObject({ objectsTotal: 3, objectsDone: 3, objectsFailed: 0 });
    expect(await sha256File(join(f.root, FILE))).toBe(sha256(SMALL));
    expect(await statuses(f)).toEqual({ [FILE]: 'PROCESSED', [MARKER]: 'SKIPPED', 'a/other.txt': 'PROCESSED' });
    await expectNoOpRerun(f);
  });

  test.each([
    ['small', SMALL, 'PROCESSED'],
    ['chunked', CHUNKED, 'PROCESSED'],
    ['empty', Buffer.alloc(0), 'SKIPPED'],
  ])('marker synced first, then the %s file added: the empty marker folder gives way to the file', async (_kind, body, done) => {
    await using f = await startSyncFixture();
    await f.s3.putObject(MARKER, '');
    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect(lstatSync(join(f.root, FILE)).isDirectory()).toBe(true);

    await f.s3.putObject(FILE, body);
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(second.run).toMatchObject({ objectsFailed: 0 });
    expect(await sha256File(join(f.root, FILE))).toBe(sha256(body));
    expect(await statuses(f)).toEqual({ [FILE]: done, [MARKER]: 'SKIPPED' });
    await expectNoOpRerun(f);
  });

  test('file synced first, then the marker added: the file stays, the marker is done', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject(FILE, SMALL);
    expect((await f.sync()).status).toBe('SUCCEEDED');

    await f.s3.putObject(MARKER, '');
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(second.run).toMatchObject({ objectsFailed: 0 });
    expect(await sha256File(join(f.root, FILE))).toBe(sha256(SMALL));
    expect(await statuses(f)).toEqual({ [FILE]: 'PROCESSED', [MARKER]: 'SKIPPED' });
    await expectNoOpRerun(f);

    // The preview agrees with the run: both skipped, nothing to fetch.
    const job = await f.orm.em.fork().findOneOrFail(Job, { id: f.jobId });
    const connector = f.connectorVia(f.s3.endpoint);
    const preview = await previewSync({ orm: f.orm, connectors: { acquire: () => ({ connector, release: () => {} }) }, downloadRoot: f.config.downloadRoot }, job);
    expect(preview).toMatchObject({ fetch: { objects: 0 }, skip: { objects: 2, keys: [FILE, MARKER] } });
  });

  test("a marker folder holding a user's file never gives way: the file k fails, nothing is lost", async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject(MARKER, '');
    expect((await f.sync()).status).toBe('SUCCEEDED');
    writeFileSync(join(f.root, FILE, 'mine.txt'), 'my own notes');

    await f.s3.putObject(FILE, SMALL);
    const second = await f.sync();
    expect(second.status).toBe('FAILED');
    expect(await f.row(FILE)).toMatchObject({ status: 'FAILED', error: 'the local path is a directory (another key is stored below it)' });
    expect(readFileSync(join(f.root, FILE, 'mine.txt'), 'utf8')).toBe('my own notes');
  });

  test('mirror deletes: a gone marker leaves the file k; with k gone, the marker makes its folder on the next run', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([[MARKER, ''], [FILE, SMALL], ['keep.txt', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });

    await f.s3.deleteObject(MARKER);
    const markerGone = await f.sync();
    expect(markerGone.status).toBe('SUCCEEDED');
    expect(markerGone.deletes).toMatchObject({ removed: 0, markersGone: 1 });
    expect(await sha256File(join(f.root, FILE))).toBe(sha256(SMALL));

    await f.s3.putObject(MARKER, '');
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.s3.deleteObject(FILE);
    const fileGone = await f.sync();
    expect(fileGone.status).toBe('SUCCEEDED');
    expect(fileGone.deletes).toMatchObject({ removed: 1 });
    expect(existsSync(join(f.root, FILE))).toBe(false);

    const next = await f.sync();
    expect(next.status).toBe('SUCCEEDED');
    expect(lstatSync(join(f.root, FILE)).isDirectory()).toBe(true);
    expect(await statuses(f)).toMatchObject({ [FILE]: 'DELETED', [MARKER]: 'SKIPPED' });
  });
});
