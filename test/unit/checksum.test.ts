import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createDigester, createRunningChecksum, md5FromEtag, verificationFailure } from '../../src/sync/verify/checksum.js';

const b64 = (n: number) => {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(n);
  return buf.toString('base64');
};

describe('checksums', () => {
  test('CRC32C of the standard check string, fed whole or in pieces', async () => {
    const whole = createRunningChecksum('CRC32C')!;
    whole.update(Buffer.from('123456789'));
    expect(await whole.digest()).toBe(b64(0xe3069283));
    const pieces = createRunningChecksum('CRC32C')!;
    pieces.update(Buffer.from('1234'));
    pieces.update(Buffer.from('56789'));
    expect(await pieces.digest()).toBe(b64(0xe3069283));
  });

  test.each([
    ['"5eb63bbbe01eeed093cb22bb8f5acdc3"', '5eb63bbbe01eeed093cb22bb8f5acdc3'],
    ['5EB63BBBE01EEED093CB22BB8F5ACDC3', '5eb63bbbe01eeed093cb22bb8f5acdc3'],
    ['"d41d8cd98f00b204e9800998ecf8427e-3"', null],
    ['"abc"', null],
  ])('md5FromEtag(%s) → %s', (etag, expected) => {
    expect(md5FromEtag(etag)).toBe(expected);
  });

  test.each([
    ['MD5', { algorithm: 'MD5' as const, hex: createHash('md5').update('hello world').digest('hex') }],
    ['SHA256', { algorithm: 'SHA256', value: createHash('sha256').update('hello world').digest('base64') }],
    ['SHA1', { algorithm: 'SHA1', value: createHash('sha1').update('hello world').digest('base64') }],
    ['CRC32', { algorithm: 'CRC32', value: b64(0x0d4a1185) }],
    ['CRC32C', { algorithm: 'CRC32C', value: b64(0xc99465aa) }],
    ['SHA512', { algorithm: 'SHA512', value: createHash('sha512').update('hello world').digest('base64') }],
    ['CRC64NVME', { algorithm: 'CRC64NVME', value: Buffer.from('8d29d5c3f6ea8ebe', 'hex').toString('base64') }],
  ])('%s matches the right bytes fed in pieces and rejects others', async (_label, expected) => {
    const good = createDigester(expected)!;
    good.update(Buffer.from('hello '));
    good.update(Buffer.from('world'));
    expect(await good.mismatch()).toBeNull();
    const bad = createDigester(expected)!;
    bad.update(Buffer.from('hello w0rld'));
    expect(await bad.mismatch()).toMatch(/mismatch/);
  });

  test('CRC-64/NVME of the standard check string, fed whole or in pieces', async () => {
    const expected = Buffer.from('ae8b14860a799888', 'hex').toString('base64');
    const whole = createRunningChecksum('CRC64NVME')!;
    whole.update(Buffer.from('123456789'));
    expect(await whole.digest()).toBe(expected);
    const pieces = createRunningChecksum('CRC64NVME')!;
    for (const piece of ['1', '2345', '6789']) pieces.update(Buffer.from(piece));
    expect(await pieces.digest()).toBe(expected);
  });

  test('an algorithm not verified here gives no digester (size check only)', () => {
    expect(createDigester({ algorithm: 'XXHASH64', value: 'AAAAAAAAAAA=' })).toBeNull();
  });

  describe('the verification verdict', () => {
    const md5 = { algorithm: 'MD5' as const, hex: 'd41d8cd98f00b204e9800998ecf8427e' };
    const sha = { algorithm: 'SHA256', value: 'x' };
    const mismatch = async () => 'checksum mismatch';

    test('a size mismatch fails first, whatever the checksum', async () => {
      const compare = async (): Promise<string | null> => {
        throw new Error('not asked when the size is wrong');
      };
      expect(await verificationFailure({ size: { expected: 10, actual: 9 }, expected: sha, compare, etagIsNotMd5: false })).toBe(
        'size mismatch: expected 10 bytes, got 9',
      );
    });

    test('a checksum mismatch fails, except an ETag MD5 of an object whose ETag is not an MD5 (SSE-KMS, SSE-C)', async () => {
      expect(await verificationFailure({ expected: md5, compare: mismatch, etagIsNotMd5: false })).toBe('checksum mismatch');
      expect(await verificationFailure({ expected: md5, compare: mismatch, etagIsNotMd5: true })).toBeNull();
      expect(await verificationFailure({ expected: sha, compare: mismatch, etagIsNotMd5: true })).toBe('checksum mismatch');
    });

    test('nothing to check against: the size decides', async () => {
      expect(await verificationFailure({ size: { expected: 3, actual: 3 }, expected: null, compare: mismatch, etagIsNotMd5: false })).toBeNull();
    });
  });
});
