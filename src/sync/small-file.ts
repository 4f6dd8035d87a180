import { close, fdatasync, futimes, open, write } from 'node:fs';
import { promisify } from 'node:util';

const openFd = promisify(open);
const writeFd = promisify(write);
const futimesFd = promisify(futimes);
const fdatasyncFd = promisify(fdatasync);
const closeFd = promisify(close);

/** Objects up to this size are fetched into memory, verified there, then written with one call. */
export const IN_MEMORY_MAX_BYTES = 256 * 1024;

/**
 * Writes a whole small file at `path` (the .partial), with `mtime` set on the open file (a rename
 * keeps it) and its data fdatasync'ed before returning. Numeric fds with the callback API: each call
 * is one thread-pool round trip, without a FileHandle object per file.
 * Returns the time spent in fdatasync.
 */
export async function writeSmallFile(path: string, data: Buffer, mtime: Date | null): Promise<number> {
  const fd = await openFd(path, 'w');
  try {
    let offset = 0;
    while (offset < data.length) offset += (await writeFd(fd, data, offset, data.length - offset, offset)).bytesWritten;
    if (mtime) await futimesFd(fd, mtime, mtime);
    const started = performance.now();
    await fdatasyncFd(fd);
    return performance.now() - started;
  } finally {
    await closeFd(fd);
  }
}

/** A fixed-size in-memory target for positional writes, shaped like the FileHandle calls fetchRangeInto makes. */
export class MemoryFile {
  readonly data: Buffer;
  constructor(size: number) {
    this.data = Buffer.allocUnsafe(size);
  }
  async writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }> {
    let at = position;
    for (const buffer of buffers) {
      if (at + buffer.length > this.data.length) throw new RangeError('write beyond the object size');
      at += buffer.copy(this.data, at);
    }
    return { bytesWritten: at - position };
  }
  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return this.writev([buffer.subarray(offset, offset + length)], position);
  }
}
