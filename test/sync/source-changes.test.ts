import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { connectorWithGetHook } from './get-hook.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

const accessDenied = () => Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
const mirrorDeletes = (f: SyncFixture) => f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
/** One GET per chunk, one at a time, so a hook before GET n runs with n - 1 chunks on disk. */
const chunkByChunk = { getSpanBytes: CHUNK, spansPerObject: 1 };

describe('objects deleted or replaced at the source', () => {
  test('a chunked object deleted mid-download: FAILED saying so, its partial file removed and its checkpoint reset', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await f.s3.putObjects([['big.bin', seededBytes(6 * CHUNK, 2)], ['other.txt', 'other']]);
    const connector = connectorWithGetHook(f, async (key, n) => {
      if (key === 'big.bin' && n === 2) await f.s3.deleteObject(key);
    });
    const first = await f.sync({ connector, tuning: chunkByChunk });
    expect(first.status).toBe('FAILED');
    expect(await f.row('big.bin')).toMatchObject({
      status: 'FAILED',
      lastPosition: 0,
      error: 'NoSuchKey (HTTP 404): The specified key does not exist.; the object was deleted at the source after it was listed',
    });
    expect(existsSync(partialPathFor(f.root, 'big.bin'))).toBe(false);
    expect(await readFile(join(f.root, 'other.txt'), 'utf8')).toBe('other');
    expect((await f.sync()).status).toBe('SUCCEEDED');
  });

  test('downloads left unfinished (failed, cancelled) of keys gone by the next run: partials removed, rows FAILED at 0; a listed one keeps its own', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await f.s3.putObjects([
      ['a.bin', seededBytes(4 * CHUNK, 1)],
      ['b.bin', seededBytes(4 * CHUNK, 2)],
      ['z.bin', seededBytes(4 * CHUNK, 3)],
    ]);
    const cancel = new AbortController();
    // a and b fail after their first chunk; the run is cancelled during z's second GET.
    const first = await f.sync({
      signal: cancel.signal,
      tuning: chunkByChunk,
      connector: connectorWithGetHook(f, (key, n) => {
        if (n < 2) return;
        if (key === 'z.bin') return cancel.abort();
        throw accessDenied();
      }),
    });
    expect(first.status).toBe('CANCELLED');
    expect(await f.row('a.bin')).toMatchObject({ status: 'FAILED', lastPosition: CHUNK });
    expect(await f.row('z.bin')).toMatchObject({ status: 'PROCESSING', lastPosition: CHUNK });
    for (const key of ['a.bin', 'b.bin', 'z.bin']) expect(existsSync(partialPathFor(f.root, key))).toBe(true);

    await f.s3.deleteObject('a.bin');
    await f.s3.deleteObject('z.bin');
    // b is still at the source and fails again: its partial and checkpoint are the next run's to resume.
    const second = await f.sync({ tuning: chunkByChunk, connector: connectorWithGetHook(f, () => Promise.reject(accessDenied())) });
    expect(second.status).toBe('FAILED');
    expect(await f.row('a.bin')).toMatchObject({ status: 'FAILED', lastPosition: 0, error: 'AccessDenied (HTTP 403): Access Denied' });
    expect(await f.row('z.bin')).toMatchObject({ status: 'FAILED', lastPosition: 0, error: 'deleted at the source before its download finished' });
    expect(existsSync(partialPathFor(f.root, 'a.bin'))).toBe(false);
    expect(existsSync(partialPathFor(f.root, 'z.bin'))).toBe(false);
    expect(await f.row('b.bin')).toMatchObject({ status: 'FAILED', lastPosition: CHUNK });
    expect(existsSync(partialPathFor(f.root, 'b.bin'))).toBe(true);

    f.s3.resetCounts();
    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect(f.s3.counts.getRanges.map((get) => get.key)).toEqual(['b.bin']);
    expect(await sha256File(join(f.root, 'b.bin'))).toBe(sha256(seededBytes(4 * CHUNK, 2)));
  });

  test('downloads left unfinished, then excluded by the filters or replaced by an empty object: their partial files removed', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await f.s3.putObjects([
      ['a.bin', seededBytes(4 * CHUNK, 1)],
      ['b.bin', seededBytes(4 * CHUNK, 2)],
    ]);
    // Both fail after their first chunk.
    const first = await f.sync({ tuning: chunkByChunk, connector: connectorWithGetHook(f, (_key, n) => (n < 2 ? undefined : Promise.reject(accessDenied()))) });
    expect(first.status).toBe('FAILED');
    for (const key of ['a.bin', 'b.bin']) {
      expect(await f.row(key)).toMatchObject({ status: 'FAILED', lastPosition: CHUNK });
      expect(existsSync(partialPathFor(f.root, key))).toBe(true);
    }

    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { excludePatterns: ['a.*'] });
    await f.s3.putObject('b.bin', '');
    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect(await f.row('a.bin')).toMatchObject({ status: 'EXCLUDED', lastPosition: 0 });
    expect(await f.row('b.bin')).toMatchObject({ status: 'SKIPPED' });
    expect(await listTree(f.root)).toEqual(['.dss-partial/', 'b.bin']);
  });

  for (const [what, size, replacedBeforeGet] of [
    ['a small object', 1000, 1],
    ['a chunked object, after its first chunk', 4 * CHUNK + 5, 2],
  ] as const) {
    test(`${what} replaced at a store that ignores If-Match: the answer's ETag names the new version, which is fetched`, async () => {
      await using f = await startSyncFixture({ concurrency: 1 });
      const v2 = seededBytes(size + 100, 6);
      await f.s3.putObject('o.bin', seededBytes(size, 5));
      let v2Etag = '';
      // s3rver serves whatever the key holds now, whatever If-Match says.
      const connector = connectorWithGetHook(f, async (_key, n) => {
        if (n === replacedBeforeGet) v2Etag = (await f.s3.putObject('o.bin', v2)).etag;
      });
      const run = await f.sync({ connector, tuning: chunkByChunk });
      expect(run.status).toBe('SUCCEEDED');
      expect(await f.row('o.bin')).toMatchObject({ status: 'PROCESSED', etag: v2Etag, size: v2.length, error: null });
      expect(await sha256File(join(f.root, 'o.bin'))).toBe(sha256(v2));
    });
  }

  test('mirror deletes remove the folders they empty (not a folder marker\'s), so a key now stored as a file there syncs', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['a/b/c', 'under a'], ['m/', ''], ['m/n', 'under marker'], ['k1', 'keep'], ['k2', 'keep'], ['k3', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    // The source is reorganised: a/b/c and m/n go, a is now a file.
    await f.s3.deleteObject('a/b/c');
    await f.s3.deleteObject('m/n');
    await f.s3.putObject('a', 'now a file');
    // a is fetched before the mirror deletes empty its folder: it fails here, and syncs next time.
    const second = await f.sync();
    expect(second.status).toBe('FAILED');
    expect((await f.row('a/b/c'))?.status).toBe('DELETED');
    expect((await listTree(f.root)).filter((path) => !path.startsWith('.dss-'))).toEqual(['k1', 'k2', 'k3', 'm/']);
    expect(await listTree(join(f.root, '.dss-trash', String(second.runId)))).toEqual(['a/', 'a/b/', 'a/b/c', 'm/', 'm/n']);
    const third = await f.sync();
    expect(third.status).toBe('SUCCEEDED');
    expect(await readFile(join(f.root, 'a'), 'utf8')).toBe('now a file');
    expect(await f.row('a')).toMatchObject({ status: 'PROCESSED', error: null });
  });

  test('a folder marker gone from the source: its row DELETED, its folder removed once empty (not one holding a user\'s file), so a key now stored as a file there syncs', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['m/', ''], ['m/n', 'under marker'], ['u/', ''], ['k1', 'keep'], ['k2', 'keep'], ['k3', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await writeFile(join(f.root, 'u/mine.txt'), 'the user\'s own');
    // The source is reorganised: the folders m/ (marker and file) and u/ go, m is now a file.
    for (const key of ['m/n', 'm/', 'u/']) await f.s3.deleteObject(key);
    await f.s3.putObject('m', 'now a file');
    // m is fetched before the mirror deletes empty its folder: it fails here, and syncs next time.
    expect((await f.sync()).status).toBe('FAILED');
    expect([(await f.row('m/n'))?.status, (await f.row('m/'))?.status, (await f.row('u/'))?.status]).toEqual(['DELETED', 'DELETED', 'DELETED']);
    expect((await listTree(f.root)).filter((path) => !path.startsWith('.dss-'))).toEqual(['k1', 'k2', 'k3', 'u/', 'u/mine.txt']);
    const third = await f.sync();
    expect(third.status, third.run.error ?? '').toBe('SUCCEEDED');
    expect(await readFile(join(f.root, 'm'), 'utf8')).toBe('now a file');
  });

  test('a file mirror deletes cannot move to the trash: kept, its row unchanged, the run FAILED saying so; the next run moves it', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['gone', 'gone'], ['k1', 'keep'], ['k2', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.s3.deleteObject('gone');
    // A plain file where the trash folder should be: the move fails.
    await writeFile(join(f.root, '.dss-trash'), 'not a folder');
    const second = await f.sync();
    expect(second.status).toBe('FAILED');
    expect(second.run.error).toBe('mirror deletes: 1 file(s) could not be moved to the trash; first: gone: a parent folder of the local path is a file (another key uses that name)');
    expect(await readFile(join(f.root, 'gone'), 'utf8')).toBe('gone');
    expect(await f.row('gone')).toMatchObject({ status: 'PROCESSED', error: null });
    await rm(join(f.root, '.dss-trash'));
    const third = await f.sync();
    expect(third.status, third.run.error ?? '').toBe('SUCCEEDED');
    expect(await readFile(join(f.root, '.dss-trash', String(third.runId), 'gone'), 'utf8')).toBe('gone');
    expect((await f.row('gone'))?.status).toBe('DELETED');
  });

  test('files the user replaced after the service wrote them (another size, another mtime) are left in place by mirror deletes, their rows DELETED', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['resized', 'ours'], ['touched', 'ours'], ['stale', 'ours'], ['k1', 'keep'], ['k2', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await writeFile(join(f.root, 'resized'), 'the user\'s longer file');
    await writeFile(join(f.root, 'touched'), 'mine');
    await utimes(join(f.root, 'touched'), new Date('2001-01-01'), new Date('2001-01-01'));
    for (const key of ['resized', 'touched', 'stale']) await f.s3.deleteObject(key);
    const second = await f.sync();
    expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
    expect(second.deletes).toMatchObject({ kind: 'deleted', removed: 1, leftInPlace: 2 });
    expect([await readFile(join(f.root, 'resized'), 'utf8'), await readFile(join(f.root, 'touched'), 'utf8')]).toEqual(['the user\'s longer file', 'mine']);
    expect(await listTree(join(f.root, '.dss-trash', String(second.runId)))).toEqual(['stale']);
    expect([(await f.row('resized'))?.status, (await f.row('touched'))?.status, (await f.row('stale'))?.status]).toEqual(['DELETED', 'DELETED', 'DELETED']);
  });

  test("a user's own content in the file of an empty object, or of a key now excluded, is left in place by mirror deletes", async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['notes.txt', ''], ['run.log', 'ours'], ['stale.log', 'ours'], ['k1', 'keep'], ['k2', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect((await f.row('notes.txt'))?.status).toBe('SKIPPED');
    await writeFile(join(f.root, 'notes.txt'), 'my own notes, not the empty object');
    await writeFile(join(f.root, 'run.log'), 'my own log lines');
    await f.s3.deleteObject('notes.txt');
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { excludePatterns: ['*.log'] });
    const second = await f.sync();
    expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
    expect(second.deletes).toMatchObject({ kind: 'deleted', removed: 1, leftInPlace: 2 });
    expect(await readFile(join(f.root, 'notes.txt'), 'utf8')).toBe('my own notes, not the empty object');
    expect(await readFile(join(f.root, 'run.log'), 'utf8')).toBe('my own log lines');
    expect(await listTree(join(f.root, '.dss-trash', String(second.runId)))).toEqual(['stale.log']);
  });

  test('an older version the service wrote, left by a failed download of the new one, goes to the trash when the key is deleted', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['doc.txt', 'version one'], ['k1', 'keep'], ['k2', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    // The listing records the new version's size and time before its GET; the GET fails.
    await f.s3.putObject('doc.txt', 'version two, a longer body');
    const failing = connectorWithGetHook(f, (key) => {
      if (key === 'doc.txt') throw accessDenied();
    });
    expect((await f.sync({ connector: failing })).status).toBe('FAILED');
    expect(await readFile(join(f.root, 'doc.txt'), 'utf8')).toBe('version one');
    await f.s3.deleteObject('doc.txt');
    const third = await f.sync();
    expect(third.status, third.run.error ?? '').toBe('SUCCEEDED');
    // Before: left in place as "a user's file", its row DELETED, never looked at again.
    expect(third.deletes).toMatchObject({ kind: 'deleted', removed: 1, leftInPlace: 0 });
    expect(existsSync(join(f.root, 'doc.txt'))).toBe(false);
    expect(await readFile(join(f.root, '.dss-trash', String(third.runId), 'doc.txt'), 'utf8')).toBe('version one');
  });

  test('a file whose folder the user removed, then deleted at the source: nothing to move, its row DELETED, the run SUCCEEDED', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['sub/x', 'x'], ['k1', 'keep'], ['k2', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await rm(join(f.root, 'sub'), { recursive: true });
    await f.s3.deleteObject('sub/x');
    // Before: FAILED ("could not be moved to the trash": ENOENT opening sub/), and every run after.
    const second = await f.sync();
    expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
    expect((await f.row('sub/x'))?.status).toBe('DELETED');
    expect((await f.sync()).status).toBe('SUCCEEDED');
  });

  test('a folder a crash left emptied (its file moved to the trash, the row not yet DELETED) is removed by the next run, so a key now stored as a file there syncs', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await mirrorDeletes(f);
    await f.s3.putObjects([['a/b/c', 'under a'], ['k1', 'keep'], ['k2', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.s3.deleteObject('a/b/c');
    await f.s3.putObject('a', 'now a file');
    // What kill -9 leaves right after run 2 moved a/b/c into its trash.
    const trashed = join(f.root, '.dss-trash', '2', 'a/b/c');
    await mkdir(dirname(trashed), { recursive: true });
    await rename(join(f.root, 'a/b/c'), trashed);
    const second = await f.sync();
    expect(second.runId).toBe(2);
    expect((await f.row('a/b/c'))?.status).toBe('DELETED');
    expect((await listTree(f.root)).filter((path) => !path.startsWith('.dss-'))).toEqual(['k1', 'k2']);
    const third = await f.sync();
    expect(third.status, third.run.error ?? '').toBe('SUCCEEDED');
    expect(await readFile(join(f.root, 'a'), 'utf8')).toBe('now a file');
  });
});
