import { listenOnLoopback } from './loopback.js';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A synthetic S3-compatible server for tests and the benchmark (never part of the service): one
 * bucket of `keys` generated objects, `<keyPrefix><index zero-padded>`, nothing stored. Keys are in
 * index order, so a listing page is computed (a binary search and a loop), not searched: a million
 * keys list in seconds. Sizes, bytes and MD5 ETags are functions of the index (and of its version,
 * which a test bumps to "change" an object). Signatures are not checked.
 */
export interface SyntheticS3Options {
  keys: number;
  bucket?: string;
  keyPrefix?: string;
  /** Object size by index; default 1 + (index · 7919 mod 2048) bytes. */
  sizeOf?: (index: number) => number;
  /** Key by index, in strictly increasing byte order (replaces `<keyPrefix><index>`): e.g. folder markers beside files. */
  keyAt?: (index: number) => string;
}

export interface SyntheticCounts {
  requests: number;
  lists: number;
  /** List requests that asked for keys after a start-after key (a listing's first page, not its continuations). */
  startAfterLists: number;
  gets: number;
  heads: number;
  getBytes: number;
  /** 412 answers to an If-Match that no longer matches. */
  preconditionFailed: number;
}

/** Faults a test switches on; list requests are numbered from 1 since start or `resetCounts()`. */
export interface SyntheticFaults {
  /** List request numbers answered with a 500 (each number fails once). */
  failLists: Set<number>;
  /** Each page after the first starts again with the previous page's last key (a duplicate across pages). */
  repeatLastKey: boolean;
  /** Each page's keys come in reverse order (out of order). */
  reversePages: boolean;
  /** start-after is ignored: every listing starts at the prefix's first key (as some S3-compatible servers do). */
  ignoreStartAfter: boolean;
  /** Each list answer waits this long (a distant region's round trip and listing time). */
  listDelayMs: number;
  /** List requests (by number, from 1) answered 200 with the XML cut before its last <Contents> (Content-Length of the cut body). */
  cutLists: Set<number>;
  /** Called before a list request is answered (a test changes the bucket between pages from here). */
  beforeList?: (listNumber: number) => void;
}

