import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { previewSync } from '../../src/sync/sync-preview.js';
import type { RemoteObject, S3Connector } from '../../src/sync/transport/s3-connector.js';
import { listTree, seededBytes } from '../helpers/files.js';
import { CHUNK, KiB, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/**
 * The fixture's connector, listing the prefix's objects in these pages (by key), whatever order
 * the server lists them in; keys not named come on a last page.
 */
function listedInPages(f: SyncFixture, pages: string[][]): S3Connector {
  const inner = f.connectorVia(f.s3.endpoint);
  return {
    multipartEtagsAreMd5: inner.multipartEtagsAreMd5,
    async *listPages(bucket, prefix, signal, startAfter) {
      const listed = new Map<string, RemoteObject>();
      for await (const page of inner.listPages(bucket, prefix, signal, startAfter)) for (const remote of page) listed.set(remote.key, remote);
      const take = (keys: string[]) => keys.flatMap((key) => {
        const remote = listed.get(key);
        listed.delete(key);
        return remote ? [remote] : [];
      });
      for (const keys of pages) yield take(keys);
      if (listed.size > 0) yield [...listed.values()];
    },
    headChecksums: (...args) => inner.headChecksums(...args),
    headPart: (...args) => inner.headPart(...args),
    head: (...args) => inner.head(...args),
    getRange: (...args) => inner.getRange(...args),
    destroy: () => inner.destroy(),
  };
}

/** How the listing hands over `conf/k` and its marker `conf/k/` (with `conf/a` beside them). */
const LISTINGS: Array<[string, string[][] | null]> = [
  ['as the server lists them', null],
  ['k first, the marker on the next page', [['conf/a', 'conf/k'], ['conf/k/']]],
  ['the marker first, on an earlier page', [['conf/k/'], ['conf/a', 'conf/k']]],
  ['the marker first, on the same page', [['conf/k/', 'conf/a', 'conf/k']]],
];

/** One object of each transfer path: in memory, streamed whole, chunked. */
const SIZES: Array<[string, Buffer, number | undefined]> = [
  ['a small object', Buffer.from('data in k'), undefined],
  ['an object streamed whole', seededBytes(300 * KiB, 1), 512 * KiB],
  ['a chunked object', seededBytes(3 * CHUNK, 2), undefined],
];

const syncVia = (f: SyncFixture, pages: string[][] | null) => (pages ? f.sync({ connector: listedInPages(f, pages) }) : f.sync());
const mirrorDeletes = (f: SyncFixture) => f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });

async function preview(f: SyncFixture) {
  const job = await f.orm.em.fork().findOneOrFail(Job, { id: f.jobId }, { populate: ['sealedCredentials'] as never });
  const connector = f.connectorVia(f.s3.endpoint);
  return previewSync({ orm: f.orm, connectors: { acquire: () => ({ connector, release: () => {} }) }, downloadRoot: f.config.downloadRoot }, job);
}

/** The rows as a rerun must leave them: no write at all. */
const rowStates = async (f: SyncFixture) => (await f.rows()).map((row) => [row.key, row.status, row.localPath, row.error, row.updatedAt.getTime()]);

