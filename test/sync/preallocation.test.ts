import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPartial, type OpenPartial } from '../../src/sync/local/local-files.js';
import { linuxFs, preallocate } from '../../src/sync/local/linux-fs.js';
import { withWrite } from '../helpers/disk-faults.js';
import { canMakeLoopDisk, mountExt2 } from '../helpers/failing-disk.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { canMountTmpfs, mountTmpfs } from '../helpers/limited-disk.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

if (!canMountTmpfs) console.warn('preallocation: cannot mount a tmpfs here (needs root); the refusal test is skipped');
if (!canMakeLoopDisk) console.warn('preallocation: cannot mount an ext2 loop disk here (needs root); the fallback tests are skipped');

/**
 * Whether the temp folder's file system allocates ahead (ext4, XFS, btrfs, tmpfs do; ZFS and some
 * FUSE file systems do not, and the engine falls back to sparse files there). A missing addon on
 * Linux is not a reason to skip: the tests then fail, as they should.
 */
const tempFolderAllocatesAhead = await (async () => {
  const addon = process.platform === 'linux' ? linuxFs() : null;
  if (!addon) return true;
  const dir = await mkdtemp(join(tmpdir(), 'dss-prealloc-probe-'));
  try {
    const file = await open(join(dir, 'probe'), 'w+');
    const errno = await addon.fallocate(file.fd, 4096);
    await file.close();
    return errno === 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
})();
if (!tempFolderAllocatesAhead) console.warn('preallocation: the temp folder’s file system cannot allocate ahead; these tests are skipped');

/** Bytes the file system has given the file (allocated blocks, written or not). */
async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * 512;
}

/** Opens partial files for real, and records how much of each was allocated when its first byte was written. */
function allocationAtFirstWrite(seen: Map<string, { size: number; allocated: number }>): OpenPartial {
  return async (path, flags) => {
    const file = await openPartial(path, flags);
    const write = async (buffer: Buffer, offset: number, length: number, position: number) => {
      if (!seen.has(path)) {
        const info = await file.stat();
        seen.set(path, { size: info.size, allocated: info.blocks * 512 });
      }
      return file.write(buffer, offset, length, position);
    };
    return withWrite(file, write);
  };
}

/** Syncs one chunked object of 2.5 MiB (checked by sha256); returns its partial file at its first write. */
async function syncedAtFirstWrite(f: SyncFixture, seed: number): Promise<{ size: number; allocated: number }> {
  const big = seededBytes(40 * CHUNK, seed);
  await f.s3.putObject('big.bin', big);
  const seen = new Map<string, { size: number; allocated: number }>();

  const result = await f.sync({ openPartial: allocationAtFirstWrite(seen) });
  expect(result.status).toBe('SUCCEEDED');
  expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
  const [first] = [...seen.values()];
  expect(first?.size).toBe(big.length);
  return first!;
}

/** Preallocates 40 chunks keeping the `kept` bytes written first: they read back as they were, the rest as zeros. */
async function preallocateKeeping(file: FileHandle, kept: Buffer): Promise<void> {
  await preallocate(file, 40 * CHUNK, kept.length);
  const back = Buffer.alloc(40 * CHUNK);
  await file.read(back, 0, back.length, 0);
  expect(back.subarray(0, kept.length).equals(kept)).toBe(true);
  expect(back.subarray(kept.length).equals(Buffer.alloc(back.length - kept.length))).toBe(true);
}

describe.runIf(process.platform === 'linux' && tempFolderAllocatesAhead)('preallocation of chunked objects (native/linux-fs)', () => {
  it('a chunked object’s partial file has its full size and all its blocks before its first byte is written', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    expect((await syncedAtFirstWrite(f, 5)).allocated).toBeGreaterThanOrEqual(40 * CHUNK);
  });

  it('on resume, the bytes already there stay as they were; only the holes are allocated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-prealloc-'));
    try {
      const path = join(dir, 'object.partial');
      const kept = seededBytes(3 * CHUNK, 8);
      const file = await open(path, 'w+');
      await file.truncate(40 * CHUNK);
      await file.write(kept, 0, kept.length, 0);
      expect(await allocatedBytes(path)).toBeLessThan(40 * CHUNK);

      await preallocateKeeping(file, kept);
      await file.close();
      expect(await allocatedBytes(path)).toBeGreaterThanOrEqual(40 * CHUNK);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!canMountTmpfs)('a refusal (ENOSPC) is thrown as a write’s would be, and the file is cut back to its checkpointed bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-prealloc-full-'));
    try {
      using _mount = mountTmpfs(dir, '1m');
      const path = join(dir, 'object.partial');
      const written = seededBytes(5 * CHUNK, 9);
      const file = await open(path, 'w+');
      await file.write(written, 0, written.length, 0);

      const error = await preallocate(file, 40 * CHUNK, 3 * CHUNK).then(() => null, (e: unknown) => e);
      const size = (await file.stat()).size;
      const back = Buffer.alloc(size);
      await file.read(back, 0, size, 0);
      await file.close();
      expect(error).toMatchObject({ code: 'ENOSPC', syscall: 'fallocate', message: 'ENOSPC: no space left on device, fallocate' });
      expect(size).toBe(3 * CHUNK);
      expect(back.equals(written.subarray(0, 3 * CHUNK))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!canMountTmpfs)('two allocations racing for the last free space: one is given it, the other refused (25 rounds)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-prealloc-race-'));
    try {
      for (let round = 0; round < 25; round += 1) {
        using _mount = mountTmpfs(dir, '1m');
        const files = await Promise.all(['a', 'b'].map((name) => open(join(dir, name), 'w+')));
        const outcomes = await Promise.allSettled(files.map((file) => preallocate(file, 11 * CHUNK, 0)));
        await Promise.all(files.map((file) => file.close()));
        expect(outcomes.map((outcome) => outcome.status).sort(), `round ${round}`).toEqual(['fulfilled', 'rejected']);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(process.platform === 'linux' && canMakeLoopDisk)('where the file system cannot allocate ahead (ext2: fallocate answers EOPNOTSUPP)', () => {
  it('the partial file is made its full size and sparse, keeping its checkpointed bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-prealloc-ext2-'));
    try {
      using _disk = mountExt2(dir);
      const path = join(dir, 'object.partial');
      const kept = seededBytes(3 * CHUNK, 10);
      const file = await open(path, 'w+');
      await file.write(kept, 0, kept.length, 0);
      expect(await linuxFs()?.fallocate(file.fd, 40 * CHUNK)).toBe(constants.errno.EOPNOTSUPP); // the case under test

      await preallocateKeeping(file, kept);
      await file.close();
      expect(await allocatedBytes(path)).toBeLessThan(10 * CHUNK);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a chunked object is fetched into that sparse file and stored whole', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    using _disk = mountExt2(f.config.downloadRoot);
    expect((await syncedAtFirstWrite(f, 11)).allocated).toBeLessThan(40 * CHUNK);
  });
});
