// Child process hosting s3rver, so the server's CPU is not shared with the harness or a tool under test.
// It counts requests by kind (object GET, listing, HEAD, other) at the front of the middleware chain;
// the parent reads and resets the counters over IPC around every measured run.
import { createRequire } from 'node:module';

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

type ParentMessage = { type: 'counts'; reset: boolean; id: number } | { type: 'stop' };

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
server.middleware.unshift(count);

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
  } else if (message.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
