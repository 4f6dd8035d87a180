import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { getSystemErrorMap } from 'node:util';
import { createSemaphore } from '../../config/semaphore.js';
import { encodeDigest, expectedValue, mismatchReason, partsOf, type EtagMd5 } from './checksum.js';
import type { HashFollower } from './hash-worker.js';
import { createPrefixFollower } from './prefix-follower.js';

/** An opaque MD5 state of the native hasher. */
export type NativeMd5State = object;

/**
 * MD5 of a file's byte ranges on native threads at nice +10 (native/linux-fs, file-md5.c): no
 * worker thread to start, no JavaScript between the page cache and the hash.
 */
export interface NativeMd5 {
  md5Create(): NativeMd5State;
  /** Feeds the bytes [from, to) of `fd`; resolves to 0 or the read's errno. One call at a time per state. */
  md5Range(state: NativeMd5State, fd: number, from: number, to: number): Promise<number>;
  md5Digest(state: NativeMd5State): Buffer;
}

/** Runs at most `limit` tasks at once, the others in turn. */
export function createTurns(limit: number) {
  const slots = createSemaphore(limit);
  return async <T>(task: () => Promise<T>): Promise<T> => {
    const release = await slots.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  };
}

export type Turns = ReturnType<typeof createTurns>;

/**
 * The most one call hashes: a close, or the end of the thread that started it (which waits for the
 * call), is then at most that long in coming, even when a resumed file's whole prefix is hashed.
 */
export const RANGE_BYTES = 32 * 1024 * 1024;

/**
 * Follows a file's written prefix with the native hasher: the ETag's MD5 of the whole file, or for a
 * multipart ETag the MD5 of each part's MD5. Each range waits for one of the process's `turns`
 * (its hash threads), so no more pool threads wait on hashes than there are hash threads.
 */
export function followWithNativeMd5(native: NativeMd5, turns: Turns, path: string, expected: EtagMd5): HashFollower {
  const partSize = partsOf(expected)?.size;
  const partDigests: Buffer[] = [];
  let state = native.md5Create();
  let closed = false;
  const file: Promise<FileHandle> = open(path, 'r');
  file.catch(() => {});

  // Up to the target, the end of the part (a part's MD5 ends there) or RANGE_BYTES on, whichever comes first.
  const prefix = createPrefixFollower(async (hashed, target) => {
    const { fd } = await file;
    const partEnd = partSize ? (Math.floor(hashed / partSize) + 1) * partSize : Number.POSITIVE_INFINITY;
    const to = Math.min(target, partEnd, hashed + RANGE_BYTES);
    const errno = await turns(() => native.md5Range(state, fd, hashed, to));
    if (errno !== 0) {
      const code = getSystemErrorMap().get(-errno)?.[0] ?? `errno ${errno}`;
      throw Object.assign(new Error(`${code}: reading the downloaded bytes back to hash them failed`), { code, errno: -errno });
    }
    if (to === partEnd) {
      partDigests.push(native.md5Digest(state));
      state = native.md5Create();
    }
    return to;
  });
  const digest = (size: number): Buffer => {
    if (!partSize) return native.md5Digest(state);
    if (size % partSize !== 0) partDigests.push(native.md5Digest(state));
    return createHash('md5').update(Buffer.concat(partDigests)).digest();
  };

  return {
    advance: prefix.advance,
    async finish(size: number): Promise<string | null> {
      await prefix.reach(size);
      return mismatchReason(expected.algorithm, expectedValue(expected), encodeDigest(expected, digest(size)));
    },
    close() {
      if (closed) return;
      closed = true;
      void (async () => {
        await prefix.stop();
        await (await file).close();
      })().catch(() => {});
    },
  };
}
