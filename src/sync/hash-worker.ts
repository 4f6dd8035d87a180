import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Expected } from './checksum.js';

/**
 * The worker's code, plain CommonJS run with `eval`, so it loads the same way from src (tsx, vitest)
 * and from the compiled dist. It reads the file back (page cache) as its written prefix grows.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const zlib = require('node:zlib');
// Linux: this thread (not the process) at a lower priority, so the thread serving the API and
// driving the downloads wins the CPU when both want it; hashing catches up when it is free.
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, 10);
} catch {}
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
const buffer = Buffer.allocUnsafe(1 << 20);
const files = new Map();
function open(id, path, algorithm) {
  const hash = algorithm === 'CRC32' || algorithm === 'CRC32C' ? null : createHash(algorithm === 'MD5' ? 'md5' : algorithm.toLowerCase());
  files.set(id, { fd: openSync(path, 'r'), algorithm, hash, crc: 0, hashed: 0, target: 0, finish: -1 });
}
function close(id) {
  const file = files.get(id);
  if (file) { files.delete(id); closeSync(file.fd); }
}
function digest(file) {
  if (file.hash) return file.hash.digest(file.algorithm === 'MD5' ? 'hex' : 'base64');
  const out = Buffer.alloc(4); out.writeUInt32BE(file.crc >>> 0); return out.toString('base64');
}
parentPort.on('message', (m) => {
  try {
    if (m.open) open(m.id, m.open.path, m.open.algorithm);
    if (m.close) return close(m.id);
    const file = files.get(m.id);
    if (!file) return;
    if (m.finish !== undefined) file.finish = m.finish;
    file.target = Math.max(file.target, m.upTo ?? 0, file.finish);
    while (file.hashed < file.target) {
      const n = readSync(file.fd, buffer, 0, Math.min(buffer.length, file.target - file.hashed), file.hashed);
      if (n === 0) throw new Error('file ended at ' + file.hashed + ' while verifying');
      const data = buffer.subarray(0, n);
      if (file.hash) file.hash.update(data);
      else file.crc = file.algorithm === 'CRC32' ? zlib.crc32(data, file.crc) : crc32c(data, file.crc);
      file.hashed += n;
    }
    if (file.finish >= 0 && file.hashed >= file.finish) { close(m.id); parentPort.postMessage({ id: m.id, digest: digest(file) }); }
  } catch (error) {
    close(m.id);
    parentPort.postMessage({ id: m.id, error: String((error && error.message) || error) });
  }
});
`;

/** Algorithms the worker knows; anything else is verified by size only. */
const WORKER_ALGORITHMS = new Set(['MD5', 'SHA256', 'SHA1', 'CRC32', 'CRC32C']);

/**
 * Worker threads (up to `maxWorkers`, one per core by default) that hash large `.partial` files as
 * their contiguous prefixes grow, keeping the hashes' CPU time off the thread that drives the
 * downloads. MD5 runs at one core's speed per object, so several large objects in flight need more
 * than one worker; each object goes to the worker following the fewest files. Workers are created on
 * first use; `close()` ends them.
 */
export function createHashPool(maxWorkers = Math.min(2, availableParallelism())) {
  /** `ids`: the files a worker is following (its load). */
  const workers: Array<{ thread: Worker; ids: Set<number> }> = [];
  let nextId = 0;
  const pending = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>();

  const start = () => {
    const slot = { thread: new Worker(WORKER_SOURCE, { eval: true }), ids: new Set<number>() };
    slot.thread.unref();
    slot.thread.on('message', (message: { id: number; digest?: string; error?: string }) => {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      slot.ids.delete(message.id);
      if (message.digest !== undefined) waiter?.resolve(message.digest);
      else waiter?.reject(new Error(message.error));
    });
    slot.thread.on('error', (error) => {
      // Only this worker's files fail; the others' keep hashing.
      for (const id of slot.ids) pending.get(id)?.reject(error);
      for (const id of slot.ids) pending.delete(id);
      slot.ids.clear();
      const at = workers.indexOf(slot);
      if (at >= 0) workers.splice(at, 1);
    });
    workers.push(slot);
    return slot;
  };
  const leastBusy = () => {
    const idle = workers.reduce<(typeof workers)[number] | undefined>((best, w) => (!best || w.ids.size < best.ids.size ? w : best), undefined);
    return idle && (idle.ids.size === 0 || workers.length >= Math.max(1, maxWorkers)) ? idle : start();
  };

  return {
    /** A follower for one file, or null when the algorithm is not one the worker knows. */
    follow(path: string, expected: Expected) {
      if (!WORKER_ALGORITHMS.has(expected.algorithm)) return null;
      const want = 'hex' in expected ? expected.hex : expected.value;
      const id = nextId++;
      const slot = leastBusy();
      const { thread } = slot;
      slot.ids.add(id);
      thread.postMessage({ id, open: { path, algorithm: expected.algorithm } });
      const result = new Promise<string>((resolve, reject) => pending.set(id, { resolve, reject }));
      result.catch(() => {});
      return {
        advance(end: number) {
          thread.postMessage({ id, upTo: end });
        },
        async finish(size: number): Promise<string | null> {
          thread.postMessage({ id, finish: size });
          const actual = await result;
          return actual === want ? null : `${expected.algorithm} mismatch: expected ${want}, got ${actual}`;
        },
        close() {
          pending.delete(id);
          slot.ids.delete(id);
          thread.postMessage({ id, close: true });
        },
      };
    },
    async close() {
      const current = workers.splice(0);
      await Promise.all(current.map((w) => w.thread.terminate()));
    },
  };
}

export type HashPool = ReturnType<typeof createHashPool>;
