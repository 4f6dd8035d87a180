import { existsSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { accessDeniedFor, diskFillingAfter } from '../helpers/disk-faults.js';
import { canMakeImmutable, canMountTmpfs, mountTmpfs, setImmutable } from '../helpers/limited-disk.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

if (!canMountTmpfs) console.warn('disk-faults: cannot mount a tmpfs here (needs root); the disk-full tests are skipped');
if (!canMakeImmutable) console.warn('disk-faults: chattr +i is not available here; the permission tests are skipped');

/** The first `length` bytes of a file. */
async function head(path: string, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

describe('disk full (ENOSPC) during a sync', () => {
  it.skipIf(!canMountTmpfs)('an object larger than the free space fails before any of its bytes are fetched; the next run fetches it once space is back', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    const big = seededBytes(40 * CHUNK, 21); // 2.5 MiB
    await f.s3.putObjects([['big.bin', big], ['small.txt', 'fits']]);
    using disk = mountTmpfs(f.config.downloadRoot, '1m');
    f.s3.resetCounts();

    const first = await f.sync();
    expect(first.status).toBe('FAILED');
    const row = (await f.row('big.bin'))!;
    expect(row).toMatchObject({ status: 'FAILED', lastPosition: 0 });
    expect(row.error).toMatch(/^no space left on the download device \(ENOSPC\)/);
    expect(first.run.error).toMatch(/^1 object\(s\) failed; first: big\.bin: no space left/);
    expect((await f.row('small.txt'))!.status).toBe('PROCESSED');
    // Its blocks were asked for before its first GET: nothing was fetched only to be lost, and
    // nothing it was given before the refusal is left holding the space.
    expect(f.s3.counts.getRanges.filter((g) => g.key === 'big.bin')).toEqual([]);
    expect(existsSync(partialPathFor(f.root, 'big.bin'))).toBe(false);
    expect(existsSync(join(f.root, 'big.bin'))).toBe(false);

    disk.resize('16m');
    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(f.s3.counts.getRanges.filter((g) => g.key === 'big.bin')[0]?.range).toMatch(/^bytes=0-/);
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    expect(await f.row('big.bin')).toMatchObject({ status: 'PROCESSED', lastPosition: big.length, error: null });
  });

  it.skipIf(!canMountTmpfs)('two objects in flight that do not both fit: one is stored whole, the other fails before its first GET', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    const bodies = new Map([
      ['a.bin', seededBytes(11 * CHUNK, 31)],
      ['b.bin', seededBytes(11 * CHUNK, 32)],
    ]);
    await f.s3.putObjects([...bodies]);
    using _disk = mountTmpfs(f.config.downloadRoot, '1m');
    f.s3.resetCounts();

    const result = await f.sync();
    expect(result.status).toBe('FAILED');
    const rows = await Promise.all([...bodies.keys()].map(async (key) => (await f.row(key))!));
    const stored = rows.filter((row) => row.status === 'PROCESSED');
    const refused = rows.filter((row) => row.status === 'FAILED');
    expect(stored).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(await sha256File(join(f.root, stored[0]!.key))).toBe(sha256(bodies.get(stored[0]!.key)!));
    expect(refused[0]).toMatchObject({ lastPosition: 0, error: expect.stringMatching(/^no space left on the download device \(ENOSPC\)/) });
    expect(f.s3.counts.getRanges.filter((g) => g.key === refused[0]!.key)).toEqual([]);
  });

  it.skipIf(!canMountTmpfs)('a disk too full to start the run fails it with a reason about the download folder, not the listing', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('a.txt', 'a');
    using disk = mountTmpfs(f.config.downloadRoot, '64k');
    await mkdir(f.root, { recursive: true });
    const filler = await open(join(f.config.downloadRoot, 'filler'), 'w');
    await filler.write(Buffer.alloc(64 * 1024)).catch(() => undefined);
    await filler.close();
    // Inodes can still be created on a tmpfs with no free block, so the run gets as far as its lock file.
    const first = await f.sync();
    expect(first.status).toBe('FAILED');
    expect(first.run.error).not.toMatch(/^listing failed/);
    expect(first.run.error).toMatch(/no space left/);
    disk.resize('1m');
    expect((await f.sync()).status).toBe('SUCCEEDED');
  });
});

