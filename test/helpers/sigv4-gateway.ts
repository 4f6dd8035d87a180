import { listenOnLoopback } from './loopback.js';
import { createHash, createHmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

/** RFC 3986 encoding as SigV4 canonical query strings use it. */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * An independent SigV4 check (AWS's documented algorithm) of a request without a body: `rawPath`
 * is the path as sent (S3 signs it without a second round of escaping), `rawQuery` the query string.
 */
export function verifySigV4(
  request: { method: string; rawPath: string; rawQuery?: string; headers: IncomingHttpHeaders },
  credentials: { region: string; accessKeyId?: string; secretAccessKey: string },
): boolean {
  const { headers } = request;
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    String(headers.authorization),
  );
  if (!auth || auth[3] !== credentials.region) return false;
  const [, accessKeyId, day, , signedHeaders, signature] = auth as unknown as string[];
  if (credentials.accessKeyId !== undefined && accessKeyId !== credentials.accessKeyId) return false;
  const names = signedHeaders!.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return false;
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const query = [...new URLSearchParams(request.rawQuery ?? '')]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [request.method, request.rawPath, query, canonicalHeaders, signedHeaders, String(headers['x-amz-content-sha256'])].join('\n');
  const scope = `${day}/${credentials.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', String(headers['x-amz-date']), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = ['s3', 'aws4_request'].reduce((k, part) => hmac(k, part), hmac(hmac(`AWS4${credentials.secretAccessKey}`, day!), credentials.region));
  return hmac(key, stringToSign).toString('hex') === signature;
}

export interface GatewayRequest {
  method: string;
  /** The Host header as sent (virtual-hosted requests carry the bucket here). */
  host: string;
  /** Decoded path as sent (before `basePath` is stripped or a virtual-hosted bucket is added). */
  path: string;
  query: string;
  accessKeyId: string | undefined;
  sessionToken: string | undefined;
  verified: boolean;
  /** Refused because its date was too far from the gateway's clock. */
  skewed?: boolean;
  /** Accepted the requester-pays charge (the header signed). */
  requesterPays: boolean;
  /** The SSE-C key it carried (all three headers, signed), or undefined. */
  sseCustomerKey?: string;
}

export interface SigV4Gateway extends AsyncDisposable {
  endpoint: string;
  /** Every request seen, in order. */
  requests: GatewayRequest[];
  /** TCP connections accepted. */
  connections: () => number;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** The gateway serves S3 below this path (e.g. `/base`): it is stripped before forwarding. */
  basePath?: string;
  /** Requests to `<bucket>.<suffix>` are virtual-hosted: forwarded to s3rver as `/<bucket>/...`. */
  virtualHostSuffix?: string;
  /**
   * The gateway's clock runs this far from the host's: like S3, it refuses a request dated more
   * than 15 minutes from its time (403 RequestTimeTooSkewed) and dates every answer in its time.
   */
  clockSkewMs?: number;
  /**
   * The bucket is requester-pays: like S3, a request that does not accept the charge (a signed
   * `x-amz-request-payer: requester`) is refused with 403 AccessDenied.
   */
  requesterPays?: boolean;
  /**
   * The bucket's objects are encrypted with this customer key (SSE-C, base64): like S3, a GET or
   * HEAD of an object must carry the key's three signed headers (400 InvalidRequest otherwise), and
   * every answer states the algorithm and the key's MD5. The headers are not forwarded (s3rver
   * keeps the objects in clear).
   */
  sseCustomerKey?: string;
}

/**
 * A gateway in front of s3rver (which checks only that an access key id exists, never a
 * signature): it knows one key pair (and session token), verifies each request's SigV4 signature
 * with it, answers 403 SignatureDoesNotMatch when it does not verify, and forwards verified
 * requests to the server anonymously (s3rver serves anonymous requests).
 */
export async function startSigV4Gateway(
  upstream: string,
  credentials: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  options: GatewayOptions = {},
): Promise<SigV4Gateway> {
  const target = new URL(upstream);
  const requests: GatewayRequest[] = [];
  let connections = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const sessionToken = req.headers['x-amz-security-token'] as string | undefined;
    const verified =
      verifySigV4({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers }, credentials) &&
      sessionToken === credentials.sessionToken;
    const host = String(req.headers.host ?? '');
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization ?? ''))?.[1]?.split(';') ?? [];
    const requesterPays = req.headers['x-amz-request-payer'] === 'requester' && signedHeaders.includes('x-amz-request-payer');
    const sseCustomerKey = sseCustomerKeyOf(req.headers, signedHeaders);
    const onObject = /^\/[^/]+\/.+/.test(decodeURIComponent(rawPath)) && !rawQuery.includes('list-type');
    const now = new Date(Date.now() + (options.clockSkewMs ?? 0));
    res.setHeader('date', now.toUTCString());
    if (options.clockSkewMs !== undefined && Math.abs(amzDate(req.headers['x-amz-date']) - now.getTime()) > 15 * 60_000) {
      requests.push({ method: req.method ?? 'GET', host, path: decodeURIComponent(rawPath), query: rawQuery, accessKeyId, sessionToken, verified: false, skewed: true, requesterPays });
      req.resume();
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>RequestTimeTooSkewed</Code><Message>the request time is too far from the server time</Message></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    requests.push({ method: req.method ?? 'GET', host, path: decodeURIComponent(rawPath), query: rawQuery, accessKeyId, sessionToken, verified, requesterPays, sseCustomerKey });
    const refusal = !verified
      ? '<Code>SignatureDoesNotMatch</Code><Message>signature does not verify at the gateway</Message>'
      : options.requesterPays && !requesterPays
        ? '<Code>AccessDenied</Code><Message>Access Denied (the bucket is requester-pays)</Message>'
        : options.sseCustomerKey && onObject && sseCustomerKey !== options.sseCustomerKey
          ? '<Code>InvalidRequest</Code><Message>The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.</Message>'
          : null;
    if (refusal) {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${refusal}</Error>`;
      res.writeHead(refusal.includes('InvalidRequest') ? 400 : 403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
    for (const name of ['authorization', 'x-amz-security-token', 'x-amz-date', 'x-amz-content-sha256', ...SSE_C_HEADERS]) delete headers[name];
    const encryption = options.sseCustomerKey && onObject ? sseCustomerAnswer(options.sseCustomerKey) : {};
    const forwarded = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: upstreamPath(req.url ?? '/', host, options), headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, { ...upstreamRes.headers, ...encryption, date: now.toUTCString() });
      upstreamRes.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('connection', () => {
    connections += 1;
  });
  const { port, stop } = await listenOnLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, requests, connections: () => connections, stop, [Symbol.asyncDispose]: stop };
}

