import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { ObjectChecksum } from './s3-connector.js';

/** What a finished file is checked against, besides its size. */
export type Expected = { algorithm: 'MD5'; hex: string } | ObjectChecksum;

export interface Digester {
  readonly label: string;
  update(data: Buffer): void;
  /** Null when the bytes match, else the reason. */
  mismatch(): string | null;
}

/** The MD5 in a single-part ETag (`"<32 hex>"`); multipart ETags (`…-N`) are not a hash of the bytes. */
export function md5FromEtag(etag: string): string | null {
  const bare = etag.replace(/^W\//, '').replaceAll('"', '');
  return /^[0-9a-f]{32}$/i.test(bare) ? bare.toLowerCase() : null;
}

export function createDigester(expected: Expected): Digester | null {
  if ('hex' in expected) return hashDigester('MD5', createHash('md5'), expected.hex, 'hex');
  switch (expected.algorithm) {
    case 'SHA256':
      return hashDigester('SHA256', createHash('sha256'), expected.value, 'base64');
    case 'SHA1':
      return hashDigester('SHA1', createHash('sha1'), expected.value, 'base64');
    case 'CRC32':
      return crcDigester('CRC32', (data, value) => crc32(data, value), expected.value);
    case 'CRC32C':
      return crcDigester('CRC32C', crc32c, expected.value);
    default:
      return null;
  }
}

function hashDigester(label: string, hash: Hash, expected: string, encoding: 'hex' | 'base64'): Digester {
  return {
    label,
    update: (data) => hash.update(data),
    mismatch() {
      const actual = hash.digest(encoding);
      return actual === expected ? null : `${label} mismatch: expected ${expected}, got ${actual}`;
    },
  };
}

function crcDigester(label: string, step: (data: Buffer, value: number) => number, expected: string): Digester {
  let value = 0;
  return {
    label,
    update: (data) => {
      value = step(data, value);
    },
    mismatch() {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      const actual = bytes.toString('base64');
      return actual === expected ? null : `${label} mismatch: expected ${expected}, got ${actual}`;
    },
  };
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), continuing from `value` like zlib.crc32. */
export function crc32c(data: Buffer, value = 0): number {
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i += 1) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const READ_BLOCK = 1024 * 1024;

/**
 * Hashes a file as its contiguous prefix grows, reading back what was already written (from the
 * page cache) while later chunks are still arriving, so verification costs little at the end.
 */
export function createFileDigestFollower(file: FileHandle, digester: Digester) {
  let hashed = 0;
  let target = 0;
  let running: Promise<void> | null = null;
  let failure: unknown = null;
  const buffer = Buffer.allocUnsafe(READ_BLOCK);

  const pump = async () => {
    while (hashed < target) {
      const length = Math.min(READ_BLOCK, target - hashed);
      const { bytesRead } = await file.read(buffer, 0, length, hashed);
      if (bytesRead === 0) throw new Error(`file ended at ${hashed} while verifying`);
      digester.update(buffer.subarray(0, bytesRead));
      hashed += bytesRead;
    }
  };
  const kick = () => {
    if (running || failure) return;
    running = pump()
      .catch((error: unknown) => {
        failure = error;
      })
      .finally(() => {
        running = null;
        if (hashed < target) kick();
      });
  };

  return {
    /** The prefix [0, end) is written: hash it in the background. */
    advance(end: number) {
      target = Math.max(target, end);
      kick();
    },
    /** Hashes up to `size` and returns the mismatch reason, or null when the bytes match. */
    async finish(size: number): Promise<string | null> {
      target = Math.max(target, size);
      kick();
      while (running) await running;
      if (failure) throw failure;
      return digester.mismatch();
    },
  };
}
