import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerModule } from '../../config/worker-threads.js';
import { CHECKSUM_ALGORITHMS, encodeDigest, expectedValue, mismatchReason, partsOf, type Expected } from './checksum.js';
import type { HashWorkerReply, HashWorkerRequest } from './hash-worker-thread.js';

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
  const pending = new Map<number, { resolve: (digest: Uint8Array) => void; reject: (error: Error) => void }>();

  const start = () => {
    const slot = { thread: startWorkerModule('hash-worker-thread', import.meta.url), ids: new Set<number>() };
    slot.thread.unref();
    slot.thread.on('message', (message: HashWorkerReply) => {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      slot.ids.delete(message.id);
      if ('digest' in message) waiter?.resolve(message.digest);
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
      if (!CHECKSUM_ALGORITHMS.has(expected.algorithm)) return null;
      const want = expectedValue(expected);
      const id = nextId++;
      const slot = leastBusy();
      const { thread } = slot;
      slot.ids.add(id);
      const post = (message: HashWorkerRequest) => thread.postMessage(message);
      post({ id, open: { path, algorithm: expected.algorithm, partSize: partsOf(expected)?.size } });
      const result = new Promise<Uint8Array>((resolve, reject) => pending.set(id, { resolve, reject }));
      result.catch(() => {});
      return {
        advance(end: number) {
          post({ id, upTo: end });
        },
        async finish(size: number): Promise<string | null> {
          post({ id, finish: size });
          return mismatchReason(expected.algorithm, want, encodeDigest(expected, await result));
        },
        close() {
          pending.delete(id);
          slot.ids.delete(id);
          post({ id, close: true });
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
