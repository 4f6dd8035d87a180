import { closeSync, constants, type Dir, futimesSync, lstatSync, lutimesSync, opendirSync, openSync, renameSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, sep } from 'node:path';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { JobFolder } from './job-folder.js';
import { resolveLocalPath } from './safe-path.js';

/**
 * open(2) flags that never follow a symbolic link at the file itself (ELOOP instead): a link planted
 * in the job folder (or at a partial download's predictable name) must not redirect a write.
 */
const { O_CREAT, O_NOFOLLOW, O_RDWR, O_TRUNC, O_WRONLY } = constants;
export const NOFOLLOW_FLAGS = {
  w: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
  'w+': O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW,
  'r+': O_RDWR | O_NOFOLLOW,
} as const;

/**
 * Opens a download's partial file. The file layer's seam: a run's deps may replace it
 * (`SyncRunDeps.openPartial`) so tests can inject disk faults (ENOSPC, EACCES) where the machine
 * cannot produce them.
 */
export type OpenPartial = (path: string, flags: 'w' | 'w+' | 'r+') => Promise<FileHandle>;

export const openPartial: OpenPartial = (path, flags) => open(path, NOFOLLOW_FLAGS[flags]);

/** What publishing a downloaded object needs to know of it. */
export interface PublishedObject {
  partialPath: string;
  finalPath: string;
  remote: { size: number; lastModified: Date | null };
}

/**
 * The end of every transfer: a failed verification discards the partial file (the object starts
 * over next time); otherwise the file is published.
 */
export async function publishVerified(
  folder: JobFolder,
  item: PublishedObject,
  mismatch: string | null,
): Promise<{ status: 'PROCESSED' } | { status: 'FAILED'; error: string; restart: true }> {
  if (mismatch) {
    await folder.removePartial(item.partialPath);
    return { status: 'FAILED', error: `verification failed: ${mismatch}`, restart: true };
  }
  publishFile(folder, item);
  return { status: 'PROCESSED' };
}

/**
 * Moves a verified file into place (atomic on one file system) with the object's time as mtime, set
 * on the partial file before the move unless `mtimeSet`. Metadata updates in the page cache, so run
 * here rather than as thread-pool round trips.
 */
export function publishFile(folder: JobFolder, item: PublishedObject, { mtimeSet = false } = {}): void {
  const partial = folder.partial(item.partialPath);
  const { lastModified } = item.remote;
  try {
    if (lastModified && !mtimeSet) lutimesSync(partial, lastModified, lastModified);
    inPlaceOfEmptyFolder(folder, item.finalPath, (reached) => renameSync(partial, reached));
  } catch (error) {
    // Two sessions of a shared run fetched this version into its one partial file (their claims ran
    // out during a database outage longer than the lease), and the other one published it first.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !isInPlace(item)) throw error;
  }
}

/**
 * Whether the file at the object's final path is this version: its size, and its mtime (set before
 * the rename) the object's time. A crash between the rename and the row commit leaves it so.
 */
export function isInPlace(item: Pick<PublishedObject, 'finalPath' | 'remote'>): boolean {
  const info = statSync(item.finalPath, { throwIfNoEntry: false });
  return info !== undefined && isVersionOf(info, item.remote);
}

/**
 * The path of a key's file when it is this version as a run published it (size, and mtime the
 * object's time) though its row never said so: a crash between the rename, or an empty object's
 * creation, and the row's batched commit. Reached without following a link; null otherwise.
 */
export function publishedPathOf(folder: JobFolder, key: string, version: Pick<PublishedObject['remote'], 'size' | 'lastModified'>): string | null {
  const local = resolveLocalPath(folder.root, key);
  if (!local.ok || local.isDirectory) return null;
  try {
    const published = folder.at(local.path, (reached) => {
      const info = lstatSync(reached, { throwIfNoEntry: false });
      return info !== undefined && isVersionOf(info, version);
    });
    return published ? local.path : null;
  } catch {
    // A folder on the way is gone or is a link: no file of the job's there.
    return null;
  }
}

/** Whether a file's status says it is this version: a file of its size, with its time as mtime (to the second). */
export function isVersionOf(info: Stats, { size, lastModified }: Pick<PublishedObject['remote'], 'size' | 'lastModified'>): boolean {
  return info.isFile() && info.size === size && lastModified !== null && Math.floor(info.mtimeMs / 1000) === Math.floor(lastModified.getTime() / 1000);
}

