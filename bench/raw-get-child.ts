// Raw-GET baseline: list the prefix, then one plain GET per object with the body discarded (as into /dev/null),
// `inflight` at a time over keep-alive sockets. No signing, no ranges, no disk: the server's own limit.
import { drain, plainS3 } from './plain-s3.js';

const [endpoint, bucket, prefix = '', inflightArg, listOnlyArg] = process.argv.slice(2);
if (!endpoint || !bucket) throw new Error('usage: raw-get-child.ts <endpoint> <bucket> <prefix> <inflight> [list-only]');
const inflight = Number(inflightArg ?? '1');
const s3 = plainS3(endpoint, inflight);

const started = performance.now();
const keys = await s3.list(bucket, prefix);
const listMs = performance.now() - started;
let bytes = 0;
if (listOnlyArg !== 'list-only') {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      bytes += await drain(await s3.get(s3.objectPath(bucket, key)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, keys.length) }, worker));
}
const totalMs = performance.now() - started;
s3.close();
process.stdout.write(`${JSON.stringify({ objects: keys.length, bytes, listMs, totalMs })}\n`);
