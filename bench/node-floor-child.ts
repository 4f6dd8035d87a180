// The Node floor: the least a Node program does to download a prefix verified and durable, with
// this service's concurrency and none of its engine (no database, no signing, no checkpoints, no
// events). List, then per object one plain GET over keep-alive sockets, MD5 of the body against
// its ETag, a temp file written, fdatasync'ed, renamed into place. What our CPU above this buys is
// the engine; what this costs above rclone is Node's own. With `durable: false` nothing is
// fdatasync'ed, as rclone and aws do: the difference is what durability costs.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { IN_MEMORY_MAX_BYTES, writeSmallFile } from '../src/sync/transfer/small-file.js';
import { drain, plainS3 } from './plain-s3.js';

export interface NodeFloorOptions {
  endpoint: string;
  bucket: string;
  prefix: string;
  dest: string;
  concurrency: number;
  /** fdatasync each file before its rename (the engine's guarantee); false: leave it to the kernel. */
  durable: boolean;
}

export interface NodeFloorStats {
  objects: number;
  bytes: number;
  listMs: number;
  totalMs: number;
}

const WRITE_BATCH_BYTES = 1024 * 1024;

const options = JSON.parse(process.argv[2] ?? '') as NodeFloorOptions;
const s3 = plainS3(options.endpoint, options.concurrency);

function checkEtag(key: string, res: IncomingMessage, md5: string): void {
  const etag = String(res.headers.etag ?? '').replace(/"/g, '');
  if (!etag.includes('-') && etag !== md5) throw new Error(`${key}: MD5 ${md5} is not the ETag ${etag}`);
}

const madeDirs = new Set<string>();
function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

/** Streams the body into `partial` in batches, one write in flight while the next batch fills. */
async function writeStreamed(partial: string, res: IncomingMessage, hash: ReturnType<typeof createHash>, mtime: Date): Promise<number> {
  const file = await openHandle(partial, 'w');
  try {
    let position = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let writing: Promise<unknown> = Promise.resolve();
    for await (const chunk of res) {
      const piece = chunk as Buffer;
      hash.update(piece);
      batch.push(piece);
      batchBytes += piece.length;
      if (batchBytes >= WRITE_BATCH_BYTES) {
        await writing;
        writing = file.writev(batch, position);
        position += batchBytes;
        batch = [];
        batchBytes = 0;
      }
    }
    await writing;
    if (batchBytes > 0) await file.writev(batch, position);
    await file.utimes(mtime, mtime);
    if (options.durable) await file.datasync();
    return position + batchBytes;
  } finally {
    await file.close();
  }
}

// One CommonJS bundle for the benchmark (bench/build-children.ts): no top-level await.
async function main(): Promise<void> {
  const started = performance.now();
  const keys = await s3.list(options.bucket, options.prefix);
  const listMs = performance.now() - started;
  const partials = join(options.dest, '.floor-partial');
  ensureDir(partials);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index]!;
      const final = join(options.dest, key.slice(options.prefix.length));
      const partial = join(partials, `${index}.partial`);
      const res = await s3.get(s3.objectPath(options.bucket, key));
      const size = Number(res.headers['content-length']);
      const mtime = new Date(String(res.headers['last-modified']));
      const hash = createHash('md5');
      ensureDir(dirname(final));
      // Small bodies gathered in memory and written as the engine writes them; larger ones streamed.
      if (size <= IN_MEMORY_MAX_BYTES) {
        const parts: Buffer[] = [];
        await drain(res, (chunk) => parts.push(chunk));
        const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        checkEtag(key, res, hash.update(data).digest('hex'));
        await writeSmallFile(partial, data, mtime, { datasync: options.durable });
        bytes += data.length;
      } else {
        bytes += await writeStreamed(partial, res, hash, mtime);
        checkEtag(key, res, hash.digest('hex'));
      }
      renameSync(partial, final);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, keys.length) }, worker));
  const stats: NodeFloorStats = { objects: keys.length, bytes, listMs, totalMs: performance.now() - started };
  s3.close();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
