import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSystemSyncError, openFileSystemSync, type OpenFileSystemSync } from '../../src/sync/local/small-file-sync.js';
import type { SyncRunResult } from '../../src/sync/run/sync-run.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { KiB, startSyncFixture, type SyncFixture } from './sync-fixture.js';

const CHUNK_SIZE = 1024 * KiB;

/** 120 objects in memory (≤ 256 KiB) and 3 streamed into their .partial (one chunk each). */
function smallObjects(): Array<[string, Buffer]> {
  const objects: Array<[string, Buffer]> = [];
  for (let i = 0; i < 120; i += 1) objects.push([`d${i % 4}/o${i}.bin`, seededBytes(4 * KiB + i, i)]);
  for (let i = 0; i < 3; i += 1) objects.push([`big/s${i}.bin`, seededBytes(300 * KiB + i, 500 + i)]);
  return objects;
}

async function processedKeys(f: SyncFixture): Promise<string[]> {
  return (await f.rows()).filter((row) => row.status === 'PROCESSED').map((row) => row.key);
}

async function expectOnDisk(f: SyncFixture, objects: Array<[string, Buffer]>): Promise<void> {
  for (const [key, body] of objects) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
}

/** The run succeeded with every file in place, each made durable by its own fdatasync (no file system sync). */
async function expectEachFileSynced(f: SyncFixture, objects: Array<[string, Buffer]>, result: SyncRunResult): Promise<void> {
  expect(result.status).toBe('SUCCEEDED');
  await expectOnDisk(f, objects);
  expect(result.stats.fileSystemSyncs).toBe(0);
  expect(result.stats.fileSyncMs).toBeGreaterThan(0);
}

describe.runIf(process.platform === 'linux')('small files become durable together before their rows are committed', () => {
  it('no row says PROCESSED before a file system sync that started after its file was in place', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE, concurrency: 8 });
    const objects = smallObjects();
    await f.s3.putObjects(objects);
    const durable = new Set<string>();
    const violations: string[] = [];
    const observed: OpenFileSystemSync = async (folder) => {
      const real = (await openFileSystemSync(folder))!;
      return {
        async sync() {
          const processedNow = await processedKeys(f);
          violations.push(...processedNow.filter((key) => !durable.has(key)));
          const inPlace = (await listTree(f.root)).filter((p) => !p.endsWith('/') && !p.includes('.dss-partial'));
          await real.sync();
          for (const key of inPlace) durable.add(key);
        },
        close: real.close,
      };
    };

    const result = await f.sync({ openFileSystemSync: observed });

    expect(result.status).toBe('SUCCEEDED');
    await expectOnDisk(f, objects);
    expect(violations).toEqual([]);
    const processed = await processedKeys(f);
    expect(processed).toHaveLength(objects.length);
    expect(processed.filter((key) => !durable.has(key))).toEqual([]);
    expect(result.stats.fileSystemSyncs).toBeGreaterThan(0);
  });

  it('a failed file system sync commits none of the rows waiting for it, fails the run naming the disk, and the next run completes', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    const objects = smallObjects();
    await f.s3.putObjects(objects);
    let closed = false;
    const failing: OpenFileSystemSync = async () => ({
      sync: async () => {
        throw new FileSystemSyncError('syncfs of the file system holding the job folder failed (EIO)');
      },
      close: async () => {
        closed = true;
      },
    });

    const first = await f.sync({ openFileSystemSync: failing });

    expect(first.status).toBe('FAILED');
    expect(first.run.error).toMatch(/disk: syncfs of the file system holding the job folder failed \(EIO\)/);
    expect(await processedKeys(f)).toEqual([]);
    expect(closed).toBe(true);

    // Nothing says those files are on disk: each is fetched again.
    f.s3.resetCounts();
    const second = await f.sync();
    expect(f.s3.counts.getRanges.map((g) => g.key).sort()).toEqual(objects.map(([key]) => key).sort());
    expect(second.status).toBe('SUCCEEDED');
    await expectOnDisk(f, objects);
    expect(await processedKeys(f)).toHaveLength(objects.length);
  });

  it('where syncfs is not available, each file is fdatasync-ed as it is written', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    const objects = smallObjects();
    await f.s3.putObjects(objects);
    const calls: string[] = [];
    const unavailable: OpenFileSystemSync = async (folder) => {
      calls.push(folder);
      return null;
    };

    const result = await f.sync({ openFileSystemSync: unavailable });

    await expectEachFileSynced(f, objects, result);
    expect(calls).toEqual([f.dir]); // the job folder's nearest existing parent at the start
  });

  it('a folder the sync cannot open leaves each file to its own fdatasync', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    const objects = smallObjects().slice(0, 20);
    await f.s3.putObjects(objects);
    const refused: OpenFileSystemSync = async () => {
      throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
    };

    const result = await f.sync({ openFileSystemSync: refused });

    await expectEachFileSynced(f, objects, result);
  });

  it('FILE_SYNC=file fdatasyncs each file and never syncs the file system', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE, fileSync: 'file' });
    const objects = smallObjects();
    await f.s3.putObjects(objects);
    const calls: string[] = [];
    const recorded: OpenFileSystemSync = async (folder) => {
      calls.push(folder);
      return openFileSystemSync(folder);
    };

    const result = await f.sync({ openFileSystemSync: recorded });

    await expectEachFileSynced(f, objects, result);
    expect(calls).toEqual([]);
  });

  it('syncs through the syncfs addon by default', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    const objects = smallObjects().slice(0, 10);
    await f.s3.putObjects(objects);
    const result = await f.sync();
    expect(result.status).toBe('SUCCEEDED');
    await expectOnDisk(f, objects);
    expect(result.stats.fileSystemSyncs).toBeGreaterThan(0);
  });
});

describe.runIf(process.platform === 'linux')('openFileSystemSync (native/linux-fs)', () => {
  it('syncs through a descriptor of the folder, held open until closed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-sync-'));
    try {
      const sync = await openFileSystemSync(dir);
      expect(sync).not.toBeNull();
      await expect(sync!.sync()).resolves.toBeUndefined();
      await sync!.close();
      await expect(sync!.sync()).rejects.toThrow(/fd must be an open file descriptor/);
      await expect(openFileSystemSync(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
