import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { lstat, open, readdir, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { PARTIAL_DIR } from './safe-path.js';

const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY } = constants;
/** open(2) of a folder that fails (ELOOP) when the folder is a symbolic link, ENOTDIR when it is a file. */
const FOLDER_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/**
 * Linux names each open descriptor here; a path through `/proc/self/fd/<fd>/` starts at the folder
 * the descriptor holds, whatever has been renamed or linked since it was opened.
 */
const DESCRIPTOR_FOLDER = '/proc/self/fd';

/**
 * A run's writes beneath `<DOWNLOAD_ROOT_FOLDER>/<job_id>`, none of them through a symbolic link, and
 * none open to a folder swapped for a link between a check and the write: every folder on the way is
 * opened with O_NOFOLLOW from the one above it (through its descriptor), and the write names its
 * folder by descriptor. Where `/proc/self/fd` is missing (not Linux), each folder is checked with
 * lstat right before the write instead, which leaves that window open.
 */
export interface JobFolder {
  readonly root: string;
  /** mkdir -p beneath the root, once per folder per run; throws ELOOP where a folder on the way is a link. */
  ensureDir(dir: string): void;
  /**
   * The run's `.dss-partial` folder, created and held open on first use: its descriptor path on Linux.
   * Throws ELOOP when it (or a folder on the way) is a link.
   */
  partialFolder(): string;
  /** A partial file's path through the run's `.dss-partial` descriptor. */
  partial(path: string): string;
  /**
   * Runs `use` with `path` reached folder by folder from the root (ELOOP on a link), its folder
   * held open until `use` returns. Errors name `path`, not the descriptor's path.
   */
  at<T>(path: string, use: (reached: string) => T): T;
  /** Removes a partial file through the run's `.dss-partial` descriptor; never throws (nothing to remove is fine). */
  removePartial(path: string): Promise<void>;
  /** The error with its partial file and job folder named by path, not by descriptor (for rows and logs). */
  described(error: unknown): unknown;
  /** Closes the descriptors: after every write of the run has ended. */
  close(): void;
}

export function openJobFolder(root: string, { descriptors = existsSync(DESCRIPTOR_FOLDER) } = {}): JobFolder {
  return descriptors ? descriptorFolder(root) : checkedFolder(root);
}

function descriptorFolder(root: string): JobFolder {
  const createdDirs = new Set<string>();
  let rootFd: number | undefined;
  let partialFd: number | undefined;
  const rootDescriptor = () => {
    if (rootFd === undefined) {
      mkdirSync(root, { recursive: true });
      rootFd = openSync(root, O_RDONLY | O_DIRECTORY);
    }
    return rootFd;
  };
  /** The descriptor of `dir` (the caller closes it unless it is the root's), opened down from the root. */
  const openDown = (dir: string, create: boolean): number => {
    let fd = rootDescriptor();
    let reached = root;
    for (const part of relativeParts(root, dir)) {
      const at = `${DESCRIPTOR_FOLDER}/${fd}/${part}`;
      let next: number;
      try {
        next = openFolder(at, create);
      } catch (error) {
        throw named(error, at, join(reached, part));
      } finally {
        if (fd !== rootFd) closeSync(fd);
      }
      fd = next;
      reached = join(reached, part);
    }
    return fd;
  };
  return {
    root,
    ensureDir(dir) {
      if (createdDirs.has(dir)) return;
      const fd = openDown(dir, true);
      if (fd !== rootFd) closeSync(fd);
      createdDirs.add(dir);
    },
    partialFolder() {
      partialFd ??= openDown(join(root, PARTIAL_DIR), true);
      return `${DESCRIPTOR_FOLDER}/${partialFd}`;
    },
    partial(path) {
      return `${this.partialFolder()}/${basename(path)}`;
    },
    async removePartial(path) {
      let reached: string;
      try {
        reached = this.partial(path);
      } catch {
        return;
      }
      await unlink(reached).catch(() => {});
    },
    at(path, use) {
      const fd = openDown(dirname(path), false);
      const reached = `${DESCRIPTOR_FOLDER}/${fd}/${basename(path)}`;
      try {
        return use(reached);
      } catch (error) {
        throw named(error, reached, path);
      } finally {
        if (fd !== rootFd) closeSync(fd);
      }
    },
    described(error) {
      if (partialFd !== undefined) error = named(error, `${DESCRIPTOR_FOLDER}/${partialFd}/`, `${join(root, PARTIAL_DIR)}/`);
      return rootFd === undefined ? error : named(error, `${DESCRIPTOR_FOLDER}/${rootFd}/`, `${root}/`);
    },
    close() {
      for (const fd of [partialFd, rootFd]) if (fd !== undefined) closeSync(fd);
      partialFd = rootFd = undefined;
    },
  };
}

