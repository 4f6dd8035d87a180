import { closeSync, existsSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DESCRIPTOR_FOLDER, FOLDER_FLAGS, linkError, named, O_DIRECTORY, O_RDONLY, relativeParts } from './descriptor-paths.js';
import { PARTIAL_DIR } from './safe-path.js';

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
  /** Whether `dir` is a folder reached from the root through folders only (no link on the way); asked once per folder per run. */
  reaches(dir: string): boolean;
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
  /** The job folder, opened from the download root's descriptor: the download root may be a link (an admin's choice), the job folder may not. */
  const rootDescriptor = () => {
    if (rootFd === undefined) {
      const parent = dirname(root);
      mkdirSync(parent, { recursive: true });
      const parentFd = openSync(parent, O_RDONLY | O_DIRECTORY);
      const at = `${DESCRIPTOR_FOLDER}/${parentFd}/${basename(root)}`;
      try {
        rootFd = openFolder(at, true);
      } catch (error) {
        throw named(error, at, root);
      } finally {
        closeSync(parentFd);
      }
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
  const reached = new Map<string, boolean>();
  return {
    root,
    ensureDir(dir) {
      if (createdDirs.has(dir)) return;
      const fd = openDown(dir, true);
      if (fd !== rootFd) closeSync(fd);
      createdDirs.add(dir);
    },
    reaches(dir) {
      return rememberedIn(reached, dir, () => {
        const fd = openDown(dir, false);
        if (fd !== rootFd) closeSync(fd);
      });
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
  const reached = new Map<string, boolean>();
  const refuseLinks = (dir: string, { missingOk = false } = {}) => {
    let current = root;
    for (const part of ['', ...relativeParts(root, dir)]) {
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
    reaches(dir) {
      return rememberedIn(reached, dir, () => {
        refuseLinks(dir);
        if (!lstatSync(dir).isDirectory()) throw linkError(dir);
      });
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

/** Whether `check` passes for `dir` (it throws when not), asked once per folder. */
function rememberedIn(answers: Map<string, boolean>, dir: string, check: () => void): boolean {
  let answer = answers.get(dir);
  if (answer === undefined) {
    try {
      check();
      answer = true;
    } catch {
      answer = false;
    }
    answers.set(dir, answer);
  }
  return answer;
}

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
