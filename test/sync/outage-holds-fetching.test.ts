import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { OpenFileSystemSync } from '../../src/sync/local/small-file-sync.js';
import { onPostgres } from '../helpers/db-url.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { holdWriteLock, type WriteLock } from '../helpers/sqlite-write-lock.js';
import { KiB, startSyncFixture, type SyncFixture } from './sync-fixture.js';

const OBJECTS = 200;
const BATCH_ROWS = 20;
const CONCURRENCY = 4;

async function processedCount(f: SyncFixture): Promise<number> {
  return (await f.rows()).filter((row) => row.status === 'PROCESSED').length;
}

describe.skipIf(onPostgres)('a database outage while small objects are fetched (SQLite locked by another process)', () => {
  it('stops new GETs once two batches of rows wait for their commit; after it every object is on disk, fetched once', async () => {
    await using f = await startSyncFixture({ concurrency: CONCURRENCY });
    const objects = Array.from({ length: OBJECTS }, (_, i): [string, Buffer] => [`o${String(i).padStart(3, '0')}.bin`, seededBytes(KiB, i)]);
    await f.s3.putObjects(objects);
    // The condition under test is a lock held past the busy timeout, whatever its length.
    await f.orm.em.getConnection().execute('pragma busy_timeout = 50');
    // The database goes away right after the first batch is committed: the second batch's file
    // system sync (which runs just before its commit) takes the lock.
    let lock: WriteLock | undefined;
    let outageStarted!: () => void;
    const outage = new Promise<void>((resolve) => (outageStarted = resolve));
    let syncs = 0;
    const lockAtSecondBatch: OpenFileSystemSync = async () => ({
      async sync() {
        syncs += 1;
        if (syncs !== 2) return;
        lock = await holdWriteLock(f.dbFile);
        outageStarted();
      },
      close: async () => {},
    });

    const running = f.sync({ tuning: { batchRows: BATCH_ROWS }, openFileSystemSync: lockAtSecondBatch });
    await outage;
    const committed = await processedCount(f);
    // Long enough for the whole prefix to be fetched when nothing holds the fetching back.
    await delay(1500);
    const fetchedDuringOutage = f.s3.counts.gets;
    expect(await processedCount(f)).toBe(committed);
    // Two batches of rows waiting for their commit, plus the transfers already in flight when the bound was reached.
    expect(fetchedDuringOutage).toBeLessThanOrEqual(committed + 2 * BATCH_ROWS + CONCURRENCY);
    expect(fetchedDuringOutage).toBeLessThan(OBJECTS);
    await lock!.release();

    const result = await running;
    expect(result.status).toBe('SUCCEEDED');
    expect(await processedCount(f)).toBe(OBJECTS);
    expect(f.s3.counts.gets).toBe(OBJECTS);
    for (const [key, body] of objects) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
  }, 30_000);
});
