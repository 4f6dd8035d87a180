import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { createCRC32, createCRC64, createXXHash128, createXXHash3, createXXHash64, type IHasher } from 'hash-wasm';

/** A checksum of the bytes fed so far. */
export interface RunningChecksum {
  update(data: Uint8Array): void;
  /** The digest's bytes, big-endian as S3 states them; once. */
  digest(): Uint8Array;
}

/** One algorithm's hasher, reused: `take` returns the digest of the bytes fed since the last one. */
interface Hasher {
  update(data: Uint8Array): void;
  take(): Uint8Array;
  /** Done with it (a WebAssembly hasher goes back to its pool). */
  release(): void;
}

function nodeHasher(algorithm: string): Hasher {
  let hash: ReturnType<typeof createHash> | undefined;
  return {
    update: (data) => void (hash ??= createHash(algorithm)).update(data),
    take: () => {
      const digest = (hash ?? createHash(algorithm)).digest();
      hash = undefined;
      return digest;
    },
    release: () => {},
  };
}

function crc32Hasher(): Hasher {
  let value = 0;
  return {
    update: (data) => {
      value = crc32(data, value);
    },
    take: () => {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      value = 0;
      return bytes;
    },
    release: () => {},
  };
}

/**
 * hash-wasm's hashers (WebAssembly: CRC-64/NVME ~3.5× and CRC-32C ~4× the SDK's JavaScript, the
 * XXHASH family ~40× theirs). Creating one instantiates a module, asynchronously, so a released
 * hasher is kept for the next file.
 */
function wasmHasher(create: () => Promise<IHasher>): () => Promise<Hasher> {
  const idle: IHasher[] = [];
  return async () => {
    const hasher = idle.pop() ?? (await create());
    hasher.init();
    return {
      update: (data) => void hasher.update(data),
      take: () => {
        const digest = hasher.digest('binary');
        hasher.init();
        return digest;
      },
      release: () => void idle.push(hasher),
    };
  };
}

/** CRC-32C (Castagnoli) and CRC-64/NVME, as reflected polynomials. */
const CRC32C_POLYNOMIAL = 0x82f63b78;
const CRC64NVME_POLYNOMIAL = '9a6c9329ac4bc9b5';

/** How each algorithm verified here is computed: Node's crypto, `node:zlib`'s CRC-32, hash-wasm for the rest. */
const HASHERS: Readonly<Record<string, () => Hasher | Promise<Hasher>>> = {
  XXHASH128: wasmHasher(createXXHash128),
  XXHASH64: wasmHasher(createXXHash64),
  XXHASH3: wasmHasher(createXXHash3),
  CRC64NVME: wasmHasher(() => createCRC64(CRC64NVME_POLYNOMIAL)),
  MD5: () => nodeHasher('md5'),
  SHA256: () => nodeHasher('sha256'),
  SHA512: () => nodeHasher('sha512'),
  SHA1: () => nodeHasher('sha1'),
  CRC32C: wasmHasher(() => createCRC32(CRC32C_POLYNOMIAL)),
  CRC32: crc32Hasher,
};

export function isHashedHere(algorithm: string): boolean {
  return Object.hasOwn(HASHERS, algorithm);
}

/**
 * A checksum of `algorithm` (null for one not computed here). With `partSize`, S3's checksum of a
 * multipart upload's parts: the algorithm over each `partSize` bytes (the last part may be
 * shorter), then over those digests one after another; a multipart ETag is this for MD5, and a
 * COMPOSITE checksum for its algorithm.
 */
export async function createRunningChecksum(algorithm: string, partSize?: number): Promise<RunningChecksum | null> {
  if (!isHashedHere(algorithm)) return null;
  const hasher = await HASHERS[algorithm]!();
  return partSize ? perPart(hasher, partSize) : whole(hasher);
}

function whole(hasher: Hasher): RunningChecksum {
  let finished = false;
  return {
    update: (data) => {
      if (finished) throw new Error('checksum already digested');
      hasher.update(data);
    },
    digest: () => {
      if (finished) throw new Error('checksum already digested');
      finished = true;
      const digest = hasher.take();
      hasher.release();
      return digest;
    },
  };
}

function perPart(hasher: Hasher, partSize: number): RunningChecksum {
  const partDigests: Uint8Array[] = [];
  let inPart = 0;
  const outer = whole(hasher);
  return {
    update(data) {
      let offset = 0;
      while (offset < data.length) {
        const take = Math.min(partSize - inPart, data.length - offset);
        outer.update(data.subarray(offset, offset + take));
        inPart += take;
        offset += take;
        if (inPart === partSize) {
          partDigests.push(hasher.take());
          inPart = 0;
        }
      }
    },
    digest() {
      if (inPart > 0) partDigests.push(hasher.take());
      inPart = 0;
      outer.update(Buffer.concat(partDigests));
      return outer.digest();
    },
  };
}
