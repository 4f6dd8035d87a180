import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { readAll, sourceFromReadable } from '../../src/sync/transport/byte-source.js';

const body = () => sourceFromReadable(Readable.from([Buffer.from('abcd'), Buffer.from('efgh'), Buffer.from('ij')]));

describe('readAll', () => {
  test('reads the whole body, or its first `limit` bytes (the rest read and dropped)', async () => {
    expect((await readAll(body())).toString()).toBe('abcdefghij');
    expect((await readAll(body(), 6)).toString()).toBe('abcdef');
    expect((await readAll(body(), 10, () => new Error('too long'))).toString()).toBe('abcdefghij');
  });

  test('with `overLimit`, a body past the limit fails with that error', async () => {
    await expect(readAll(body(), 9, () => new Error('too long'))).rejects.toThrow('too long');
  });
});
