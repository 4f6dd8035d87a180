import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';

/** The addon's file hasher (file-md5.c). */
export interface FileMd5Calls {
  /** A new MD5 state. */
  md5Create(): object;
  /** Feeds the bytes [from, to) of `fd` to `state` on a hash thread (nice +10); resolves to 0 or an errno. */
  md5Range(state: object, fd: number, from: number, to: number): Promise<number>;
  /** The state's digest (16 bytes); the state is done with. */
  md5Digest(state: object): Buffer;
}

/** native/linux-fs: Linux calls Node has no binding for, run on the thread pool; each resolves to 0 or an errno. */
export interface LinuxFsAddon extends Partial<FileMd5Calls> {
  /** syncfs(2) of the file system holding `fd`. */
  syncfs(fd: number): Promise<number>;
  /** fallocate(2), mode 0, of the bytes [0, length). */
  fallocate(fd: number, length: number): Promise<number>;
}

let addon: LinuxFsAddon | null | undefined;

/** The addon, an optional dependency built at install (Linux, with a C compiler); null where it is not. */
export function linuxFs(): LinuxFsAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.platform === 'linux') {
    try {
      addon = createRequire(import.meta.url)('dss-linux-fs') as LinuxFsAddon;
    } catch {
      // Not built (no compiler at install): callers fall back to what Node offers.
    }
  }
  return addon;
}

/** The addon's file hasher; null where the addon is not built, or was built before it had one (not installed again). */
export function fileMd5(): FileMd5Calls | null {
  const built = linuxFs();
  return built?.md5Create && built.md5Range && built.md5Digest ? (built as FileMd5Calls) : null;
}

/** The file system cannot allocate ahead (some network and FUSE file systems): truncating is the fallback. */
const NOT_SUPPORTED = new Set(['EOPNOTSUPP', 'ENOTSUP', 'ENOSYS', 'EINVAL']);

/** The allocation in progress in this process, which the next one waits for. */
let allocating: Promise<unknown> = Promise.resolve();

/**
 * Gives `file` its full `size` with its blocks allocated (fallocate, as rclone does by default): a
 * full disk or quota fails the object before any byte is fetched, and the writeback behind each
 * chunk's fdatasync has no blocks left to allocate. Where the file system cannot, the file is made
 * `size` bytes long and sparse instead. A failure (ENOSPC, EDQUOT, EFBIG, thrown as a write's would
 * be) cuts the file back to the `keep` bytes already checkpointed: what the call allocated before
 * failing would otherwise hold the space the other files need. One runs at a time: two racing for
 * the last free space could both fail half-way, where one of them fits.
 */
export function preallocate(file: FileHandle, size: number, keep: number): Promise<void> {
  const turn = allocating.then(() => allocate(file, size, keep));
  allocating = turn.catch(() => {});
  return turn;
}

async function allocate(file: FileHandle, size: number, keep: number): Promise<void> {
  const errno = size > 0 ? await linuxFs()?.fallocate(file.fd, size) : undefined;
  if (errno === 0) return;
  const [code, description] = errno === undefined ? [] : (getSystemErrorMap().get(-errno) ?? [`errno ${errno}`, 'unknown error']);
  if (code === undefined || NOT_SUPPORTED.has(code)) return file.truncate(size);
  await file.truncate(keep).catch(() => {});
  throw Object.assign(new Error(`${code}: ${description}, fallocate`), { code, errno: -errno!, syscall: 'fallocate' });
}