export interface SyntheticS3 extends AsyncDisposable {
  endpoint: string;
  bucket: string;
  counts: SyntheticCounts;
  faults: SyntheticFaults;
  resetCounts(): void;
  keyAt(index: number): string;
  indexOf(key: string): number | undefined;
  /** Indices removed from the bucket (not listed, 404). */
  deleted: Set<number>;
  /** Bumps an object's version: new bytes, new ETag (same size). */
  change(index: number): void;
  body(index: number): Buffer;
  etag(index: number): string;
  size(index: number): number;
  s3Config: { endpoint: string; forcePathStyle: true; region: string };
  /** Environment for a child process (CLI, aws, rclone) talking to this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const LAST_MODIFIED = new Date('2026-01-01T00:00:00.000Z');
const MAX_KEYS = 1000;

const emptyCounts = (): SyntheticCounts => ({ requests: 0, lists: 0, startAfterLists: 0, gets: 0, heads: 0, getBytes: 0, preconditionFailed: 0 });

export async function startSyntheticS3(options: SyntheticS3Options): Promise<SyntheticS3> {
  const bucket = options.bucket ?? 'synthetic';
  const keyPrefix = options.keyPrefix ?? 'obj/';
  const width = Math.max(7, String(options.keys).length);
  const sizeOf = options.sizeOf ?? ((index: number) => 1 + ((index * 7919) % 2048));
  const versions = new Map<number, number>();
  const deleted = new Set<number>();
  let counts = emptyCounts();
  const faults: SyntheticFaults = { failLists: new Set(), repeatLastKey: false, reversePages: false, ignoreStartAfter: false, listDelayMs: 0, cutLists: new Set() };

  const customKeyAt = options.keyAt;
  const keyAt = customKeyAt ?? ((index: number) => keyPrefix + String(index).padStart(width, '0'));
  const indexOf = (key: string): number | undefined => {
    if (customKeyAt) {
      const at = lowerBound(key);
      return at < options.keys && customKeyAt(at) === key && !deleted.has(at) ? at : undefined;
    }
    if (!key.startsWith(keyPrefix) || key.length !== keyPrefix.length + width) return undefined;
    const digits = key.slice(keyPrefix.length);
    if (!/^\d+$/.test(digits)) return undefined;
    const index = Number(digits);
    return index < options.keys && !deleted.has(index) ? index : undefined;
  };
  const body = (index: number): Buffer => {
    const size = sizeOf(index);
    const seed = (index * 2654435761 + (versions.get(index) ?? 0) * 40503) >>> 0;
    const out = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 1) out[i] = (seed + i * 131 + (i >>> 8) * 7) & 0xff;
    return out;
  };
  const etag = (index: number) => `"${createHash('md5').update(body(index)).digest('hex')}"`;
  /** First index whose key is greater than `key` (keys are in index order). */
  const firstAfter = (key: string): number => {
    let low = 0;
    let high = options.keys;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (keyAt(middle) > key) high = middle;
      else low = middle + 1;
    }
    return low;
  };

  const list = (url: URL, res: ServerResponse) => {
    counts.lists += 1;
    const number = counts.lists;
    faults.beforeList?.(number);
    if (faults.failLists.delete(number)) return sendError(res, 500, 'InternalError', 'injected list failure');
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const token = url.searchParams.get('continuation-token');
    const startAfter = faults.ignoreStartAfter ? '' : (url.searchParams.get('start-after') ?? '');
    if (url.searchParams.has('start-after')) counts.startAfterLists += 1;
    const maxKeys = Math.min(MAX_KEYS, Math.max(0, Number(url.searchParams.get('max-keys') ?? MAX_KEYS) || 0));
    const after = token ? Buffer.from(token, 'base64url').toString() : startAfter;
    const from = after >= prefix ? after : '';
    // A page that ended on a common prefix goes on past every key under it.
    const afterCommonPrefix = delimiter !== '' && from.endsWith(delimiter) && from.startsWith(prefix);
    let index = !from ? lowerBound(prefix) : afterCommonPrefix ? lowerBound(pastPrefix(from)) : firstAfter(from);
    /** Key indexes, and the common prefixes a delimiter rolls keys up into (strings). */
    const page: Array<number | string> = [];
    for (; index < options.keys && page.length < maxKeys; index += 1) {
      const key = keyAt(index);
      if (!key.startsWith(prefix)) {
        if (key > prefix) index = options.keys;
        break;
      }
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) {
        const common = key.slice(0, cut + delimiter.length);
        page.push(common);
        index = lowerBound(pastPrefix(common)) - 1;
        continue;
      }
      if (!deleted.has(index)) page.push(index);
    }
    while (index < options.keys && deleted.has(index)) index += 1;
    const truncated = page.length > 0 && index < options.keys && keyAt(index).startsWith(prefix);
    const listed = page.filter((entry): entry is number => typeof entry === 'number');
    if (faults.repeatLastKey && after && indexOf(after) !== undefined) listed.unshift(indexOf(after)!);
    if (faults.reversePages) listed.reverse();
    const contents = listed
      .map((i) => `<Contents><Key>${keyAt(i)}</Key><LastModified>${LAST_MODIFIED.toISOString()}</LastModified><ETag>&quot;${etag(i).slice(1, -1)}&quot;</ETag><Size>${sizeOf(i)}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
      .join('');
    const rolledUp = page.filter((entry): entry is string => typeof entry === 'string');
    const commonPrefixCount = rolledUp.length;
    const commonPrefixes = rolledUp
      .map((common) => `<CommonPrefixes><Prefix>${escapeXml(common)}</Prefix></CommonPrefixes>`)
      .join('');
    const last = page[page.length - 1];
    const next = truncated ? `<NextContinuationToken>${Buffer.from(typeof last === 'string' ? last : keyAt(last!)).toString('base64url')}</NextContinuationToken>` : '';
    const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${listed.length + commonPrefixCount}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${next}${contents}${commonPrefixes}</ListBucketResult>`;
    const answer = faults.cutLists.delete(number) ? xml.slice(0, xml.lastIndexOf('<Contents>')) : xml;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  };

  /** First index whose key is ≥ `prefix`. */
  const lowerBound = (prefix: string): number => {
    let low = 0;
    let high = options.keys;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (keyAt(middle) >= prefix) high = middle;
      else low = middle + 1;
    }
    return low;
  };

  const object = (req: IncomingMessage, res: ServerResponse, key: string) => {
    const index = indexOf(key);
    if (index === undefined) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    const tag = etag(index);
    const size = sizeOf(index);
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch !== tag && ifMatch !== '*') {
      counts.preconditionFailed += 1;
      return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const headers: Record<string, string | number> = {
      etag: tag,
      'last-modified': LAST_MODIFIED.toUTCString(),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    if (req.method === 'HEAD') {
      counts.heads += 1;
      res.writeHead(200, { ...headers, 'content-length': size });
      return res.end();
    }
    counts.gets += 1;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    let start = 0;
    let end = size - 1;
    if (range) {
      if (range[1] === '') start = Math.max(0, size - Number(range[2]));
      else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(size - 1, Number(range[2]));
      }
      if (start >= size || start > end) return sendError(res, 416, 'InvalidRange', 'The requested range is not satisfiable');
    }
    const data = body(index).subarray(start, end + 1);
    counts.getBytes += data.length;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': data.length,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    res.end(data);
  };

  const server = createServer((req, res) => {
    counts.requests += 1;
    const url = new URL(req.url ?? '/', 'http://synthetic');
    const bucketPath = `/${bucket}`;
    if (url.pathname !== bucketPath && !url.pathname.startsWith(`${bucketPath}/`)) {
      return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    }
    const key = decodeURIComponent(url.pathname.slice(bucketPath.length + 1));
    if (key !== '') {
      if (req.method === 'GET' || req.method === 'HEAD') return object(req, res, key);
      return sendError(res, 501, 'NotImplemented', 'read-only synthetic bucket');
    }
    if (req.method === 'HEAD') return res.writeHead(200).end();
    if (req.method !== 'GET') return sendError(res, 501, 'NotImplemented', 'read-only synthetic bucket');
    if (url.searchParams.has('location')) {
      const xml = '<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>';
      return res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
    }
    if (url.searchParams.get('list-type') !== '2') return sendError(res, 501, 'NotImplemented', 'only ListObjectsV2 (list-type=2)');
    if (faults.listDelayMs > 0) setTimeout(() => list(url, res), faults.listDelayMs);
    else list(url, res);
  });
  server.keepAliveTimeout = 30_000;
  const { port, stop } = await listenOnLoopback(server);
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  return {
    endpoint,
    bucket,
    get counts() {
      return counts;
    },
    faults,
    resetCounts: () => {
      counts = emptyCounts();
    },
    keyAt,
    indexOf,
    deleted,
    change: (index) => void versions.set(index, (versions.get(index) ?? 0) + 1),
    body,
    etag,
    size: sizeOf,
    s3Config: { endpoint, forcePathStyle: true, region },
    env: {
      AWS_ACCESS_KEY_ID: 'SYNTHETIC',
      AWS_SECRET_ACCESS_KEY: 'SYNTHETIC',
      AWS_REGION: region,
      AWS_ENDPOINT_URL_S3: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string) {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** The first string after every string that starts with `prefix`. */
function pastPrefix(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
