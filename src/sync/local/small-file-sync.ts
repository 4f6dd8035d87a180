import { open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { getSystemErrorName } from 'node:util';
import type { FileSyncMode } from '../../config/env.js';
import { linuxFs } from './linux-fs.js';

/** A file system sync failed: the rows waiting for it are not committed. */
export class FileSystemSyncError extends Error {}

/** syncfs(2) through a descriptor opened before the files it must cover were written. */
export interface FileSystemSync {
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a FileSystemSync on the file system holding `folder`; null where syncfs is not available. */
export type OpenFileSystemSync = (folder: string) => Promise<FileSystemSync | null>;

/**
 * syncfs(2) reports the writeback errors recorded on the file system since its descriptor was
 * opened, whoever else has seen them: a descriptor opened at the start of the run, held to its
 * end, covers every file the run writes. A `sync -f` process opening the folder anew would miss an
 * error someone else had already been told of.
 */
export const openFileSystemSync: OpenFileSystemSync = async (folder) => {
  const addon = linuxFs();
  if (!addon) return null;
  const { syncfs } = addon;
  const handle = await open(folder, 'r');
  return {
    async sync() {
      const errno = await syncfs(handle.fd);
      if (errno !== 0) throw new FileSystemSyncError(`syncfs of the file system holding ${folder} failed (${getSystemErrorName(-errno)})`);
    },
    close: () => handle.close(),
  };
};

/** `path`, or its nearest ancestor that exists (the job's folder is created by the run). */
async function existingAncestor(path: string): Promise<string> {
  let current = resolve(path);
  while (!(await stat(current).then(() => true, () => false))) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/**
 * How a run's small files (one GET each, no checkpoint before the last) become durable before the
 * row that says they are synced is committed.
 */
export interface SmallFileSync {
  /** True: the files skip their own fdatasync, and `beforeCommit` makes them durable together. */
  readonly grouped: boolean;
  /** Counts a small file written and renamed into place without its own fdatasync. */
  written(): void;
  /** Runs before each batch of rows is committed: one file system sync when files are pending. */
  beforeCommit(): Promise<void>;
  /** Closes the descriptor the syncs go through. */
  close(): Promise<void>;
}

export interface SmallFileSyncOptions {
  mode: FileSyncMode;
  /** The job's folder (or, before it exists, its nearest existing parent) is opened for the syncs. */
  jobRoot: string;
  /** Replaces how the file system sync is opened (tests). */
  open?: OpenFileSystemSync;
  /** Told the duration of each file system sync. */
  onSynced(ms: number): void;
}

/**
 * A group commit for small files. A file's fdatasync costs ~0.1 ms of CPU, a thread-pool round trip
 * and a cache flush of the disk; one syncfs for a batch of rows (up to 500, or 100 ms of them)
 * writes the same data with a fraction of those, and makes the renames durable as well. Where the
 * addon is not built, or with FILE_SYNC=file, each file is fdatasync'ed as it is written.
 */
export async function createSmallFileSync(options: SmallFileSyncOptions): Promise<SmallFileSync> {
  // A folder that cannot be opened here fails the run where it prepares the folder, with its reason.
  const fileSystem =
    options.mode === 'file' ? null : await (options.open ?? openFileSystemSync)(await existingAncestor(options.jobRoot)).catch(() => null);
  if (!fileSystem) return { grouped: false, written: () => {}, beforeCommit: async () => {}, close: async () => {} };
  let pending = 0;
  // Once a sync fails, the disk may have lost any file written since the last good one: no later
  // batch may say otherwise.
  let failure: FileSystemSyncError | undefined;
  return {
    grouped: true,
    written: () => {
      pending += 1;
    },
    async beforeCommit() {
      if (failure) throw failure;
      if (pending === 0) return;
      pending = 0;
      const started = performance.now();
      try {
        await fileSystem.sync();
      } catch (error) {
        failure = error instanceof FileSystemSyncError ? error : new FileSystemSyncError(String(error));
        throw failure;
      }
      options.onSynced(performance.now() - started);
    },
    close: () => fileSystem.close(),
  };
}
