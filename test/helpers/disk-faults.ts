import type { FileHandle } from 'node:fs/promises';
import { openPartial, type OpenPartial } from '../../src/sync/local/local-files.js';

/** An error shaped like the one Node raises for a failed system call. */
export function systemError(code: 'ENOSPC' | 'EACCES', syscall: string, path?: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'permission denied';
  return Object.assign(new Error(`${code}: ${text}, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, path, errno: code === 'ENOSPC' ? -28 : -13 });
}

/**
 * Opens partial files for real, but the disk "fills up" once `capacity` bytes have been written
 * through them: the write that would cross it fails with ENOSPC, writing nothing (as a full disk does
 * for the block that does not fit). The seam is the run's `openPartial`; the rest of the engine is real.
 */
export function diskFillingAfter(capacity: number): OpenPartial {
  let written = 0;
  return async (path, flags) => {
    const file = await openPartial(path, flags);
    // The engine writes each batch with one positional write(buffer, offset, length, position).
    const write = async (buffer: Buffer, offset: number, length: number, position: number) => {
      if (written + length > capacity) throw systemError('ENOSPC', 'write');
      written += length;
      return file.write(buffer, offset, length, position);
    };
    return withWrite(file, write);
  };
}

/** `file`, its positional `write` replaced by `write`; the rest is the real handle's. */
export function withWrite(file: FileHandle, write: (buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>): FileHandle {
  return new Proxy(file, {
    get(target, name) {
      if (name === 'write') return write;
      const value: unknown = Reflect.get(target, name, target);
      // FileHandle's methods need the real handle as `this`.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Partial files whose path `refuse` selects cannot be opened: EACCES, as for a folder the service may not write. */
export function accessDeniedFor(refuse: (path: string) => boolean): OpenPartial {
  return async (path, flags) => {
    if (refuse(path)) throw systemError('EACCES', 'open', path);
    return openPartial(path, flags);
  };
}
