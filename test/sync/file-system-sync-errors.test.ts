import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSystemSyncError, openFileSystemSync } from '../../src/sync/local/small-file-sync.js';
import { canMakeLoopDisk, makeFailingDisk } from '../helpers/failing-disk.js';

if (!canMakeLoopDisk) console.warn('file-system-sync-errors: no loop device or tmpfs mount here (needs root); skipped');

/** `sync --file-system`, a process opening the folder anew: what it was told. */
function syncByAnotherProcess(dir: string): string {
  try {
    execFileSync('sync', ['--file-system', dir], { stdio: 'pipe' });
    return 'ok';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error).trim();
  }
}

describe.runIf(process.platform === 'linux')('a write error under the file system sync', () => {
  it.skipIf(!canMakeLoopDisk)('is reported through the run’s descriptor even after another process was told of it', async () => {
    using disk = makeFailingDisk();
    // Opened before the file is written, as a run opens it before its first file.
    const sync = (await openFileSystemSync(disk.dir))!;
    try {
      writeFileSync(join(disk.dir, 'object.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
      disk.failWrites();

      // The first process to sync the file system is told; the next one, opening it anew, is not.
      expect(syncByAnotherProcess(disk.dir)).toMatch(/error syncing .*(Input\/output error|No space left on device)/);
      expect(syncByAnotherProcess(disk.dir)).toBe('ok');

      const error = await sync.sync().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileSystemSyncError);
      expect((error as Error).message).toMatch(new RegExp(`^syncfs of the file system holding ${disk.dir} failed \\((EIO|ENOSPC)\\)$`));
    } finally {
      await sync.close();
    }
  });
});
