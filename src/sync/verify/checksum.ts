import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import type { ObjectChecksum } from '../transport/s3-connector.js';

/** What a finished file is checked against, besides its size. */
export type Expected = { algorithm: 'MD5'; hex: string } | ObjectChecksum;

/** A checksum of the bytes fed so far, stated as S3 states it: hex for MD5 (an ETag), base64 otherwise. */
export interface RunningChecksum {
  update(data: Uint8Array): void;
  digest(): Promise<string>;
}

/** The SDK's own checksum classes (those its flexible checksums use): S3 states their digests in base64. */
function sdkChecksum(checksum: { update(data: Uint8Array): void; digest(): Promise<Uint8Array> }): RunningChecksum {
  return { update: (data) => checksum.update(data), digest: async () => Buffer.from(await checksum.digest()).toString('base64') };
}

function nodeHash(algorithm: string, encoding: 'hex' | 'base64'): RunningChecksum {
  const hash = createHash(algorithm);
  return { update: (data) => hash.update(data), digest: async () => hash.digest(encoding) };
}

function crc32Checksum(): RunningChecksum {
  let value = 0;
  return {
    update: (data) => {
      value = crc32(data, value);
    },
    digest: async () => {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      return bytes.toString('base64');
    },
  };
}

/** Each algorithm verified here, with how to start its checksum. */
const RUNNING_CHECKSUMS: Readonly<Record<string, () => RunningChecksum>> = {
  MD5: () => nodeHash('md5', 'hex'),
  SHA256: () => nodeHash('sha256', 'base64'),
  SHA512: () => nodeHash('sha512', 'base64'),
  SHA1: () => nodeHash('sha1', 'base64'),
  CRC32: crc32Checksum,
  CRC32C: () => sdkChecksum(new Crc32c()),
  CRC64NVME: () => sdkChecksum(new Crc64Nvme()),
};

/** The algorithms verified here (the main thread's digesters and the hash workers alike). */
export const CHECKSUM_ALGORITHMS: ReadonlySet<string> = new Set(Object.keys(RUNNING_CHECKSUMS));

/** Null for an algorithm not verified here (the XXHASH family): the object is then checked by size only. */
export function createRunningChecksum(algorithm: string): RunningChecksum | null {
  return Object.hasOwn(RUNNING_CHECKSUMS, algorithm) ? RUNNING_CHECKSUMS[algorithm]!() : null;
}

export interface Digester {
  readonly label: string;
  update(data: Uint8Array): void;
  /** Null when the bytes match, else the reason. */
  mismatch(): Promise<string | null>;
}

/** The MD5 in a single-part ETag (`"<32 hex>"`); multipart ETags (`…-N`) are not a hash of the bytes. */
export function md5FromEtag(etag: string): string | null {
  const bare = etag.replace(/^W\//, '').replaceAll('"', '');
  return /^[0-9a-f]{32}$/i.test(bare) ? bare.toLowerCase() : null;
}

/**
 * What an object's bytes are checked against: the MD5 of a single-part ETag when there is one; else
 * a full-object checksum S3 keeps for it (`headChecksum`, a HEAD), if the listing says it has one.
 */
export async function chooseExpected(
  remote: { etag: string; checksumAlgorithms: readonly string[] },
  headChecksum: () => Promise<ObjectChecksum | null>,
): Promise<Expected | null> {
  const md5 = md5FromEtag(remote.etag);
  if (md5) return { algorithm: 'MD5', hex: md5 };
  if (remote.checksumAlgorithms.length === 0) return null;
  return headChecksum();
}

export function expectedValue(expected: Expected): string {
  return 'hex' in expected ? expected.hex : expected.value;
}

export function mismatchReason(label: string, expected: string, actual: string): string | null {
  return actual === expected ? null : `${label} mismatch: expected ${expected}, got ${actual}`;
}

export function createDigester(expected: Expected): Digester | null {
  const checksum = createRunningChecksum(expected.algorithm);
  if (!checksum) return null;
  const label = expected.algorithm;
  return {
    label,
    update: (data) => checksum.update(data),
    mismatch: async () => mismatchReason(label, expectedValue(expected), await checksum.digest()),
  };
}

export interface VerificationInput {
  /** Bytes the listing announced and bytes on disk; omitted when the transfer already enforced the size. */
  size?: { expected: number; actual: number };
  /** What the bytes were checked against; null: size only. */
  expected: Expected | null;
  /** Finishes the checksum and compares it (null: match, or no checksum kept for this algorithm). */
  compare: () => Promise<string | null>;
  /** S3 said the object is SSE-KMS or SSE-C encrypted: its ETag is then not the MD5 of its bytes. */
  etagIsNotMd5: boolean;
}

/**
 * The one verification rule for every object, small or chunked: the size must match; then the
 * checksum must, except an ETag's MD5 for an object whose ETag is not an MD5 (then size only).
 * Returns the failure reason, or null when the object is verified.
 */
export async function verificationFailure(input: VerificationInput): Promise<string | null> {
  if (input.size && input.size.actual !== input.size.expected) {
    return `size mismatch: expected ${input.size.expected} bytes, got ${input.size.actual}`;
  }
  if (!input.expected) return null;
  const mismatch = await input.compare();
  if (input.expected.algorithm === 'MD5' && input.etagIsNotMd5) return null;
  return mismatch;
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
      return await digester.mismatch();
    },
  };
}
