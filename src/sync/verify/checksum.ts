import type { FileHandle } from 'node:fs/promises';
import type { ObjectChecksum } from '../transport/s3-connector.js';
import { createRunningChecksum, isHashedHere } from './hashers.js';
import { bareEtag, fitsUniformParts, multipartEtag } from './multipart-etag.js';
import { createPrefixFollower } from './prefix-follower.js';

/**
 * What a finished file is checked against, besides its size: an ETag's MD5, a full-object checksum
 * S3 keeps, or a COMPOSITE one (of a multipart upload's parts' checksums) with the part layout.
 */
export type Expected = EtagMd5 | ObjectChecksum | CompositeChecksum;
export interface EtagMd5 {
  algorithm: 'MD5';
  hex: string;
  /** A multipart upload's ETag: `hex` is the MD5 of its parts' MD5s (multipart-etag.ts). */
  parts?: { count: number; size: number };
}
export interface CompositeChecksum {
  algorithm: string;
  /** Base64, without the `-<parts>` S3 writes after it. */
  value: string;
  parts: { count: number; size: number };
}

/** An ETag is stated in hex, S3's checksums in base64. */
export function isEtagMd5(expected: Expected): expected is EtagMd5 {
  return 'hex' in expected;
}

/** The parts a multipart ETag or a COMPOSITE checksum is computed over; undefined for a hash of the whole object. */
export function partsOf(expected: Expected): { count: number; size: number } | undefined {
  return 'parts' in expected && typeof expected.parts === 'object' ? expected.parts : undefined;
}

/**
 * Each algorithm verified here (hashers.ts computes them), in the order one is preferred when
 * several are known for an object: the fastest of at least 64 bits first (a download is checked
 * against accidental damage, which a 64-bit check misses once in 2^64), then MD5, which a single-part
 * ETag gives with no request; after it the SHA family (stronger, but slower than MD5 on a CPU
 * without SHA instructions), then the 32-bit CRCs. Their speeds: `npm run bench -- --only=checksums`.
 */
const PREFERENCE = ['XXHASH128', 'XXHASH64', 'XXHASH3', 'CRC64NVME', 'MD5', 'SHA256', 'SHA512', 'SHA1', 'CRC32C', 'CRC32'].filter(isHashedHere);

/** The algorithms verified here (the main thread's digesters and the hash workers alike), in order of preference. */
export const CHECKSUM_ALGORITHMS: ReadonlySet<string> = new Set(PREFERENCE);

/** A hash as S3 writes it: hex for an ETag, base64 for a checksum, with `-<parts>` after a multipart one. */
function written(expected: Expected, hash: string): string {
  const parts = partsOf(expected);
  return parts ? `${hash}-${parts.count}` : hash;
}

/** A digest as the expected value is written. */
export function encodeDigest(expected: Expected, digest: Uint8Array): string {
  const bytes = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  return written(expected, bytes.toString(isEtagMd5(expected) ? 'hex' : 'base64'));
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
  /** Every checksum S3 keeps for the object, full-object or COMPOSITE. */
  headChecksums(): Promise<readonly ObjectChecksum[]>;
  /** The size of part 1 and the part count S3 states. */
  headFirstPart(): Promise<{ size: number; partsCount: number | null }>;
  /** False for a store whose multipart ETags are not S3's MD5 of the parts' MD5s (S3_VERIFY_MULTIPART_ETAG). */
  multipartEtagsAreMd5?: boolean;
}

/** What a GET's answer said about the object, before its body. */
export interface AnswerFacts {
  /** The object is SSE-KMS or SSE-C encrypted: its ETag is not the MD5 of its bytes. */
  etagIsNotMd5: boolean;
  /** Its checksums (full-object or COMPOSITE), as a whole GET with x-amz-checksum-mode states them (a ranged GET: none). */
  checksums: readonly ObjectChecksum[];
}

/**
 * What an object's bytes are checked against: the first, in PREFERENCE's order, of the single-part
 * ETag's MD5 (unless the GET's answer says the object is encrypted so that it is not) and the
 * full-object checksums the answer stated. A HEAD asks for the checksums S3 keeps when the listing
 * names one and nothing is known yet, or, before any answer (a chunked object: its HEAD runs beside
 * its first GETs), when the one it names is preferred to the ETag's MD5, as AWS's default
 * CRC-64/NVME is: hashing a large object is most of its CPU. A small object's answer states its
 * checksums, so it never waits on a HEAD for a faster one. Last, a check computed over the parts
 * of a multipart upload (`partwise`).
 */
export async function chooseExpected(
  remote: { etag: string; size: number; checksumAlgorithms: readonly string[] },
  lookups: ChecksumLookups,
  answer?: AnswerFacts,
): Promise<Expected | null> {
  const md5 = answer?.etagIsNotMd5 ? null : md5FromEtag(remote.etag);
  const etagCheck: Expected[] = md5 ? [{ algorithm: 'MD5', hex: md5 }] : [];
  const stated = answer?.checksums ?? [];
  const known = preferred([...etagCheck, ...ofWholeObject(stated)]);
  const asksHead = known
    ? !answer && remote.checksumAlgorithms.some((algorithm) => ranksBefore(algorithm, known.algorithm))
    : remote.checksumAlgorithms.length > 0;
  const kept = asksHead ? await lookups.headChecksums() : [];
  return preferred([...(known ? [known] : []), ...ofWholeObject(kept)]) ?? (await partwise(remote, lookups, answer, [...stated, ...kept]));
}

