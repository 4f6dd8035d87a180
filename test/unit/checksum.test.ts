import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { crc32c, createDigester, md5FromEtag } from '../../src/sync/checksum.js';

const b64 = (n: number) => {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(n);
  return buf.toString('base64');
};

describe('checksums', () => {
  test('CRC32C of the standard check string', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('56789'), crc32c(Buffer.from('1234')))).toBe(0xe3069283);
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
    ['CRC32C', { algorithm: 'CRC32C', value: b64(crc32c(Buffer.from('hello world'))) }],
  ])('%s matches the right bytes fed in pieces and rejects others', (_label, expected) => {
    const good = createDigester(expected)!;
    good.update(Buffer.from('hello '));
    good.update(Buffer.from('world'));
    expect(good.mismatch()).toBeNull();
    const bad = createDigester(expected)!;
    bad.update(Buffer.from('hello w0rld'));
    expect(bad.mismatch()).toMatch(/mismatch/);
  });

  test('an unknown algorithm gives no digester (size check only)', () => {
    expect(createDigester({ algorithm: 'CRC64NVME', value: 'AAAAAAAAAAA=' })).toBeNull();
  });
});
