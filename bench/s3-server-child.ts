// Child process hosting s3rver, so the server's CPU is not shared with the harness or a tool under test.
// It counts requests by kind (object GET, listing, HEAD, other) at the front of the middleware chain;
// the parent reads and resets the counters over IPC around every measured run. On request it states
// each object's CRC-64/NVME as S3 does for every object uploaded since 2025 (seed.ts computes them).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { crc64Path } from './seed.js';

export interface RequestCounts {
  get: number;
  list: number;
  head: number;
  other: number;
  /** CPU time (user + system) the server process used, in ms. */
  cpuMs: number;
}

interface S3rverInstance {
  middleware: unknown[];
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// s3rver ships no types; loaded through require so no ambient module declaration is needed.
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

type ParentMessage = { type: 'counts'; reset: boolean; id: number } | { type: 'checksums'; on: boolean; id: number } | { type: 'stop' };

const directory = process.argv[2];
if (!directory || !process.send) throw new Error('usage: fork s3-server-child.ts <directory> with an IPC channel');

const counts: Omit<RequestCounts, 'cpuMs'> = { get: 0, list: 0, head: 0, other: 0 };
let cpuSince = process.cpuUsage();
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });

// Koa composes `middleware` when the server starts listening, so this runs before the logger and router.
const count = (ctx: { method: string; path: string }, next: () => Promise<unknown>) => {
  const segments = ctx.path.split('/').filter(Boolean);
  if (ctx.method === 'GET') counts[segments.length > 1 ? 'get' : 'list'] += 1;
  else if (ctx.method === 'HEAD') counts.head += 1;
  else counts.other += 1;
  return next();
};

let statesChecksums = false;
const crc64s = new Map<string, string>();
const crc64Of = (bucket: string, key: string) => {
  let value = crc64s.get(`${bucket}/${key}`);
  if (value === undefined) crc64s.set(`${bucket}/${key}`, (value = readFileSync(crc64Path(directory, bucket, key), 'utf8')));
  return value;
};
const LISTED_CHECKSUM = '<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType></Contents>';
type Context = { method: string; path: string; status: number; body: unknown; get(header: string): string; set(header: string, value: string): void };

/**
 * As S3 answers for an object with a full-object CRC-64/NVME: its listing entries name the algorithm,
 * and a HEAD or a whole GET (not a ranged one) that asks for checksums states it. Runs after s3rver's
 * own middleware, which has made the listing's XML by then.
 */
const stateChecksums = async (ctx: Context, next: () => Promise<unknown>) => {
  await next();
  if (!statesChecksums || ctx.status !== 200) return;
  const [bucket, ...key] = ctx.path.split('/').filter(Boolean).map(decodeURIComponent);
  if (!bucket) return;
  if (key.length === 0 && ctx.method === 'GET' && typeof ctx.body === 'string') ctx.body = ctx.body.replaceAll('</Contents>', LISTED_CHECKSUM);
  else if (key.length > 0 && ctx.get('x-amz-checksum-mode') === 'ENABLED') {
    ctx.set('x-amz-checksum-crc64nvme', crc64Of(bucket, key.join('/')));
    ctx.set('x-amz-checksum-type', 'FULL_OBJECT');
  }
};
server.middleware.unshift(count, stateChecksums);

const address = await server.run();
process.send({ type: 'ready', port: address.port });

process.on('message', (message: ParentMessage) => {
  if (message.type === 'counts') {
    const cpu = process.cpuUsage(cpuSince);
    process.send?.({ type: 'counts', id: message.id, counts: { ...counts, cpuMs: (cpu.user + cpu.system) / 1000 } });
    if (message.reset) {
      Object.assign(counts, { get: 0, list: 0, head: 0, other: 0 });
      cpuSince = process.cpuUsage();
    }
  } else if (message.type === 'checksums') {
    statesChecksums = message.on;
    process.send?.({ type: 'checksums', id: message.id });
  } else if (message.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