const ofWholeObject = (checksums: readonly ObjectChecksum[]) => checksums.filter((checksum) => checksum.partCount === undefined);

/**
 * A check computed over a multipart upload's parts: its ETag, the MD5 of its parts' MD5s, or a
 * COMPOSITE checksum S3 keeps (the algorithm over its parts' checksums), the preferred of the two;
 * usable once part 1's size (a HEAD) fits the object cut in that many equal parts but a shorter last
 * one, as uploaders cut them.
 */
async function partwise(
  remote: { etag: string; size: number },
  lookups: ChecksumLookups,
  answer: AnswerFacts | undefined,
  checksums: readonly ObjectChecksum[],
): Promise<Expected | null> {
  const multipart = answer?.etagIsNotMd5 || lookups.multipartEtagsAreMd5 === false ? null : multipartEtag(remote.etag);
  const candidates: Array<{ algorithm: string; value: string; count: number; etag: boolean }> = [
    ...(multipart ? [{ algorithm: 'MD5', value: multipart.hex, count: multipart.parts, etag: true }] : []),
    ...checksums.flatMap(({ algorithm, value, partCount }) => (partCount === undefined ? [] : [{ algorithm, value, count: partCount, etag: false }])),
  ];
  const chosen = preferred(candidates);
  if (!chosen) return null;
  const first = await lookups.headFirstPart();
  const { count } = chosen;
  if (first.partsCount !== count || !fitsUniformParts(remote.size, count, first.size)) return null;
  const parts = { count, size: first.size };
  return chosen.etag ? { algorithm: 'MD5', hex: chosen.value, parts } : { algorithm: chosen.algorithm, value: chosen.value, parts };
}

/** Whether `algorithm` is verified here and preferred to `than`. */
function ranksBefore(algorithm: string, than: string): boolean {
  const rank = PREFERENCE.indexOf(algorithm);
  return rank >= 0 && rank < PREFERENCE.indexOf(than);
}

/** The check chosen among several: the first verified here, in PREFERENCE's order (the earlier one on a tie). */
function preferred<T extends { algorithm: string }>(candidates: readonly T[]): T | null {
  let best: T | null = null;
  for (const candidate of candidates) {
    if (CHECKSUM_ALGORITHMS.has(candidate.algorithm) && (!best || ranksBefore(candidate.algorithm, best.algorithm))) best = candidate;
  }
  return best;
}

export function expectedValue(expected: Expected): string {
  return written(expected, isEtagMd5(expected) ? expected.hex : expected.value);
}

export function mismatchReason(label: string, expected: string, actual: string): string | null {
  return actual === expected ? null : `${label} mismatch: expected ${expected}, got ${actual}`;
}

export async function createDigester(expected: Expected): Promise<Digester | null> {
  const checksum = await createRunningChecksum(expected.algorithm, partsOf(expected)?.size);
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
   * For a multipart ETag or COMPOSITE checksum that does not match: whether every part has the size
   * assumed (HEADs of the other parts). Absent: not known.
   */
  partsAreUniform?: () => Promise<boolean>;
}

/**
 * The one verification rule for every object, small or chunked: the size must match; then the
 * checksum must, except an ETag's MD5 for an object whose ETag is not an MD5 (then size only), and
 * a check over a multipart upload's parts (its ETag, a COMPOSITE checksum), which fails only once
 * every part is known to have the size assumed (an uploader that cut uneven parts leaves it
 * unknown: then size only).
 * Returns the failure reason, or null when the object is verified.
 */
export async function verificationFailure(input: VerificationInput): Promise<string | null> {
  if (input.size && input.size.actual !== input.size.expected) {
    return `size mismatch: expected ${input.size.expected} bytes, got ${input.size.actual}`;
  }
  if (!input.expected) return null;
  const mismatch = await input.compare();
  if (isEtagMd5(input.expected) && input.etagIsNotMd5) return null;
  if (mismatch && partsOf(input.expected) && !(await input.partsAreUniform?.())) return null;
  return mismatch;
}

const READ_BLOCK = 1024 * 1024;

/**
 * Hashes a file as its contiguous prefix grows, reading back what was already written (from the
 * page cache) while later chunks are still arriving, so verification costs little at the end.
 */
export function createFileDigestFollower(file: FileHandle, digester: Digester) {
  const buffer = Buffer.allocUnsafe(READ_BLOCK);
  const prefix = createPrefixFollower(async (hashed, target) => {
    const { bytesRead } = await file.read(buffer, 0, Math.min(READ_BLOCK, target - hashed), hashed);
    if (bytesRead === 0) throw new Error(`file ended at ${hashed} while verifying`);
    digester.update(buffer.subarray(0, bytesRead));
    return hashed + bytesRead;
  });
  return {
    /** The prefix [0, end) is written: hash it in the background. */
    advance: prefix.advance,
    /** Hashes up to `size` and returns the mismatch reason, or null when the bytes match. */
    async finish(size: number): Promise<string | null> {
      await prefix.reach(size);
      return await digester.mismatch();
    },
  };
}
