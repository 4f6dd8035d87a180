import { Worker } from 'node:worker_threads';
import type { Expected } from './checksum.js';

/**
 * The worker's code, plain CommonJS run with `eval`, so it loads the same way from src (tsx, vitest)
 * and from the compiled dist. It reads the file back (page cache) as its written prefix grows.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const zlib = require('node:zlib');
const { path, algorithm } = workerData;
let crcTable;
function crc32c(data, value) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1; crcTable[n] = c >>> 0; }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
let crc = 0;
const hash = algorithm === 'CRC32' || algorithm === 'CRC32C' ? null : createHash(algorithm === 'MD5' ? 'md5' : algorithm.toLowerCase());
const update = (data) => {
  if (hash) hash.update(data);
  else crc = algorithm === 'CRC32' ? zlib.crc32(data, crc) : crc32c(data, crc);
};
const digest = () => {
  if (hash) return hash.digest(algorithm === 'MD5' ? 'hex' : 'base64');
  const out = Buffer.alloc(4); out.writeUInt32BE(crc >>> 0); return out.toString('base64');
};
const fd = openSync(path, 'r');
const buffer = Buffer.allocUnsafe(1 << 20);
let hashed = 0, target = 0, finish = -1;
parentPort.on('message', (message) => {
  try {
    if (message.finish !== undefined) finish = message.finish;
    target = Math.max(target, message.upTo ?? 0, finish);
    while (hashed < target) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, target - hashed), hashed);
      if (n === 0) throw new Error('file ended at ' + hashed + ' while verifying');
      update(buffer.subarray(0, n));
      hashed += n;
    }
    if (finish >= 0 && hashed >= finish) { closeSync(fd); parentPort.postMessage({ digest: digest() }); }
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

/** Algorithms the worker knows; anything else is verified by size only. */
const WORKER_ALGORITHMS = new Set(['MD5', 'SHA256', 'SHA1', 'CRC32', 'CRC32C']);

/**
 * Hashes a large `.partial` file on a worker thread as its contiguous prefix grows, keeping the
 * hash's CPU time off the thread that drives the downloads. Same interface as the in-thread follower.
 */
export function createWorkerDigestFollower(path: string, expected: Expected) {
  if (!WORKER_ALGORITHMS.has(expected.algorithm)) return null;
  const want = 'hex' in expected ? expected.hex : expected.value;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, algorithm: expected.algorithm } });
  worker.unref();
  const result = new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { digest?: string; error?: string }) =>
      message.digest !== undefined ? resolve(message.digest) : reject(new Error(message.error)),
    );
    worker.once('error', reject);
  });
  result.catch(() => {});

  return {
    advance(end: number) {
      worker.postMessage({ upTo: end });
    },
    async finish(size: number): Promise<string | null> {
      worker.postMessage({ finish: size });
      try {
        const actual = await result;
        return actual === want ? null : `${expected.algorithm} mismatch: expected ${want}, got ${actual}`;
      } finally {
        void worker.terminate();
      }
    },
    close() {
      void worker.terminate();
    },
  };
}
