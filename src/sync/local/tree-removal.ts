import { existsSync } from 'node:fs';
import { lstat, open, readdir, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DESCRIPTOR_FOLDER, FOLDER_FLAGS, named, O_DIRECTORY, O_RDONLY, relativeParts } from './descriptor-paths.js';

/** Test seam: called with each folder's path and names once it is listed, before its entries go. */
export type AfterListing = (folder: string, names: readonly string[]) => Promise<void>;

/**
 * `rm -rf path` for a path beneath `root` (a folder, a file or a link; nothing there is fine), never
 * through a symbolic link: each folder is opened with O_NOFOLLOW through the descriptor of the one
 * above, and each entry removed by name in the folder that descriptor holds, so a folder swapped for
 * a link mid-way loses the link, not the files it points to. `root` itself is trusted, as a run
 * trusts it. Without `/proc/self/fd`, Node's `rm`, whose lstat checks leave that window open.
 */
export async function removeTree(
  root: string,
  path: string,
  { descriptors = existsSync(DESCRIPTOR_FOLDER), afterListing }: { descriptors?: boolean; afterListing?: AfterListing } = {},
): Promise<void> {
  const parts = relativeParts(root, path);
  const name = parts.pop();
  if (name === undefined) throw new Error(`refusing to remove the root itself: ${root}`);
  if (!descriptors) {
    let current = root;
    for (const part of parts) {
      current = join(current, part);
      if (!(await lstat(current).catch(() => undefined))?.isDirectory()) return;
    }
    return rm(path, { recursive: true, force: true, maxRetries: 2 });
  }
  let parent: FileHandle | null = null;
  try {
    parent = await openFolderHandle(root, { follow: true });
    let reached = root;
    for (const part of parts) {
      if (!parent) return;
      const next: FileHandle | null = await openFolderHandle(`${DESCRIPTOR_FOLDER}/${parent.fd}/${part}`);
      await parent.close();
      parent = next;
      reached = join(reached, part);
    }
    if (parent) await removeEntry(parent, name, join(reached, name), afterListing);
  } catch (error) {
    // A folder on the way that is a file or a link: nothing of the root's is there to remove.
    if (codeOf(error) !== 'NOT_A_FOLDER') throw error;
  } finally {
    await parent?.close();
  }
}

/** Removes `name` from the folder `parent` holds, and what it holds first when it is a folder. */
async function removeEntry(parent: FileHandle, name: string, path: string, afterListing?: AfterListing): Promise<void> {
  const at = `${DESCRIPTOR_FOLDER}/${parent.fd}/${name}`;
  let folder: FileHandle | null;
  try {
    folder = await openFolderHandle(at);
  } catch (error) {
    if (codeOf(error) !== 'NOT_A_FOLDER') throw named(error, at, path);
    // A file or a link: unlink(2) removes it and never follows it.
    await unlinkMissingOk(at).catch((e: unknown) => Promise.reject(named(e, at, path)));
    return;
  }
  if (folder === null) return;
  const inside = `${DESCRIPTOR_FOLDER}/${folder.fd}`;
  try {
    // A second pass for entries created while the first removed the others.
    for (let pass = 0; pass < 2; pass++) {
      const entries = await readdir(inside, { withFileTypes: true });
      if (entries.length === 0) break;
      await afterListing?.(path, entries.map((entry) => entry.name));
      const files = entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name);
      const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
      // Folders one at a time (each holds a descriptor while it is emptied), and those that were files at the listing.
      for (const entry of [...folders, ...(await unlinkEach(inside, files))]) await removeEntry(folder, entry, join(path, entry), afterListing);
    }
  } catch (error) {
    throw named(error, inside, path);
  } finally {
    await folder.close();
  }
  try {
    await rmdir(at);
  } catch (error) {
    // Emptied, then swapped for a file or a link: that goes instead.
    if (codeOf(error) === 'ENOTDIR') await unlinkMissingOk(at);
    else if (codeOf(error) !== 'ENOENT') throw named(error, at, path);
  }
}

/** The folder at `path` opened (O_NOFOLLOW unless `follow`), null when nothing is there. */
async function openFolderHandle(path: string, { follow = false } = {}): Promise<FileHandle | null> {
  try {
    return await open(path, follow ? O_RDONLY | O_DIRECTORY : FOLDER_FLAGS);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return null;
    // A link opened with O_NOFOLLOW | O_DIRECTORY is ENOTDIR on Linux, as a file is.
    if (codeOf(error) === 'ENOTDIR' || codeOf(error) === 'ELOOP') throw Object.assign(new Error(`${path} is not a folder`), { code: 'NOT_A_FOLDER' });
    throw error;
  }
}

/** Files unlinked side by side, as `rm -r` does: one thread-pool round trip at a time is several times slower on a large tree. */
const UNLINKS_IN_FLIGHT = 16;

/** Unlinks `names` in `folder`; returns those that turned out to be folders (EISDIR). */
async function unlinkEach(folder: string, names: readonly string[]): Promise<string[]> {
  const folders: string[] = [];
  let next = 0;
  const unlinkNext = async (): Promise<void> => {
    for (let name = names[next++]; name !== undefined; name = names[next++]) {
      if (!(await unlinkMissingOk(`${folder}/${name}`, { folderOk: true }))) folders.push(name);
    }
  };
  await Promise.all(Array.from({ length: Math.min(UNLINKS_IN_FLIGHT, names.length) }, unlinkNext));
  return folders;
}

/** unlink(2), nothing there being fine; false when `folderOk` and the path is a folder. */
async function unlinkMissingOk(path: string, { folderOk = false } = {}): Promise<boolean> {
  try {
    await unlink(path);
  } catch (error) {
    if (folderOk && codeOf(error) === 'EISDIR') return false;
    if (codeOf(error) !== 'ENOENT') throw error;
  }
  return true;
}

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
