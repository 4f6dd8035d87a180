import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { createCRC32, createCRC64, createXXHash128, createXXHash3, createXXHash64, type IHasher } from 'hash-wasm';
import type { ObjectChecksum } from '../transport/s3-connector.js';
import { bareEtag, fitsUniformParts, multipartEtag, multipartMd5 } from './multipart-etag.js';

/** What a finished file is checked against, besides its size: an ETag's MD5, or a checksum S3 keeps. */
export type Expected = EtagMd5 | ObjectChecksum;
export interface EtagMd5 {
  algorithm: 'MD5';
  hex: string;
  /** A multipart upload's ETag: `hex` is the MD5 of its parts' MD5s (multipart-etag.ts). */
  parts?: { count: number; size: number };
}

/** An ETag is stated in hex, S3's checksums in base64. */
export function isEtagMd5(expected: Expected): expected is EtagMd5 {
  return 'hex' in expected;
}

/** A checksum of the bytes fed so far. */
export interface RunningChecksum {
  update(data: Uint8Array): void;
  /** The digest's bytes, big-endian as S3 states them; once. */
  digest(): Uint8Array;
}

function nodeHash(algorithm: string): RunningChecksum {
  const hash = createHash(algorithm);
  return { update: (data) => hash.update(data), digest: () => hash.digest() };
}

function crc32Checksum(): RunningChecksum {
  let value = 0;
  return {
    update: (data) => {
      value = crc32(data, value);
    },
    digest: () => {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      return bytes;
    },
  };
}

/**
 * hash-wasm's hashers (WebAssembly: CRC-64/NVME ~3.5× and CRC-32C ~4× the SDK's JavaScript, the
 * XXHASH family ~40× theirs). Creating one instantiates a module, asynchronously, so a finished
 * hasher is kept for the next file.
 */
function wasmChecksum(create: () => Promise<IHasher>): () => Promise<RunningChecksum> {
  const idle: IHasher[] = [];
  return async () => {
    const hasher = idle.pop() ?? (await create());
    hasher.init();
    let finished = false;
    return {
      update: (data) => {
        if (finished) throw new Error('checksum already digested');
        hasher.update(data);
      },
      digest: () => {
        if (finished) throw new Error('checksum already digested');
        finished = true;
        const bytes = hasher.digest('binary');
        idle.push(hasher);
        return bytes;
      },
    };
  };
}

/** CRC-32C (Castagnoli) and CRC-64/NVME, as reflected polynomials. */
const CRC32C_POLYNOMIAL = 0x82f63b78;
const CRC64NVME_POLYNOMIAL = '9a6c9329ac4bc9b5';

/**
 * Each algorithm verified here, with how to start its checksum, in the order one is preferred when
 * several are known for an object: the fastest of at least 64 bits first (a download is checked
 * against accidental damage, which a 64-bit check misses once in 2^64), then MD5, which a single-part
 * ETag gives with no request; after it the SHA family (stronger, but slower than MD5 on a CPU
 * without SHA instructions), then the 32-bit CRCs. Their speeds: `npm run bench -- --only=checksums`.
 */
const RUNNING_CHECKSUMS: Readonly<Record<string, () => RunningChecksum | Promise<RunningChecksum>>> = {
  XXHASH128: wasmChecksum(createXXHash128),
  XXHASH64: wasmChecksum(createXXHash64),
  XXHASH3: wasmChecksum(createXXHash3),
  CRC64NVME: wasmChecksum(() => createCRC64(CRC64NVME_POLYNOMIAL)),
  MD5: () => nodeHash('md5'),
  SHA256: () => nodeHash('sha256'),
  SHA512: () => nodeHash('sha512'),
  SHA1: () => nodeHash('sha1'),
  CRC32C: wasmChecksum(() => createCRC32(CRC32C_POLYNOMIAL)),
  CRC32: crc32Checksum,
};

/** The algorithms verified here (the main thread's digesters and the hash workers alike), in order of preference. */
export const CHECKSUM_ALGORITHMS: ReadonlySet<string> = new Set(Object.keys(RUNNING_CHECKSUMS));
const PREFERENCE = [...CHECKSUM_ALGORITHMS];

/**
 * Null for an algorithm not verified here (one S3 adds later): the object is then checked by size
 * only. `partSize`: the MD5 of a multipart ETag, whose parts are that long.
 */
export async function createRunningChecksum(algorithm: string, partSize?: number): Promise<RunningChecksum | null> {
  if (algorithm === 'MD5' && partSize) return multipartMd5(partSize);
  return Object.hasOwn(RUNNING_CHECKSUMS, algorithm) ? await RUNNING_CHECKSUMS[algorithm]!() : null;
}

/** The part size a multipart ETag's MD5 is computed with (createRunningChecksum); undefined otherwise. */
export function multipartPartSize(expected: Expected): number | undefined {
  return isEtagMd5(expected) ? expected.parts?.size : undefined;
}

/** An MD5 in hex written as the ETag it is checked against: with `-<parts>` for a multipart one. */
function asEtag(expected: EtagMd5, hex: string): string {
  return expected.parts ? `${hex}-${expected.parts.count}` : hex;
}

/** A digest as the expected value is written: as an ETag (hex) for an ETag, base64 for a checksum. */
export function encodeDigest(expected: Expected, digest: Uint8Array): string {
  const bytes = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  return isEtagMd5(expected) ? asEtag(expected, bytes.toString('hex')) : bytes.toString('base64');
}

export interface Digester {
  readonly label: string;
  update(data: Uint8Array): void;
  /** Null when the bytes match, else the reason. */
  mismatch(): Promise<string | null>;
}

