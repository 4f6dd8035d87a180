import type { ByteSource } from '../transport/byte-source.js';

/** Where fetched bytes go: a FileHandle, or memory for a small object (see small-file.ts). */
export interface PositionalFile {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /**
   * The file's bytes themselves, when it is memory: batches are then filled where the bytes belong
   * (and read there by the socket, see `readInto`), and writing one to its own offset copies nothing.
   */
  readonly memory?: Buffer;
}

/**
 * Sees every byte once, in order, after it is written (inline checksums); `end` is the offset after
 * `data`, which is valid only during the call. Returning 'stop' ends the body there.
 */
export type WrittenListener = (data: Buffer, end: number) => void | 'stop';

/** Bytes gathered from a body before one positional write. */
export const WRITE_BATCH_BYTES = 256 * 1024;

/**
 * Full-size batch buffers, reused by every writer once written: a large object is many GETs, and
 * fresh buffers for each would wait for a garbage collection to be freed (tens of MB of RSS on a
 * 1 GB object).
 */
const spareBatches: Buffer[] = [];
const MAX_SPARE_BATCHES = 32;

function batchBuffer(bytes: number): Buffer {
  if (bytes !== WRITE_BATCH_BYTES) return Buffer.allocUnsafe(bytes);
  return spareBatches.pop() ?? Buffer.allocUnsafeSlow(bytes);
}

function giveBack(buffers: Buffer[]): void {
  for (const buffer of buffers) {
    if (buffer.length === WRITE_BATCH_BYTES && spareBatches.length < MAX_SPARE_BATCHES) spareBatches.push(buffer);
  }
}

/**
 * Copies a body's pieces into batches of `batchBytes` and writes each batch at its offset, one
 * write at a time and in order, while the next batch fills. When a full batch waits for the write
 * before it, the source is paused; memory stays at two or three batches whatever the body's size.
 */
export function createBatchWriter(file: PositionalFile, start: number, batchBytes: number, source: ByteSource, onWritten?: WrittenListener) {
  const { memory } = file;
  /** Where the batch being filled starts in the file. */
  let fillingAt = start;
  const nextBatch = (): Buffer => (memory ? memory.subarray(fillingAt, fillingAt + batchBytes) : batchBuffer(batchBytes));
  /** Batches of the file's own memory are its bytes: never handed to another writer. */
  const recycle = (buffers: Buffer[]) => {
    if (!memory) giveBack(buffers);
  };
  let filling: Buffer = nextBatch();
  let filled = 0;
  const full: Array<{ buffer: Buffer; length: number }> = [];
  /** The offset after the last byte written. */
  let written = start;
  let writing: Promise<void> | null = null;
  let paused = false;
  let stopped = false;
  let failure: unknown;
  let closed = false;

  const writeQueued = async () => {
    while (full.length > 0 && failure === undefined && !stopped) {
      const { buffer, length } = full[0]!;
      try {
        await writeAll(file, buffer, length, written);
      } catch (error) {
        failure = error;
        source.destroy(error as Error);
        return;
      }
      full.shift();
      written += length;
      if (!stopped && onWritten?.(buffer.subarray(0, length), written) === 'stop') {
        stopped = true;
        source.destroy();
      }
      recycle([buffer]);
      if (paused && full.length < 2) {
        paused = false;
        source.resume();
      }
    }
  };
  const kick = () => {
    writing ??= writeQueued().finally(() => {
      writing = null;
      if (full.length > 0 && failure === undefined && !stopped) kick();
    });
  };
  const queueFilling = () => {
    full.push({ buffer: filling, length: filled });
    fillingAt += filled;
    filling = nextBatch();
    filled = 0;
    kick();
  };

  source.readInto?.(() => (stopped || closed || failure !== undefined ? null : filling.subarray(filled)));

  return {
    /** Takes one piece of the body: copied, unless the source read it in place (see `readInto`). */
    take(piece: Buffer): void {
      if (stopped || closed || failure !== undefined) return;
      const inPlace = piece.buffer === filling.buffer && piece.byteOffset === filling.byteOffset + filled && piece.length <= filling.length - filled;
      let at = 0;
      while (at < piece.length) {
        if (filling.length === 0) {
          // Past the end of the file's memory: fetchRangeInto ends an overlong body before this.
          failure = new RangeError('write beyond the object size');
          return source.destroy(failure as Error);
        }
        const taken = inPlace ? piece.length : piece.copy(filling, filled, at);
        filled += taken;
        at += taken;
        if (filled === filling.length) queueFilling();
      }
      if (full.length >= 2 && !paused) {
        paused = true;
        source.pause();
      }
    },
    /** Writes what is left (after the end of the body or its cut); throws the first write error. Takes nothing after. */
    async flush(): Promise<void> {
      if (filled > 0 && !stopped && failure === undefined) queueFilling();
      while (writing) await writing;
      closed = true;
      recycle([filling, ...full.map((batch) => batch.buffer)]);
      full.length = 0;
      if (failure !== undefined) throw failure;
    },
    /** The offset after the last byte written. */
    get written(): number {
      return written;
    },
    get stopped(): boolean {
      return stopped;
    },
  };
}

async function writeAll(file: PositionalFile, buffer: Buffer, length: number, position: number): Promise<void> {
  let offset = 0;
  while (offset < length) {
    const { bytesWritten } = await file.write(buffer, offset, length - offset, position + offset);
    if (bytesWritten <= 0) throw new Error(`a write at byte ${position + offset} made no progress`);
    offset += bytesWritten;
  }
}