describe('an object k beside an empty folder marker k/: the file wins, as with aws s3 sync and rclone', () => {
  test.each(LISTINGS)('listed %s: k is synced with its bytes, the marker SKIPPED with no folder; a rerun changes nothing', async (_, pages) => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await f.s3.putObjects([
      ['conf/a', 'a'],
      ['conf/k', 'data in k'],
      ['conf/k/', ''],
    ]);
    const first = await syncVia(f, pages);
    expect(first.status, first.run.error ?? '').toBe('SUCCEEDED');
    expect(await f.row('conf/k')).toMatchObject({ status: 'PROCESSED', error: null, localPath: join(f.root, 'conf/k') });
    expect(await f.row('conf/k/')).toMatchObject({ status: 'SKIPPED', error: null, localPath: null });
    expect(await readFile(join(f.root, 'conf/k'), 'utf8')).toBe('data in k');
    expect((await preview(f)).fetch).toEqual({ objects: 0, bytes: 0, keys: [] });

    const before = await rowStates(f);
    f.events.length = 0;
    const rerun = await syncVia(f, pages);
    expect(rerun.status, rerun.run.error ?? '').toBe('SUCCEEDED');
    expect(f.events.filter((event) => event.objectKey !== null)).toEqual([]);
    expect(await rowStates(f)).toEqual(before);
    expect(await readFile(join(f.root, 'conf/k'), 'utf8')).toBe('data in k');
  });

  test('a marker alone still becomes its folder, SKIPPED', async () => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await f.s3.putObjects([['conf/m/', ''], ['conf/a', 'a']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect(await f.row('conf/m/')).toMatchObject({ status: 'SKIPPED', localPath: join(f.root, 'conf/m') });
    expect((await stat(join(f.root, 'conf/m'))).isDirectory()).toBe(true);
  });

  describe.each(SIZES)('%s k arriving where an earlier run made the marker\'s folder', (_, bytes, chunkSize) => {
    test.each(LISTINGS)('listed %s: the empty folder yields to the file at its rename; the marker SKIPPED with no folder', async (_, pages) => {
      await using f = await startSyncFixture({ prefix: 'conf/', chunkSize });
      await f.s3.putObjects([['conf/k/', ''], ['conf/a', 'a']]);
      expect((await f.sync()).status).toBe('SUCCEEDED');
      expect((await stat(join(f.root, 'conf/k'))).isDirectory()).toBe(true);

      await f.s3.putObject('conf/k', bytes);
      const second = await syncVia(f, pages);
      expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
      expect(await readFile(join(f.root, 'conf/k'))).toEqual(bytes);
      expect(await f.row('conf/k')).toMatchObject({ status: 'PROCESSED', error: null });
      expect(await f.row('conf/k/')).toMatchObject({ status: 'SKIPPED', localPath: null });

      const before = await rowStates(f);
      expect((await syncVia(f, pages)).status).toBe('SUCCEEDED');
      expect(await rowStates(f)).toEqual(before);
    });
  });

  test('an empty object k where an earlier run made the marker\'s folder: an empty file in its place', async () => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await f.s3.putObjects([['conf/k/', ''], ['conf/a', 'a']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.s3.putObject('conf/k', '');
    const second = await f.sync();
    expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
    expect((await stat(join(f.root, 'conf/k'))).isFile()).toBe(true);
    expect(await f.row('conf/k/')).toMatchObject({ status: 'SKIPPED', localPath: null });
  });

  test.each(LISTINGS)('listed %s, where an earlier run stored a key below the marker: the folder holding its file stays, k FAILED saying so', async (_, pages) => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await f.s3.putObjects([
      ['conf/a', 'a'],
      ['conf/k/', ''],
      ['conf/k/x', 'below'],
    ]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.s3.putObject('conf/k', 'data in k');
    const reason = "the local path is a folder holding conf/k/x (another key's file or someone else's); the object's file cannot replace it";
    for (let run = 0; run < 2; run++) {
      expect((await syncVia(f, pages)).status).toBe('FAILED');
      expect(await f.row('conf/k')).toMatchObject({ status: 'FAILED', error: reason });
      expect(await f.row('conf/k/x')).toMatchObject({ status: 'PROCESSED', error: null });
      expect(await readFile(join(f.root, 'conf/k/x'), 'utf8')).toBe('below');
    }
  });

  test("a folder the service did not make for a marker stays, k FAILED saying so", async () => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await f.s3.putObjects([['conf/k', 'data in k'], ['conf/a', 'a']]);
    await mkdir(join(f.root, 'conf/k'), { recursive: true });
    expect((await f.sync()).status).toBe('FAILED');
    expect(await f.row('conf/k')).toMatchObject({
      status: 'FAILED',
      error: 'the local path is an empty folder not made for a folder marker conf/k/; remove it to sync the object',
    });
    expect((await stat(join(f.root, 'conf/k'))).isDirectory()).toBe(true);
  });

  test('mirror deletes on: k replaces the marker\'s folder and stays; once k is gone, the marker makes its folder again', async () => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await mirrorDeletes(f);
    await f.s3.putObjects([['conf/k/', ''], ['conf/a', 'a'], ['conf/b', 'b']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');

    await f.s3.putObject('conf/k', 'data in k');
    const pages = [['conf/k/'], ['conf/a', 'conf/b', 'conf/k']];
    const second = await syncVia(f, pages);
    expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
    expect(await readFile(join(f.root, 'conf/k'), 'utf8')).toBe('data in k');
    expect((await listTree(f.root)).filter((path) => !path.startsWith('.dss-'))).toEqual(['conf/', 'conf/a', 'conf/b', 'conf/k']);
    const before = await rowStates(f);
    expect((await syncVia(f, pages)).status).toBe('SUCCEEDED');
    expect(await rowStates(f)).toEqual(before);
    expect(await readFile(join(f.root, 'conf/k'), 'utf8')).toBe('data in k');

    await f.s3.deleteObject('conf/k');
    const third = await f.sync();
    expect(third.status, third.run.error ?? '').toBe('SUCCEEDED');
    expect(await f.row('conf/k')).toMatchObject({ status: 'DELETED' });
    expect(existsSync(join(f.root, 'conf/k'))).toBe(false);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect((await stat(join(f.root, 'conf/k'))).isDirectory()).toBe(true);
    expect(await f.row('conf/k/')).toMatchObject({ status: 'SKIPPED', localPath: join(f.root, 'conf/k') });
  });

  test("a user's file where the marker's folder was is no file of the job's: the marker FAILED, the file kept", async () => {
    await using f = await startSyncFixture({ prefix: 'conf/' });
    await f.s3.putObjects([['conf/k/', ''], ['conf/a', 'a']]);
    await mkdir(join(f.root, 'conf'), { recursive: true });
    await writeFile(join(f.root, 'conf/k'), 'mine');
    expect((await f.sync()).status).toBe('FAILED');
    expect(await readFile(join(f.root, 'conf/k'), 'utf8')).toBe('mine');
  });
});
