import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { niceThisThread } from '../../config/worker-threads.js';
import { createRunningChecksum, type RunningChecksum } from './hashers.js';

/**
 * The hash worker's thread (started by hash-worker.ts): reads each followed `.partial` file back
 * (from the page cache) as its written prefix grows and replies with the digest once `finish` is
 * reached.
 */

/** From the pool: open a file to follow, hash up to `upTo`, the final size (`finish`), or stop following. */
export interface HashWorkerRequest {
  id: number;
  /** `partSize`: a check over parts, a multipart ETag or a COMPOSITE checksum (hashers.ts createRunningChecksum). */
  open?: { path: string; algorithm: string; partSize?: number };
  upTo?: number;
  finish?: number;
  close?: true;
}

export type HashWorkerReply = { id: number; digest: Uint8Array } | { id: number; error: string };

interface FollowedFile {
  fd: number;
  checksum: RunningChecksum;
  hashed: number;
  target: number;
  /** The final size once known, else -1. */
  finish: number;
}

const READ_BLOCK = 1 << 20;
const buffer = Buffer.allocUnsafe(READ_BLOCK);
const files = new Map<number, FollowedFile>();
const port = parentPort;
if (!port) throw new Error('hash-worker-thread.ts runs as a worker thread only');

// Below the threads serving the API and driving the downloads; hashing catches up when the CPU is free.
niceThisThread(10);

async function open(id: number, path: string, algorithm: string, partSize?: number): Promise<void> {
  const checksum = await createRunningChecksum(algorithm, partSize);
  if (!checksum) throw new Error(`no checksum for ${algorithm}`);
  files.set(id, { fd: openSync(path, 'r'), checksum, hashed: 0, target: 0, finish: -1 });
}

function close(id: number): void {
  const file = files.get(id);
  if (!file) return;
  files.delete(id);
  closeSync(file.fd);
}

function reply(message: HashWorkerReply): void {
  port!.postMessage(message);
}

async function handle(message: HashWorkerRequest): Promise<void> {
  if (message.open) await open(message.id, message.open.path, message.open.algorithm, message.open.partSize);
  if (message.close) return close(message.id);
  const file = files.get(message.id);
  if (!file) return;
  if (message.finish !== undefined) file.finish = message.finish;
  file.target = Math.max(file.target, message.upTo ?? 0, file.finish);
  while (file.hashed < file.target) {
    const n = readSync(file.fd, buffer, 0, Math.min(READ_BLOCK, file.target - file.hashed), file.hashed);
    if (n === 0) throw new Error(`file ended at ${file.hashed} while verifying`);
    file.checksum.update(buffer.subarray(0, n));
    file.hashed += n;
  }
  if (file.finish >= 0 && file.hashed >= file.finish) {
    close(message.id);
    reply({ id: message.id, digest: file.checksum.digest() });
  }
}

/** Messages are handled one after another: a file's `open` (async: a checksum may instantiate WebAssembly) before its reads. */
let handled = Promise.resolve();
port.on('message', (message: HashWorkerRequest) => {
  handled = handled.then(() =>
    handle(message).catch((error: unknown) => {
      close(message.id);
      reply({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }),
  );
});
