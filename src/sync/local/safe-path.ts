import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve, sep } from 'node:path';

/** The usual file-name limit (ext4, xfs, btrfs, APFS, NTFS): bytes per path segment. */
export const MAX_SEGMENT_BYTES = 255;
/** S3's key limit. */
export const MAX_KEY_BYTES = 1024;
/**
 * The folder inside each job's root where downloads are written before their rename. Keys under it
 * are refused, so no object's final path can be another object's temporary file (which a `.partial`
 * name next to the final path allowed: keys `x` and `x.partial` in one prefix).
 */
export const PARTIAL_DIR = '.dss-partial';

/** The folder inside each job's root where mirror deletes move removed files: `.dss-trash/<run id>/<key>`. Reserved like PARTIAL_DIR. */
export const TRASH_DIR = '.dss-trash';

export type LocalPath =
  | { ok: true; path: string; isDirectory: boolean }
  | { ok: false; reason: string };

/**
 * Maps an S3 key to a path under `jobRoot` (`<DOWNLOAD_ROOT_FOLDER>/<job_id>`) or explains why it
 * cannot. A key ending in `/` names a directory (a folder marker). Refuses anything that could
 * escape the root or land on another key's path: `..` and `.` segments (also between backslashes),
 * absolute paths, NUL, empty segments, and segments the file system cannot name.
 */
export function resolveLocalPath(jobRoot: string, key: string): LocalPath {
  const keyBytes = Buffer.byteLength(key);
  if (keyBytes === 0) return refuse('the key is empty');
  if (keyBytes > MAX_KEY_BYTES) return refuse(`the key is ${keyBytes} bytes, over S3's ${MAX_KEY_BYTES}-byte limit`);
  if (key.includes('\0')) return refuse('the key contains a NUL character');
  if (key.startsWith('/') || key.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(key)) {
    return refuse('the key is an absolute path');
  }
  const isDirectory = key.endsWith('/');
  const segments = (isDirectory ? key.slice(0, -1) : key).split('/');
  // Compared case- and compatibility-folded: on a case-insensitive file system (a macOS or Windows
  // folder mounted into a container, a casefold directory) `.DSS-PARTIAL` is the partial-downloads folder.
  const first = folded(segments[0]!);
  if (first === PARTIAL_DIR) return refuse(`the folder "${PARTIAL_DIR}" is where this service keeps partial downloads`);
  if (first === TRASH_DIR) return refuse(`the folder "${TRASH_DIR}" is where this service moves files removed by mirror deletes`);
  for (const segment of segments) {
    if (segment === '') return refuse('the key has an empty path segment ("//")');
    if (segment === '..' || segment === '.') return refuse(`the key has a "${segment}" path segment`);
    if (segment.split('\\').some((part) => part === '..')) {
      return refuse('the key has a ".." segment between backslashes');
    }
    const bytes = Buffer.byteLength(segment);
    if (bytes > MAX_SEGMENT_BYTES) {
      return refuse(
        `a path segment is ${bytes} bytes, over the file system's ${MAX_SEGMENT_BYTES}-byte name limit`,
      );
    }
  }
  const root = resolvedRoot(jobRoot);
  const path = join(root, ...segments);
  // The checks above leave no segment that climbs; this one holds should that reasoning ever fail.
  if (!path.startsWith(root + sep)) return refuse('the key resolves outside the job folder');
  return { ok: true, path, isDirectory };
}

/** The last absolute job root resolved: a listing maps thousands of keys under the same one. */
let lastRoot = { given: '', resolved: '' };

function resolvedRoot(jobRoot: string): string {
  // A relative root depends on the working directory, so only an absolute one is kept.
  if (!isAbsolute(jobRoot)) return resolve(jobRoot);
  if (lastRoot.given !== jobRoot) lastRoot = { given: jobRoot, resolved: resolve(jobRoot) };
  return lastRoot.resolved;
}

/**
 * Where the bytes of `key` are written before the rename into place: `<jobRoot>/.dss-partial/` and a
 * name hashed from the key (fixed length whatever the key's, the same across runs so a download
 * resumes, and never a path any key can map to).
 */
export function partialPathFor(jobRoot: string, key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 40);
  return join(resolvedRoot(jobRoot), PARTIAL_DIR, `${digest}.partial`);
}

/** A name as case-insensitive file systems compare it, near enough for the reserved ASCII names (`ſ` → `s`, `Ｄ` → `d`). */
function folded(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase();
}

function refuse(reason: string): LocalPath {
  return { ok: false, reason: `unsafe key: ${reason}` };
}

/** False for a key no database can store in a text column (a NUL): it has no row and must stay out of queries. */
export function isStorableKey(key: string): boolean {
  return !key.includes('\0');
}