/** The MD5 in a single-part ETag (`"<32 hex>"`); multipart ETags (`…-N`) are not a hash of the bytes. */
export function md5FromEtag(etag: string): string | null {
  const bare = bareEtag(etag);
  return /^[0-9a-f]{32}$/i.test(bare) ? bare.toLowerCase() : null;
}

/** The requests `chooseExpected` may make (HEADs pinned to the listed ETag). */
export interface ChecksumLookups {
  /** Every full-object checksum S3 keeps for the object. */
  headChecksums(): Promise<readonly ObjectChecksum[]>;
  /** The size of part 1 and the part count S3 states; absent: multipart ETags are not checked. */
  headFirstPart?: () => Promise<{ size: number; partsCount: number | null }>;
}

/** What a GET's answer said about the object, before its body. */
export interface AnswerFacts {
  /** The object is SSE-KMS or SSE-C encrypted: its ETag is not the MD5 of its bytes. */
  etagIsNotMd5: boolean;
  /** Its full-object checksums, as a whole GET with x-amz-checksum-mode states them (a ranged GET: none). */
  checksums: readonly ObjectChecksum[];
}

/**
 * What an object's bytes are checked against: the first, in RUNNING_CHECKSUMS's order, of the
 * single-part ETag's MD5 (unless the GET's answer says the object is encrypted so that it is not)
 * and the full-object checksums the answer stated. A HEAD asks for the checksums S3 keeps when the
 * listing names one and nothing is known yet, or, before any answer (a chunked object: its HEAD
 * runs beside its first GETs), when the one it names is preferred to the ETag's MD5, as AWS's
 * default CRC-64/NVME is: hashing a large object is most of its CPU. A small object's answer
 * states its checksums, so it never waits on a HEAD for a faster one. Last, a multipart ETag, when
 * part 1's size fits the object cut in equal parts.
 */
export async function chooseExpected(
  remote: { etag: string; size: number; checksumAlgorithms: readonly string[] },
  lookups: ChecksumLookups,
  answer?: AnswerFacts,
): Promise<Expected | null> {
  const md5 = answer?.etagIsNotMd5 ? null : md5FromEtag(remote.etag);
  const etagCheck: Expected[] = md5 ? [{ algorithm: 'MD5', hex: md5 }] : [];
  const known = preferred([...etagCheck, ...(answer?.checksums ?? [])]);
  const asksHead = known
    ? !answer && remote.checksumAlgorithms.some((algorithm) => ranksBefore(algorithm, known.algorithm))
    : remote.checksumAlgorithms.length > 0;
  const chosen = asksHead ? preferred([...(known ? [known] : []), ...(await lookups.headChecksums())]) : known;
  if (chosen) return chosen;
  const multipart = answer?.etagIsNotMd5 ? null : multipartEtag(remote.etag);
  if (!multipart || !lookups.headFirstPart) return null;
  const first = await lookups.headFirstPart();
  if (first.partsCount !== multipart.parts || !fitsUniformParts(remote.size, multipart.parts, first.size)) return null;
  return { algorithm: 'MD5', hex: multipart.hex, parts: { count: multipart.parts, size: first.size } };
}

/** Whether `algorithm` is verified here and preferred to `than`. */
function ranksBefore(algorithm: string, than: string): boolean {
  const rank = PREFERENCE.indexOf(algorithm);
  return rank >= 0 && rank < PREFERENCE.indexOf(than);
}

/** The check chosen among several: the first verified here, in RUNNING_CHECKSUMS's order (the earlier one on a tie). */
function preferred(candidates: readonly Expected[]): Expected | null {
  let best: Expected | null = null;
  for (const candidate of candidates) {
    if (CHECKSUM_ALGORITHMS.has(candidate.algorithm) && (!best || ranksBefore(candidate.algorithm, best.algorithm))) best = candidate;
  }
  return best;
}

export function expectedValue(expected: Expected): string {
  return isEtagMd5(expected) ? asEtag(expected, expected.hex) : expected.value;
}

export function mismatchReason(label: string, expected: string, actual: string): string | null {
  return actual === expected ? null : `${label} mismatch: expected ${expected}, got ${actual}`;
}

export async function createDigester(expected: Expected): Promise<Digester | null> {
  const checksum = await createRunningChecksum(expected.algorithm, multipartPartSize(expected));
  if (!checksum) return null;
  const label = expected.algorithm;
  return {
    label,
    update: (data) => checksum.update(data),
    mismatch: async () => mismatchReason(label, expectedValue(expected), encodeDigest(expected, checksum.digest())),
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
  /**
   * For a multipart ETag that does not match: whether every part has the size assumed (HEADs of
   * the other parts). Absent: not known.
   */
  partsAreUniform?: () => Promise<boolean>;
}

/**
 * The one verification rule for every object, small or chunked: the size must match; then the
 * checksum must, except an ETag's MD5 for an object whose ETag is not an MD5 (then size only), and
 * a multipart ETag, which fails only once every part is known to have the size assumed (an
 * uploader that cut uneven parts leaves it unknown: then size only, as before it was checked).
 * Returns the failure reason, or null when the object is verified.
 */
export async function verificationFailure(input: VerificationInput): Promise<string | null> {
  if (input.size && input.size.actual !== input.size.expected) {
    return `size mismatch: expected ${input.size.expected} bytes, got ${input.size.actual}`;
  }
  if (!input.expected) return null;
  const mismatch = await input.compare();
  if (!isEtagMd5(input.expected)) return mismatch;
  if (input.etagIsNotMd5) return null;
  if (mismatch && input.expected.parts && !(await input.partsAreUniform?.())) return null;
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
