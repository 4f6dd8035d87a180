import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Whether this machine lets the tests build loop disks (root: tmpfs and loop mounts, mkfs.ext4 and mkfs.ext2). */
export const canMakeLoopDisk: boolean = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'dss-loop-probe-'));
  try {
    if (run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]) === null) return false;
    run('umount', [probe]);
    return run('losetup', ['--version']) !== null && run('mkfs.ext4', ['-V']) !== null && run('mkfs.ext2', ['-V']) !== null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/**
 * A 32 MiB file system made by `mkfs` on a loop device whose backing file lives on a 48 MiB tmpfs,
 * mounted at `dir` (a new temp folder unless given). Unmounted and removed on dispose.
 */
function makeLoopDisk(mkfs: 'mkfs.ext4' | 'mkfs.ext2', mountAt?: string) {
  const base = mkdtempSync(join(tmpdir(), 'dss-loop-disk-'));
  const backing = join(base, 'backing');
  const dir = mountAt ?? join(base, 'mnt');
  mkdirSync(backing);
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', backing]);
  const image = join(backing, 'disk.img');
  execFileSync('truncate', ['-s', '32M', image]);
  execFileSync(mkfs, ['-q', '-E', 'nodiscard', image]);
  const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
  execFileSync('mount', [loop, dir]);
  return {
    dir,
    backing,
    [Symbol.dispose](): void {
      run('umount', ['-l', dir]);
      run('losetup', ['-d', loop]);
      run('umount', ['-l', backing]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * An ext4 file system on a loop device whose backing file lives on a small tmpfs. `failWrites`
 * fills that tmpfs: from then on, the disk answers every write of a block not yet allocated in
 * the backing file with an I/O error, as a failing disk would, while reads and the page cache
 * keep working.
 */
export function makeFailingDisk() {
  const disk = makeLoopDisk('mkfs.ext4');
  return {
    dir: disk.dir,
    failWrites(): void {
      // `cat` ends with ENOSPC once the tmpfs is full: that is the point.
      run('sh', ['-c', `cat /dev/zero > '${join(disk.backing, 'filler')}'`]);
    },
    [Symbol.dispose]: () => disk[Symbol.dispose](),
  };
}

/**
 * An ext2 file system mounted at `dir`: files without extents, so fallocate(2) answers EOPNOTSUPP,
 * as on the network and FUSE file systems that cannot allocate ahead.
 */
export function mountExt2(dir: string) {
  return makeLoopDisk('mkfs.ext2', dir);
}
