import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openPartial, type OpenPartial } from '../../src/sync/local/local-files.js';
import type { OpenFileSystemSync } from '../../src/sync/local/small-file-sync.js';
import { onPostgres } from '../helpers/db-url.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { holdWriteLock, type WriteLock } from '../helpers/sqlite-write-lock.js';
import { KiB, startSyncFixture, type SyncFixture } from './sync-fixture.js';

const CONCURRENCY = 4;
/** Long enough for the whole prefix to be fetched when nothing holds the fetching back. */
const OUTAGE_MS = 1500;

/**
 * The database goes away at the second call of a hook that runs right before a commit (so right
 * after the first one): another process takes SQLite's write lock, past the busy timeout.
 */
async function outageAtSecondCommit(f: SyncFixture) {
  // The condition under test is a lock held past the busy timeout, whatever its length.
  await f.orm.em.getConnection().execute('pragma busy_timeout = 50');
  let lock: WriteLock | undefined;
  let started!: () => void;
  const begun = new Promise<void>((resolve) => (started = resolve));
  let calls = 0;
  return {
    async beforeCommit(): Promise<void> {
      calls += 1;
      if (calls !== 2) return;
      lock = await holdWriteLock(f.dbFile);
      started();
    },
    begun,
    end: () => lock!.release(),
  };
}

describe.skipIf(onPostgres)('a database outage during a run (SQLite locked by another process)', () => {
  it('small objects: no new GET once two batches of rows wait for their commit; after it every object is on disk, fetched once', async () => {
    const objectCount = 200;
    const batchRows = 20;
    await using f = await startSyncFixture({ concurrency: CONCURRENCY });
    const objects = Array.from({ length: objectCount }, (_, i): [string, Buffer] => [`o${String(i).padStart(3, '0')}.bin`, seededBytes(KiB, i)]);
    await f.s3.putObjects(objects);
    const outage = await outageAtSecondCommit(f);
    // The file system sync runs right before each batch commit.
    const syncBeforeCommit: OpenFileSystemSync = async () => ({ sync: outage.beforeCommit, close: async () => {} });
    const processed = async () => (await f.rows()).filter((row) => row.status === 'PROCESSED').length;

    const running = f.sync({ tuning: { batchRows }, openFileSystemSync: syncBeforeCommit });
    await outage.begun;
    const committed = await processed();
    await delay(OUTAGE_MS);
    const fetchedDuringOutage = f.s3.counts.gets;
    expect(await processed()).toBe(committed);
    // Two batches of rows waiting for their commit, plus the transfers already in flight when the bound was reached.
    expect(fetchedDuringOutage).toBeLessThanOrEqual(committed + 2 * batchRows + CONCURRENCY);
    await outage.end();

    const result = await running;
    expect(result.status).toBe('SUCCEEDED');
    expect(await processed()).toBe(objectCount);
    expect(f.s3.counts.gets).toBe(objectCount);
    for (const [key, body] of objects) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
  }, 30_000);

  it('a large object: no new span more than two windows past its committed checkpoint; after it the file is whole, each byte fetched once', async () => {
    const chunk = 64 * KiB;
    const spansPerObject = 2;
    const window = spansPerObject * chunk;
    await using f = await startSyncFixture({ chunkSize: chunk, concurrency: CONCURRENCY });
    const body = seededBytes(4096 * KiB, 11);
    await f.s3.putObject('large.bin', body);
    const outage = await outageAtSecondCommit(f);
    // A checkpoint's fdatasync runs right before its commit.
    const datasyncBeforeCommit: OpenPartial = async (path, flags) => {
      const file = await openPartial(path, flags);
      const datasync = async () => {
        await file.datasync();
        await outage.beforeCommit();
      };
      return new Proxy(file, {
        get(target, name) {
          if (name === 'datasync') return datasync;
          const value: unknown = Reflect.get(target, name, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as FileHandle;
    };
    const checkpoint = async () => (await f.row('large.bin'))?.lastPosition ?? 0;

    const running = f.sync({ tuning: { getSpanBytes: chunk, spansPerObject }, openPartial: datasyncBeforeCommit });
    await outage.begun;
    const committed = await checkpoint();
    await delay(OUTAGE_MS);
    const fetchedDuringOutage = f.s3.counts.getBytes;
    expect(await checkpoint()).toBe(committed);
    // Spans start at most two windows past the checkpoint; the last of them is one span long.
    expect(fetchedDuringOutage).toBeLessThanOrEqual(committed + 2 * window + chunk);
    await outage.end();

    const result = await running;
    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'large.bin'))).toBe(sha256(body));
    expect(f.s3.counts.getBytes).toBe(body.length);
  }, 30_000);
});