describe('permission denied during a sync', () => {
  it.skipIf(!canMakeImmutable)('fails the objects under a folder that refuses writes, syncs the rest, and fetches them once writable', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    const big = seededBytes(20 * CHUNK, 5);
    await f.s3.putObjects([['locked/big.bin', big], ['locked/small.txt', 'small'], ['open/ok.txt', 'fine']]);
    const locked = join(f.root, 'locked');
    await mkdir(locked, { recursive: true });
    setImmutable(locked, true);
    try {
      const first = await f.sync();
      expect(first.status).toBe('FAILED');
      expect(await f.row('locked/small.txt')).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^permission denied writing the local file \(EPERM\)/) });
      const bigRow = (await f.row('locked/big.bin'))!;
      expect(bigRow).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^permission denied/) });
      expect(await sha256File(join(f.root, 'open/ok.txt'))).toBe(sha256('fine'));
    } finally {
      setImmutable(locked, false);
    }
    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(await sha256File(join(locked, 'big.bin'))).toBe(sha256(big));
    expect(await sha256File(join(locked, 'small.txt'))).toBe(sha256('small'));
    // The big object was complete in its partial file: published without fetching it again.
    expect(f.s3.counts.getRanges.filter((g) => g.key === 'locked/big.bin')).toEqual([]);
  });
});

describe('disk faults injected at the file layer (any machine, and EACCES, which root never gets)', () => {
  it('ENOSPC mid-object: FAILED with the reason, checkpoint within the written bytes, the next run resumes', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    const big = seededBytes(32 * CHUNK, 9);
    await f.s3.putObject('big.bin', big);

    const first = await f.sync({ openPartial: diskFillingAfter(10 * CHUNK + 1234) });
    expect(first.status).toBe('FAILED');
    const row = (await f.row('big.bin'))!;
    expect(row).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^no space left on the download device \(ENOSPC\)/) });
    expect(row.lastPosition).toBeGreaterThan(0);
    expect(row.lastPosition).toBeLessThanOrEqual(10 * CHUNK);
    expect(row.lastPosition % CHUNK).toBe(0);
    const partial = partialPathFor(f.root, 'big.bin');
    expect((await head(partial, row.lastPosition)).equals(big.subarray(0, row.lastPosition))).toBe(true);

    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(f.s3.counts.getRanges[0]?.range).toMatch(new RegExp(`^bytes=${row.lastPosition}-`));
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
  });

  it('EACCES on a partial file fails that object with the reason; the others sync; the next run fetches it', async () => {
    const MiB = 1024 * 1024;
    await using f = await startSyncFixture({ concurrency: 2, chunkSize: MiB });
    const big = seededBytes(3 * MiB, 4);
    const medium = seededBytes(300 * 1024, 6); // one GET, but too large for the in-memory path (256 KiB)
    await f.s3.putObjects([['denied/big.bin', big], ['denied/medium.bin', medium], ['ok.txt', 'fine']]);
    const deniedPartials = new Set(['denied/big.bin', 'denied/medium.bin'].map((key) => basename(partialPathFor(f.root, key))));

    const first = await f.sync({ openPartial: accessDeniedFor((path) => deniedPartials.has(basename(path))) });
    expect(first.status).toBe('FAILED');
    for (const key of ['denied/big.bin', 'denied/medium.bin']) {
      expect(await f.row(key)).toMatchObject({ status: 'FAILED', error: 'permission denied writing the local file (EACCES)' });
    }
    expect(await sha256File(join(f.root, 'ok.txt'))).toBe(sha256('fine'));

    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'denied/big.bin'))).toBe(sha256(big));
    expect(await sha256File(join(f.root, 'denied/medium.bin'))).toBe(sha256(medium));
  });
});
