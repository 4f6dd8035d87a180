import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from './loopback.js';

/** The SDK's Checksum constructor shape (sha256, or HMAC-sha256 with a secret), on node:crypto. */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", typeof secret === "string" ? secret : secret instanceof ArrayBuffer ? Buffer.from(secret) : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === "string" ? data : data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

/** RFC 3986 escaping (S3's canonical form of each path segment). */
const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface VerifiedRequest {
  method: string;
  rawUrl: string;
  host: string;
  ok: boolean;
  /** Why it failed (a SignatureDoesNotMatch reason). */
  reason?: string;
  expected?: string;
  received?: string;
  headers: IncomingHttpHeaders;
}

export interface SdkVerifier extends AsyncDisposable {
  endpoint: string;
  requests: VerifiedRequest[];
  failures: () => VerifiedRequest[];
  setClockSkew(ms: number | undefined): void;
  stop(): Promise<void>;
}

/**
 * S3's canonical URI: the path is decoded (the key S3 reads) and each segment escaped again once
 * (RFC 3986); a raw path not in that form still verifies only when its decoding re-encodes to what
 * was signed. Throws on a path that does not decode.
 */
function s3CanonicalPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join('/');
}

/** The query as S3 reads it: `&`-separated, `=` once, each side percent-decoded (a `+` stays a `+`). */
function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (!rawQuery) return query;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const name = decodeURIComponent(at < 0 ? part : part.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(part.slice(at + 1));
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function amzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new Error(`bad x-amz-date ${value}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/**
 * Recomputes a received request's Authorization with the SDK's own signer (@smithy/signature-v4,
 * service s3, uriEscapePath false since S3's canonical path is escaped once), over S3's reading of
 * the path and query, and only the headers the request says it signed.
 */
export async function expectedAuthorization(
  req: { method: string; rawUrl: string; headers: IncomingHttpHeaders },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
): Promise<{ expected: string; received: string }> {
  const received = String(req.headers.authorization ?? '');
  const auth = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=[0-9a-f]{64}$/.exec(received);
  if (!auth) return { expected: '(well-formed SigV4 header)', received };
  const signedNames = auth[2]!.split(';');
  const q = req.rawUrl.indexOf('?');
  const rawPath = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : req.rawUrl.slice(q + 1);
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = req.headers[name];
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({ credentials, region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: String(req.headers.host ?? ''), path: s3CanonicalPath(rawPath), query: parseQuery(rawQuery), headers },
    { signingDate: amzDate(String(req.headers['x-amz-date'])) },
  );
  const expected = String(signed.headers.authorization ?? signed.headers.Authorization);
  return { expected, received };
}

/**
 * A node http server in front of s3rver that verifies each request's SigV4 signature as S3 would
 * (SignatureDoesNotMatch 403 otherwise) and forwards verified ones anonymously. Requests to
 * `<bucket>.<virtualHostSuffix>` are forwarded path-style.
 */
export async function startSdkVerifier(
  upstream: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  options: { virtualHostSuffix?: string; clockSkewMs?: number; onRequest?: (method: string, rawUrl: string) => void } = {},
): Promise<SdkVerifier> {
  const target = new URL(upstream);
  const requests: VerifiedRequest[] = [];
  let clockSkewMs = options.clockSkewMs;
  const server = createServer((req, res) => {
    void (async () => {
      const rawUrl = req.url ?? '/';
      const host = String(req.headers.host ?? '');
      const record: VerifiedRequest = { method: req.method ?? 'GET', rawUrl, host, ok: false, headers: req.headers };
      requests.push(record);
      options.onRequest?.(record.method, rawUrl);
      const now = new Date(Date.now() + (clockSkewMs ?? 0));
      res.setHeader('date', now.toUTCString());
      if (clockSkewMs !== undefined && Math.abs(amzDate(String(req.headers['x-amz-date'])).getTime() - now.getTime()) > 15 * 60_000) {
        record.reason = 'skewed';
        req.resume();
        const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>RequestTimeTooSkewed</Code><Message>too far</Message></Error>';
        res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      try {
        const { expected, received } = await expectedAuthorization({ method: record.method, rawUrl, headers: req.headers }, credentials, region);
        record.expected = expected;
        record.received = received;
        record.ok = expected === received && req.headers['x-amz-security-token'] === credentials.sessionToken;
        if (!record.ok) record.reason = expected !== received ? 'signature' : 'session token';
      } catch (error) {
        record.reason = String(error);
      }
      if (!record.ok) {
        req.resume();
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>`;
        res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
      for (const name of ['authorization', 'x-amz-security-token', 'x-amz-date', 'x-amz-content-sha256']) delete headers[name];
      for (const name of Object.keys(headers)) if (name.startsWith('x-amz-server-side-encryption-customer')) delete headers[name];
      let path = rawUrl;
      const hostname = host.replace(/:\d+$/, '');
      const suffix = options.virtualHostSuffix && `.${options.virtualHostSuffix}`;
      if (suffix && hostname.endsWith(suffix)) path = `/${hostname.slice(0, -suffix.length)}${path}`;
      const forwarded = httpRequest({ host: target.hostname, port: target.port, method: req.method, path, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, date: now.toUTCString() });
        up.pipe(res);
      });
      forwarded.on('error', () => res.destroy());
      req.pipe(forwarded);
    })();
  });
  const { port, stop } = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    failures: () => requests.filter((r) => !r.ok),
    setClockSkew: (ms: number | undefined) => {
      clockSkewMs = ms;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