/** Without descriptor paths: the folders are checked with lstat, then written to by name. */
function checkedFolder(root: string): JobFolder {
  const createdDirs = new Set<string>();
  const refuseLinks = (dir: string, { missingOk = false } = {}) => {
    let current = root;
    for (const part of relativeParts(root, dir)) {
      current = join(current, part);
      const info = lstatSync(current, { throwIfNoEntry: !missingOk });
      if (!info) return;
      if (info.isSymbolicLink()) throw linkError(current);
    }
  };
  return {
    root,
    ensureDir(dir) {
      if (createdDirs.has(dir)) return;
      // Checked before mkdir too: mkdir -p through a linked folder would create folders outside the job's.
      refuseLinks(dir, { missingOk: true });
      mkdirSync(dir, { recursive: true });
      refuseLinks(dir);
      createdDirs.add(dir);
    },
    partialFolder() {
      const dir = join(root, PARTIAL_DIR);
      this.ensureDir(dir);
      return dir;
    },
    partial: (path) => path,
    removePartial: (path) => unlink(path).catch(() => {}),
    described: (error) => error,
    at(path, use) {
      refuseLinks(dirname(path));
      return use(path);
    },
    close() {},
  };
}

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
      for (const entry of entries) {
        // EISDIR: a folder since the listing, removed as one.
        const unlinked = !entry.isDirectory() && (await unlinkMissingOk(`${inside}/${entry.name}`, { folderOk: true }));
        if (!unlinked) await removeEntry(folder, entry.name, join(path, entry.name), afterListing);
      }
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

function openFolder(path: string, create: boolean): number {
  try {
    return openSync(path, FOLDER_FLAGS);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    // Linux answers ENOTDIR, not ELOOP, for a link opened with O_DIRECTORY | O_NOFOLLOW.
    if (code === 'ENOTDIR' && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) throw linkError(path);
    if (!create || code !== 'ENOENT') throw error;
  }
  try {
    mkdirSync(path);
  } catch (error) {
    // Another transfer of the run made it first.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return openSync(path, FOLDER_FLAGS);
}

/** The folders from `root` (excluded) down to `dir`; throws ELOOP when `dir` is not beneath `root`. */
function relativeParts(root: string, dir: string): string[] {
  const rel = relative(root, dir);
  if (rel === '') return [];
  if (rel.startsWith('..') || isAbsolute(rel)) throw linkError(dir);
  return rel.split(sep);
}

/** The error with the path the user knows in place of the descriptor's (`reached`, or a path below it). */
function named(error: unknown, reached: string, path: string): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as NodeJS.ErrnoException & { dest?: string };
  e.message = e.message.replaceAll(reached, path);
  if (e.path?.startsWith(reached)) e.path = path + e.path.slice(reached.length);
  if (e.dest?.startsWith(reached)) e.dest = path + e.dest.slice(reached.length);
  return e;
}

function linkError(path: string): Error {
  return Object.assign(new Error(`${path} is a symbolic link`), { code: 'ELOOP' });
}
