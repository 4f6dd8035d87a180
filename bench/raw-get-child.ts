// Raw-GET baseline: list the prefix, then one plain GET per object with the body discarded (as into /dev/null),
// `inflight` at a time over keep-alive sockets. No signing, no ranges, no disk: the server's own limit.
import { Agent, request } from 'node:http';

const [endpoint, bucket, prefix = '', inflightArg, listOnlyArg] = process.argv.slice(2);
if (!endpoint || !bucket) throw new Error('usage: raw-get-child.ts <endpoint> <bucket> <prefix> <inflight> [list-only]');
const inflight = Number(inflightArg ?? '1');
const agent = new Agent({ keepAlive: true, maxSockets: inflight });

function get(path: string, sink?: (chunk: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        sink?.(chunk);
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function list(): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ 'list-type': '2', prefix });
    if (token) query.set('continuation-token', token);
    const parts: Buffer[] = [];
    await get(`/${bucket}?${query}`, (chunk) => parts.push(chunk));
    const xml = Buffer.concat(parts).toString('utf8');
    for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescape(match[1]!));
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? unescape(/<NextContinuationToken>([^<]*)</.exec(xml)?.[1] ?? '') : undefined;
  } while (token);
  return keys;
}

const started = performance.now();
const keys = await list();
const listMs = performance.now() - started;
let bytes = 0;
if (listOnlyArg !== 'list-only') {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const received = await get(`/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
      bytes += received;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, keys.length) }, worker));
}
const totalMs = performance.now() - started;
agent.destroy();
process.stdout.write(`${JSON.stringify({ objects: keys.length, bytes, listMs, totalMs })}\n`);
