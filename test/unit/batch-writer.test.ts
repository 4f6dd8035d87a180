import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBatchWriter, WRITE_BATCH_BYTES, type PositionalFile } from '../../src/sync/transfer/batch-writer.js';
import { MemoryFile } from '../../src/sync/transfer/small-file.js';
import type { ByteSource } from '../../src/sync/transport/byte-source.js';

/** A body whose pieces the test hands over; it records what the writer asks of it. */
function testSource() {
  const calls = { destroyed: undefined as Error | undefined, region: null as (() => Buffer | null) | null };
  const source: ByteSource = {
    pipeTo: () => Promise.resolve(),
    pause: () => {},
    resume: () => {},
    destroy: (error) => (calls.destroyed = error ?? new Error('destroyed')),
    readInto: (region) => (calls.region = region),
  };
  return { source, calls };
}

/** A file that keeps a copy of every write, for comparing with the memory writer. */
function recordingFile(size: number): PositionalFile & { data: Buffer } {
  const data = Buffer.alloc(size);
  return { data, write: async (buffer, offset, length, position) => ({ bytesWritten: buffer.copy(data, position, offset, offset + length) }) };
}

describe('a batch writer into an object held in memory', () => {
  it('fills the object where its bytes belong: the socket is offered the object itself, and no batch of its own is made', async () => {
    const body = randomBytes(10_000);
    const object = new MemoryFile(body.length);
    const { source, calls } = testSource();
    const seen: Array<{ end: number; inObject: boolean }> = [];
    const writer = createBatchWriter(object, 0, 4096, source, (data, end) => void seen.push({ end, inObject: data.buffer === object.memory.buffer }));

    // The first read lands in the object at offset 0, as the connection would read it in place.
    const region = calls.region!()!;
    expect(region.buffer).toBe(object.memory.buffer);
    expect(region.byteOffset).toBe(object.memory.byteOffset);
    body.copy(region, 0, 0, 1000);
    writer.take(region.subarray(0, 1000));
    // The rest arrives in the connection's own buffer, in pieces across the batches' seams.
    for (let at = 1000; at < body.length; at += 3000) writer.take(Buffer.from(body.subarray(at, Math.min(at + 3000, body.length))));
    await writer.flush();

    expect(writer.written).toBe(body.length);
    expect(object.memory.equals(body)).toBe(true);
    expect(seen).toEqual([4096, 8192, 10_000].map((end) => ({ end, inObject: true })));
    expect(calls.destroyed).toBeUndefined();
  });

  it('a retry resumes at the bytes written: the object is filled from there', async () => {
    const body = randomBytes(6000);
    const object = new MemoryFile(body.length);
    const first = createBatchWriter(object, 0, 6000, testSource().source);
    first.take(body.subarray(0, 2500));
    await first.flush();
    const second = createBatchWriter(object, first.written, 6000, testSource().source);
    second.take(body.subarray(2500));
    await second.flush();
    expect(object.memory.equals(body)).toBe(true);
  });

  it('bytes past the object\'s end end the body with an error instead of landing anywhere', async () => {
    const object = new MemoryFile(100);
    const { source, calls } = testSource();
    const writer = createBatchWriter(object, 0, 100, source);
    writer.take(Buffer.alloc(150, 1));
    expect(calls.destroyed).toBeInstanceOf(RangeError);
    await expect(writer.flush()).rejects.toThrow('write beyond the object size');
  });

  it('never hands the object\'s memory to another writer, even in full-size batches', async () => {
    const body = randomBytes(WRITE_BATCH_BYTES);
    const object = new MemoryFile(body.length);
    const writer = createBatchWriter(object, 0, WRITE_BATCH_BYTES, testSource().source);
    writer.take(body);
    await writer.flush();

    // Writers to files take full-size batches from the spares that earlier writers gave back.
    const others = Array.from({ length: 4 }, () => {
      const { source, calls } = testSource();
      const file = recordingFile(2 * WRITE_BATCH_BYTES);
      return { writer: createBatchWriter(file, 0, WRITE_BATCH_BYTES, source), file, calls };
    });
    for (const other of others) {
      expect(other.calls.region!()!.buffer).not.toBe(object.memory.buffer);
      other.writer.take(Buffer.alloc(WRITE_BATCH_BYTES + 10, 7));
      await other.writer.flush();
      expect(other.file.data.subarray(0, WRITE_BATCH_BYTES + 10).every((byte) => byte === 7)).toBe(true);
    }
    expect(object.memory.equals(body), 'the object is unchanged').toBe(true);
  });
});
