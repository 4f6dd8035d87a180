import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { chooseExpected, createDigester, md5FromEtag, verificationFailure, type Expected } from '../../src/sync/verify/checksum.js';
import { createRunningChecksum } from '../../src/sync/verify/hashers.js';
import { multipartEtag } from '../../src/sync/verify/multipart-etag.js';

const hexToB64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const b64 = (n: number) => {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(n);
  return buf.toString('base64');
};

/** Feeds `data` for `expected` (4 parts of 1000 bytes) in pieces within, across and along the parts: each digest must match. */
async function expectMatchInAnyPieces(expected: Expected, data: Buffer): Promise<void> {
  for (const piece of [1, 999, 1000, 1001, 3500]) {
    const digester = (await createDigester(expected))!;
    for (let at = 0; at < data.length; at += piece) digester.update(data.subarray(at, at + piece));
    expect(await digester.mismatch(), `pieces of ${piece}`).toBeNull();
  }
}

const withByteFlipped = (data: Buffer, at: number) => Buffer.concat([data.subarray(0, at), Buffer.from([data[at]! ^ 1]), data.subarray(at + 1)]);

describe('checksums', () => {
  test('CRC32C of the standard check string, fed whole or in pieces', async () => {
    const whole = (await createRunningChecksum('CRC32C'))!;
    whole.update(Buffer.from('123456789'));
    expect(Buffer.from(whole.digest()).toString('base64')).toBe(b64(0xe3069283));
    const pieces = (await createRunningChecksum('CRC32C'))!;
    pieces.update(Buffer.from('1234'));
    pieces.update(Buffer.from('56789'));
    expect(Buffer.from(pieces.digest()).toString('base64')).toBe(b64(0xe3069283));
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
    ['CRC64NVME', { algorithm: 'CRC64NVME', value: hexToB64('8d29d5c3f6ea8ebe') }],
    // "hello world" by xxHash's reference code (hash-wasm) and by the AWS SDK's JavaScript alike.
    ['XXHASH64', { algorithm: 'XXHASH64', value: hexToB64('45ab6734b21e6968') }],
    ['XXHASH3', { algorithm: 'XXHASH3', value: hexToB64('d447b1ea40e6988b') }],
    ['XXHASH128', { algorithm: 'XXHASH128', value: hexToB64('df8d09e93f874900a99b8775cc15b6c7') }],
    ['full-object MD5 (base64, not an ETag)', { algorithm: 'MD5', value: createHash('md5').update('hello world').digest('base64') }],
  ])('%s matches the right bytes fed in pieces and rejects others', async (_label, expected) => {
    const good = (await createDigester(expected))!;
    good.update(Buffer.from('hello '));
    good.update(Buffer.from('world'));
    expect(await good.mismatch()).toBeNull();
    const bad = (await createDigester(expected))!;
    bad.update(Buffer.from('hello w0rld'));
    expect(await bad.mismatch()).toMatch(/mismatch/);
  });

  test('CRC-64/NVME of the standard check string, fed whole or in pieces', async () => {
    const expected = hexToB64('ae8b14860a799888');
    const whole = (await createRunningChecksum('CRC64NVME'))!;
    whole.update(Buffer.from('123456789'));
    expect(Buffer.from(whole.digest()).toString('base64')).toBe(expected);
    const pieces = (await createRunningChecksum('CRC64NVME'))!;
    for (const piece of ['1', '2345', '6789']) pieces.update(Buffer.from(piece));
    expect(Buffer.from(pieces.digest()).toString('base64')).toBe(expected);
  });

  test.each([
    ['XXHASH64', 'ef46db3751d8e999'],
    ['XXHASH3', '2d06800538d394c2'],
    ['XXHASH128', '99aa06d3014798d86001c324468d497f'],
  ])('%s of no bytes is the published value; a reused hasher starts afresh', async (algorithm, emptyHex) => {
    const first = (await createRunningChecksum(algorithm))!;
    first.update(Buffer.from('bytes that must not leak into the next checksum'));
    first.digest();
    expect(() => first.update(Buffer.from('x'))).toThrow(/already digested/);
    // The hasher just released is the one handed out next.
    const empty = (await createRunningChecksum(algorithm))!;
    expect(Buffer.from(empty.digest()).toString('hex')).toBe(emptyHex);
  });

  test('an algorithm not verified here gives no digester (size check only)', async () => {
    expect(await createDigester({ algorithm: 'FUTUREHASH', value: 'AAAAAAAAAAA=' })).toBeNull();
  });

  describe('which checksum is checked', () => {
    /** 4 parts of 1000 bytes but a last one of 500. */
    const multipart = { etag: '"0123456789abcdef0123456789abcdef-4"', size: 3500, checksumAlgorithms: ['CRC64NVME'] };
    const noRequest = (): never => {
      throw new Error('no request expected');
    };
    const lookups = (kept: Array<{ algorithm: string; value: string }>, firstPart = { size: 1000, partsCount: 4 as number | null }) => ({
      headChecksums: async () => kept,
      headFirstPart: async () => firstPart,
    });

    test('a single-part ETag is its MD5: no HEAD, unless the listing names a check preferred to MD5', async () => {
      for (const listed of [[], ['CRC32'], ['SHA256'], ['MD5'], ['FUTUREHASH']]) {
        const remote = { etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', size: 11, checksumAlgorithms: listed };
        const expected = await chooseExpected(remote, { headChecksums: noRequest, headFirstPart: noRequest });
        expect(expected, listed.join()).toEqual({ algorithm: 'MD5', hex: '5eb63bbbe01eeed093cb22bb8f5acdc3' });
      }
    });

    test("before any answer (a chunked object), a listed CRC64NVME or XXHASH is asked for and checked instead of the ETag's MD5", async () => {
      const single = { etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', size: 11, checksumAlgorithms: ['CRC64NVME'] };
      let heads = 0;
      const keeps = (kept: Array<{ algorithm: string; value: string }>) => ({
        headChecksums: async () => {
          heads += 1;
          return kept;
        },
        headFirstPart: noRequest,
      });
      expect(await chooseExpected(single, keeps([{ algorithm: 'CRC64NVME', value: 'a' }]))).toEqual({ algorithm: 'CRC64NVME', value: 'a' });
      expect(await chooseExpected({ ...single, checksumAlgorithms: ['XXHASH64'] }, keeps([{ algorithm: 'XXHASH64', value: 'x' }]))).toEqual({ algorithm: 'XXHASH64', value: 'x' });
      expect(heads).toBe(2);
      // The HEAD finds none (a COMPOSITE one, which is no hash of the bytes), or only a slower one: the MD5.
      const md5 = { algorithm: 'MD5', hex: '5eb63bbbe01eeed093cb22bb8f5acdc3' };
      expect(await chooseExpected(single, keeps([]))).toEqual(md5);
      expect(await chooseExpected(single, keeps([{ algorithm: 'SHA256', value: 'b' }]))).toEqual(md5);
      expect(heads).toBe(4);
    });

    test('of several S3 keeps, the fastest of at least 64 bits first, then MD5, the SHA family, the 32-bit CRCs; unknown ones are skipped', async () => {
      const kept = [
        { algorithm: 'CRC32', value: 'a' },
        { algorithm: 'SHA1', value: 'c' },
        { algorithm: 'FUTUREHASH', value: 'd' },
        { algorithm: 'CRC64NVME', value: 'e' },
        { algorithm: 'XXHASH3', value: 'b' },
      ];
      const without = (...algorithms: string[]) => kept.filter((c) => !algorithms.includes(c.algorithm));
      expect(await chooseExpected(multipart, lookups(kept))).toEqual({ algorithm: 'XXHASH3', value: 'b' });
      expect(await chooseExpected(multipart, lookups(without('XXHASH3')))).toEqual({ algorithm: 'CRC64NVME', value: 'e' });
      expect(await chooseExpected(multipart, lookups(without('XXHASH3', 'CRC64NVME')))).toEqual({ algorithm: 'SHA1', value: 'c' });
      expect(await chooseExpected(multipart, lookups(without('XXHASH3', 'CRC64NVME', 'SHA1')))).toEqual({ algorithm: 'CRC32', value: 'a' });
    });

    test('no full-object checksum: the multipart ETag, with part 1\'s size, when the object fits equal parts', async () => {
      const etagOnly = { hex: '0123456789abcdef0123456789abcdef', algorithm: 'MD5' };
      expect(await chooseExpected(multipart, lookups([{ algorithm: 'FUTUREHASH', value: 'd' }]))).toEqual({ ...etagOnly, parts: { count: 4, size: 1000 } });
      expect(await chooseExpected({ ...multipart, checksumAlgorithms: [] }, { headChecksums: noRequest, headFirstPart: async () => ({ size: 1000, partsCount: 4 }) })).toEqual({
        ...etagOnly,
        parts: { count: 4, size: 1000 },
      });
      // Neither kind of ETag (another store's), and no checksum listed: size only, no request.
      expect(await chooseExpected({ etag: '"abc"', size: 3, checksumAlgorithms: [] }, { headChecksums: noRequest, headFirstPart: noRequest })).toBeNull();
      // Part 1 too small or too large for 4 parts of 3500 bytes, or another part count: size only.
      for (const firstPart of [{ size: 800, partsCount: 4 }, { size: 1200, partsCount: 4 }, { size: 1000, partsCount: 3 }, { size: 1000, partsCount: null }]) {
        expect(await chooseExpected(multipart, lookups([], firstPart)), JSON.stringify(firstPart)).toBeNull();
      }
    });

    test("a GET's answer: its checksums need no HEAD; an encrypted object's ETag is neither MD5 nor multipart ETag", async () => {
      const single = { etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', size: 11, checksumAlgorithms: ['CRC64NVME'] };
      const none = { headChecksums: noRequest, headFirstPart: noRequest };
      const stated = [
        { algorithm: 'CRC64NVME', value: 'a' },
        { algorithm: 'SHA256', value: 'b' },
      ];
      // Plain: the stated CRC64NVME is preferred to the ETag's MD5; a SHA or a 32-bit CRC is not.
      expect(await chooseExpected(single, none, { etagIsNotMd5: false, checksums: stated })).toEqual({ algorithm: 'CRC64NVME', value: 'a' });
      const md5 = { algorithm: 'MD5', hex: '5eb63bbbe01eeed093cb22bb8f5acdc3' };
      expect(await chooseExpected(single, none, { etagIsNotMd5: false, checksums: [stated[1]!, { algorithm: 'CRC32', value: 'c' }] })).toEqual(md5);
      // Stated nothing (a store that ignores the checksum mode): the ETag's MD5, with no HEAD for the listed CRC64NVME.
      expect(await chooseExpected(single, none, { etagIsNotMd5: false, checksums: [] })).toEqual(md5);
      // Encrypted (SSE-KMS, SSE-C), or a multipart ETag: the stated checksum, in the same order.
      expect(await chooseExpected(single, none, { etagIsNotMd5: true, checksums: stated })).toEqual({ algorithm: 'CRC64NVME', value: 'a' });
      expect(await chooseExpected(single, none, { etagIsNotMd5: true, checksums: [stated[1]!] })).toEqual({ algorithm: 'SHA256', value: 'b' });
      expect(await chooseExpected(multipart, none, { etagIsNotMd5: false, checksums: stated })).toEqual({ algorithm: 'CRC64NVME', value: 'a' });
      // None stated, one listed: the HEAD is asked.
      expect(await chooseExpected(single, lookups([{ algorithm: 'CRC32', value: 'c' }]), { etagIsNotMd5: true, checksums: [] })).toEqual({ algorithm: 'CRC32', value: 'c' });
      // Encrypted, none stated or kept: size only, and no part HEAD for an encrypted multipart ETag.
      expect(await chooseExpected({ ...single, checksumAlgorithms: [] }, none, { etagIsNotMd5: true, checksums: [] })).toBeNull();
      expect(await chooseExpected(multipart, { headChecksums: async () => [], headFirstPart: noRequest }, { etagIsNotMd5: true, checksums: [] })).toBeNull();
    });
  });

  test.each([
    ['"0123456789ABCDEF0123456789abcdef-4"', { hex: '0123456789abcdef0123456789abcdef', parts: 4 }],
    ['W/"0123456789abcdef0123456789abcdef-10000"', { hex: '0123456789abcdef0123456789abcdef', parts: 10000 }],
    ['"0123456789abcdef0123456789abcdef-0"', null],
    ['"0123456789abcdef0123456789abcdef-10001"', null],
    ['"0123456789abcdef0123456789abcdef"', null],
    ['"0123456789abcdef-4"', null],
  ])('multipartEtag(%s) → %j', (etag, expected) => {
    expect(multipartEtag(etag)).toEqual(expected);
  });

  test('a multipart ETag is the MD5 of the parts\' MD5s, whatever pieces the bytes arrive in', async () => {
    const data = Buffer.from(Array.from({ length: 3500 }, (_, i) => (i * 7 + 3) & 255));
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    const partMd5s = [0, 1000, 2000, 3000].map((at) => md5(data.subarray(at, at + 1000)));
    const etag = createHash('md5').update(Buffer.concat(partMd5s)).digest('hex');
    const expected = { algorithm: 'MD5' as const, hex: etag, parts: { count: 4, size: 1000 } };
    await expectMatchInAnyPieces(expected, data);
    const whole = (await createDigester(expected))!;
    whole.update(withByteFlipped(data, 1234));
    expect(await whole.mismatch()).toMatch(new RegExp(`^MD5 mismatch: expected ${etag}-4, got [0-9a-f]{32}-4$`));
  });

  test.each(['CRC32', 'CRC32C', 'SHA256', 'CRC64NVME'])(
    "a COMPOSITE %s is the checksum of the parts' checksums, whatever pieces the bytes arrive in",
    async (algorithm) => {
      const data = Buffer.from(Array.from({ length: 3500 }, (_, i) => (i * 13 + 5) & 255));
      const of = async (bytes: Buffer) => {
        const checksum = (await createRunningChecksum(algorithm))!;
        checksum.update(bytes);
        return Buffer.from(checksum.digest());
      };
      const partChecksums = await Promise.all([0, 1000, 2000, 3000].map((at) => of(data.subarray(at, at + 1000))));
      const value = (await of(Buffer.concat(partChecksums))).toString('base64');
      const expected = { algorithm, value, parts: { count: 4, size: 1000 } };
      await expectMatchInAnyPieces(expected, data);
      const flipped = (await createDigester(expected))!;
      flipped.update(withByteFlipped(data, 2500));
      expect(await flipped.mismatch()).toMatch(new RegExp(`^${algorithm} mismatch: expected ${value.replace(/[+/]/g, '\\$&')}-4, got \\S+-4$`));
    },
  );

  test('a COMPOSITE checksum is checked where no multipart ETag is (encrypted, or a store whose multipart ETags are otherwise)', async () => {
    const remote = { etag: '"0123456789abcdef0123456789abcdef-4"', size: 3500, checksumAlgorithms: [] };
    const composite = { algorithm: 'CRC32', value: 'AAAAAA==', partCount: 4 };
    const lookups = { headChecksums: async () => [], headFirstPart: async () => ({ size: 1000, partsCount: 4 }) };
    const parts = { count: 4, size: 1000 };
    const plain = { etagIsNotMd5: false, checksums: [composite] };
    // The multipart ETag is S3's own and MD5 is preferred to a 32-bit CRC.
    expect(await chooseExpected(remote, lookups, plain)).toEqual({ algorithm: 'MD5', hex: '0123456789abcdef0123456789abcdef', parts });
    expect(await chooseExpected(remote, lookups, { ...plain, etagIsNotMd5: true })).toEqual({ algorithm: 'CRC32', value: 'AAAAAA==', parts });
    expect(await chooseExpected(remote, { ...lookups, multipartEtagsAreMd5: false }, plain)).toEqual({ algorithm: 'CRC32', value: 'AAAAAA==', parts });
    // Another part count than the checksum's, or parts that cannot be equal: the size decides.
    expect(await chooseExpected(remote, { ...lookups, headFirstPart: async () => ({ size: 1000, partsCount: 3 }) }, { ...plain, etagIsNotMd5: true })).toBeNull();
    expect(await chooseExpected(remote, { ...lookups, headFirstPart: async () => ({ size: 800, partsCount: 4 }) }, { ...plain, etagIsNotMd5: true })).toBeNull();
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
      // A full-object MD5 checksum is of the plaintext, whatever the encryption.
      expect(await verificationFailure({ expected: { algorithm: 'MD5', value: 'x' }, compare: mismatch, etagIsNotMd5: true })).toBe('checksum mismatch');
    });

    test('a multipart ETag that does not match fails only once every part is known to have the size assumed', async () => {
      const parts = { ...md5, parts: { count: 3, size: 100 } };
      expect(await verificationFailure({ expected: parts, compare: mismatch, etagIsNotMd5: false, partsAreUniform: async () => true })).toBe('checksum mismatch');
      expect(await verificationFailure({ expected: parts, compare: mismatch, etagIsNotMd5: false, partsAreUniform: async () => false })).toBeNull();
      expect(await verificationFailure({ expected: parts, compare: mismatch, etagIsNotMd5: false })).toBeNull();
      // A match needs no HEAD of the other parts.
      const unasked = async (): Promise<boolean> => {
        throw new Error('not asked when the ETag matches');
      };
      expect(await verificationFailure({ expected: parts, compare: async () => null, etagIsNotMd5: false, partsAreUniform: unasked })).toBeNull();
    });

    test('nothing to check against: the size decides', async () => {
      expect(await verificationFailure({ size: { expected: 3, actual: 3 }, expected: null, compare: mismatch, etagIsNotMd5: false })).toBeNull();
    });
  });
});