const SSE_C_HEADERS = [
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
] as const;

/** The SSE-C key a request carries: all three headers present, signed and consistent; else undefined. */
function sseCustomerKeyOf(headers: IncomingHttpHeaders, signed: string[]): string | undefined {
  const [algorithm, key, md5] = SSE_C_HEADERS.map((name) => headers[name]);
  if (typeof key !== 'string' || algorithm !== 'AES256' || !SSE_C_HEADERS.every((name) => signed.includes(name))) return undefined;
  return md5 === createHash('md5').update(Buffer.from(key, 'base64')).digest('base64') ? key : undefined;
}

/** What S3 states on every answer about an object encrypted with the customer key `key`. */
function sseCustomerAnswer(key: string): Record<string, string> {
  return {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(Buffer.from(key, 'base64')).digest('base64'),
  };
}

/** `x-amz-date` (`20261130T002800Z`) as epoch milliseconds; NaN when absent or malformed. */
function amzDate(value: string | string[] | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(value));
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

/** The path-style URL s3rver understands for a request sent below `basePath` or to a bucket's host. */
function upstreamPath(url: string, host: string, options: GatewayOptions): string {
  let path = url;
  if (options.basePath) {
    if (!path.startsWith(`${options.basePath}/`)) return `/outside-the-base-path${path}`;
    path = path.slice(options.basePath.length);
  }
  const hostname = host.replace(/:\d+$/, '');
  const suffix = options.virtualHostSuffix && `.${options.virtualHostSuffix}`;
  if (suffix && hostname.endsWith(suffix)) path = `/${hostname.slice(0, -suffix.length)}${path}`;
  return path;
}
