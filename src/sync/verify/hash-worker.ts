import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerModule } from '../../config/worker-threads.js';
import { CHECKSUM_ALGORITHMS, encodeDigest, expectedValue, isEtagMd5, mismatchReason, partsOf, type Expected } from './checksum.js';
import type { HashWorkerReply, HashWorkerRequest } from './hash-worker-thread.js';
import { createTurns, followWithNativeMd5, type NativeMd5 } from './native-md5.js';

export interface HashPoolOptions {
  /** Threads at most (default: one per core, at most 4: four MD5s outrun a 10 Gbit/s link). */
  maxWorkers?: number;
  /** A worker following no file ends after this long (default 60 s); the next large object starts one again. */
  idleMs?: number;
  /** The native hasher, when built: an ETag's MD5 is then computed by it, on `maxWorkers` threads, instead of a worker. */
  native?: NativeMd5 | null;
}

const DEFAULT_IDLE_MS = 60_000;

/**
 * Worker threads (up to `maxWorkers`) that hash large `.partial` files as their contiguous prefixes
 * grow, keeping the hashes' CPU time off the thread that drives the downloads. An ETag's MD5 goes
 * to the native hasher instead where it is built (native-md5.ts): as many threads at the same
 * priority, without a worker's start (a V8 isolate) or its memory. MD5 runs at one core's speed
 * per object, so several large objects in flight need more than one worker; each object goes to
 * the worker following the fewest files. One pool serves every run of a process (see
 * process-slots.ts): runs together share its threads instead of starting their own, and a run soon
 * after another finds them started instead of paying for new threads. Workers are created on first
 * use and end when idle; `close()` ends them all.
 */
export function createHashPool({ maxWorkers = Math.min(4, availableParallelism()), idleMs = DEFAULT_IDLE_MS, native }: HashPoolOptions = {}) {
  const nativeTurns = createTurns(Math.max(1, maxWorkers));
  interface Slot {
    thread: Worker;
    /** The files the worker is following (its load). */
    ids: Set<number>;
    /** Set while it follows none: ends it when it runs out. */
    idle?: NodeJS.Timeout;
  }
  const workers: Slot[] = [];
  let started = 0;
  let nextId = 0;
  const pending = new Map<number, { resolve: (digest: Uint8Array) => void; reject: (error: Error) => void }>();

  const remove = (slot: Slot) => {
    clearTimeout(slot.idle);
    const at = workers.indexOf(slot);
    if (at >= 0) workers.splice(at, 1);
  };
  const release = (slot: Slot, id: number) => {
    slot.ids.delete(id);
    if (slot.ids.size > 0 || !workers.includes(slot)) return;
    // Idle, it no longer keeps the process alive; following a file, it does (its digest is awaited).
    slot.thread.unref();
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      remove(slot);
      void slot.thread.terminate();
    }, idleMs).unref();
  };
  const start = () => {
    const slot: Slot = { thread: startWorkerModule('hash-worker-thread', import.meta.url), ids: new Set<number>() };
    started += 1;
    slot.thread.on('message', (message: HashWorkerReply) => {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      release(slot, message.id);
      if ('digest' in message) waiter?.resolve(message.digest);
      else waiter?.reject(new Error(message.error));
    });
    slot.thread.on('error', (error) => {
      // Only this worker's files fail; the others' keep hashing.
      for (const id of slot.ids) pending.get(id)?.reject(error);
      for (const id of slot.ids) pending.delete(id);
      slot.ids.clear();
      remove(slot);
    });
    workers.push(slot);
    return slot;
  };
  const leastBusy = () => {
    const idle = workers.reduce<Slot | undefined>((best, w) => (!best || w.ids.size < best.ids.size ? w : best), undefined);
    return idle && (idle.ids.size === 0 || workers.length >= Math.max(1, maxWorkers)) ? idle : start();
  };

  return {
    /** A follower for one file, or null when the algorithm is not one the worker knows. */
    follow(path: string, expected: Expected): HashFollower | null {
      if (!CHECKSUM_ALGORITHMS.has(expected.algorithm)) return null;
      if (native && isEtagMd5(expected)) return followWithNativeMd5(native, nativeTurns, path, expected);
      const want = expectedValue(expected);
      const id = nextId++;
      const slot = leastBusy();
      clearTimeout(slot.idle);
      slot.thread.ref();
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
          release(slot, id);
          post({ id, close: true });
        },
      };
    },
    /** Worker threads alive now, and started since the pool was made (the native hasher's are not counted). */
    threads(): { alive: number; started: number } {
      return { alive: workers.length, started };
    },
    async close() {
      const current = workers.splice(0);
      for (const slot of current) clearTimeout(slot.idle);
      await Promise.all(current.map((w) => w.thread.terminate()));
    },
  };
}

/** One file followed by a worker: its prefix hashed as it grows, its digest compared at `finish`. */
export interface HashFollower {
  advance(end: number): void;
  /** The mismatch's reason, or null when the digest is the expected one. */
  finish(size: number): Promise<string | null>;
  close(): void;
}

export type HashPool = ReturnType<typeof createHashPool>;
