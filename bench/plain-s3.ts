// Unsigned requests to the benchmark's S3 server (s3rver takes them) for the baselines that run
// without our engine: a GET over keep-alive sockets and the ListObjectsV2 walk of a prefix.
import { Agent, request, type IncomingMessage } from 'node:http';

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Calls `sink` with each piece of the body; resolves with its length at the end. */
export function drain(res: IncomingMessage, sink?: (chunk: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      sink?.(chunk);
    });
    res.on('end', () => resolve(bytes));
    res.on('error', reject);
  });
}

export function plainS3(endpoint: string, sockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });

  /** Resolves with the response once its status says 200 (anything else is an error). */
  function get(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request(`${endpoint}${path}`, { agent }, (res) => {
        if (res.statusCode === 200) return resolve(res);
        res.resume();
        reject(new Error(`GET ${path}: ${res.statusCode}`));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Every key under `prefix`, page by page. */
  async function list(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ 'list-type': '2', prefix });
      if (token) query.set('continuation-token', token);
      const parts: Buffer[] = [];
      await drain(await get(`/${bucket}?${query}`), (chunk) => parts.push(chunk));
      const xml = Buffer.concat(parts).toString('utf8');
      for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescape(match[1]!));
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? unescape(/<NextContinuationToken>([^<]*)</.exec(xml)?.[1] ?? '') : undefined;
    } while (token);
    return keys;
  }

  const objectPath = (bucket: string, key: string) => `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

  return { get, list, objectPath, close: () => agent.destroy() };
}