export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/**
 * Local state of an unchanged object: present with the right size (or, for a marker, a directory or
 * the file of the key `k` beside the marker `k/`, which the marker leaves in place).
 * Synchronous on purpose: a no-op rerun checks every file, and a stat of a file whose inode is cached
 * costs a few µs, while each async stat is a thread-pool round trip (10,000 files: ~0.4 s of CPU and
 * a thread wake-up each, measured). The caller checks one slice of a listing page at a time.
 */
export function isPresent(path: string, size: number, isDirectory: boolean): boolean {
  try {
    // A link in the object's place is not the object's file, wherever it points.
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info) return false;
    return isDirectory ? info.isDirectory() || info.isFile() : info.isFile() && info.size === size;
  } catch {
    // ENOTDIR (a parent became a file), EACCES …: not there as we left it; the fetch reports why.
    return false;
  }
}

/** Removes a file the run published, reached without following a link; one already gone (or unreachable) is left. */
export function removeQuietly(folder: JobFolder, path: string): void {
  try {
    folder.at(path, unlinkSync);
  } catch {
    // Gone, or a folder on the way is: nothing of the run's to remove there.
  }
}

/** An empty object's file, with the object's time as mtime. */
export function createEmptyFile(folder: JobFolder, path: string, lastModified: Date | null): void {
  inPlaceOfEmptyFolder(folder, path, (reached) => {
    const fd = openSync(reached, NOFOLLOW_FLAGS.w);
    try {
      if (lastModified) futimesSync(fd, lastModified, lastModified);
    } finally {
      closeSync(fd);
    }
  });
}

/**
 * A folder marker's folder (key `k/`). Where a file holds its path (the key `k` beside the marker,
 * as `aws s3 sync` leaves it) the marker has nothing to do: the file stays.
 */
export function createMarkerFolder(folder: JobFolder, path: string): void {
  try {
    folder.ensureDir(path);
  } catch (error) {
    if (!isFileAt(folder, path)) throw error;
  }
}

function isFileAt(folder: JobFolder, path: string): boolean {
  try {
    return folder.at(path, (reached) => lstatSync(reached, { throwIfNoEntry: false })?.isFile() ?? false);
  } catch {
    return false;
  }
}

/**
 * Runs `write` at `path`; where an empty folder holds the path (a folder marker `k/`'s, beside the
 * key `k`), the folder is removed and `write` runs once more: the file wins over an empty marker,
 * as with `aws s3 sync`. rmdir never removes a folder that holds anything (another key's file, a
 * user's own): then `write`'s error stands.
 */
function inPlaceOfEmptyFolder(folder: JobFolder, path: string, write: (reached: string) => void): void {
  try {
    folder.at(path, write);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EISDIR') throw error;
    try {
      folder.at(path, rmdirSync);
    } catch {
      throw error;
    }
    folder.at(path, write);
  }
}

/** Whether `path` is a folder with something in it (reached through links: a check before a download, not a write). */
export function isFolderWithEntries(path: string): boolean {
  let entries: Dir;
  try {
    entries = opendirSync(path);
  } catch {
    return false;
  }
  return holdsEntry(entries);
}

/**
 * Removes `dir` and then each parent that is left empty, up to (not including) the job's folder,
 * skipping those `keep` names; stops at the first folder that is not empty or cannot be removed
 * (reached through a link among them). `keep` is asked only about empty folders: removing many
 * files from one folder asks it once.
 */
export async function removeEmptyFolders(folder: JobFolder, dir: string, keep: (dir: string) => Promise<boolean>): Promise<void> {
  const succeeds = (path: string, use: (reached: string) => void) => {
    try {
      folder.at(path, use);
      return true;
    } catch {
      return false;
    }
  };
  for (let current = dir; current.startsWith(folder.root + sep); current = dirname(current)) {
    if (!succeeds(current, refuseUnlessEmpty) || (await keep(current))) return;
    if (!succeeds(current, rmdirSync)) return;
  }
}

/** Throws unless `path` is an empty folder. */
function refuseUnlessEmpty(path: string): void {
  if (holdsEntry(opendirSync(path))) throw new Error(`${path} is not empty`);
}

/** Reads one entry at most, whatever the folder's size, then closes it. */
function holdsEntry(entries: Dir): boolean {
  try {
    return entries.readSync() !== null;
  } finally {
    entries.closeSync();
  }
}
