import type { S3Client } from '@aws-sdk/client-s3';
import { readAll } from './byte-source.js';
import { learnClockSkew, resolveGetTarget, skewCorrectedNow, type GetTarget } from './get-target.js';
import type { Http1Client, Http1Response } from './http1-client.js';
import { canonicalQuery, signGet, uriEscape } from './sigv4.js';
import { decodeXmlTextLeniently } from './xml-text.js';

/**
 * GetObject and ListObjectsV2 (list-page.ts) without the SDK's per-request middleware: the URL,
 * addressing style, region and signing name come from the SDK's own endpoint resolution on the
 * client (get-target.ts, once per bucket), the request is signed with SigV4 (sigv4.ts) using the
 * client's credential chain and clock-skew offset, and sent by the keep-alive HTTP/1.1 client of
 * http1-client.ts. For many small objects the SDK's per-request cost is a large share of the CPU;
 * for large ones, the stream machinery per byte.
 */
export interface SignedGetOptions {
  client: S3Client;
  http: Http1Client;
  /** Sent (and signed) with every request: a requester-pays bucket's x-amz-request-payer. */
  headers?: Record<string, string>;
}

export interface SignedGetRequest {
  bucket: string;
  /** The object; absent for a request on the bucket itself (a listing). */
  key?: string;
  /** Query parameters (a listing's); undefined values are left out. */
  query?: Record<string, string | undefined>;
  headers: Record<string, string>;
  /** Ends the request at once, before or after its headers (the body then fails with an AbortError). */
  signal?: AbortSignal;
}

/** An S3 error answer, shaped like the SDK's service errors (name = S3 error code, $metadata). */
export class S3HttpError extends Error {
  readonly $metadata: { httpStatusCode: number; requestId?: string; clockSkewCorrected?: boolean };
  readonly $fault: 'client' | 'server';
  constructor(name: string, status: number, message: string, requestId?: string) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status, requestId };
    this.$fault = status >= 500 ? 'server' : 'client';
  }
}

/** The sender resolves null when the bucket needs an auth scheme other than plain SigV4 (then use the SDK). */
export function createSignedGet(options: SignedGetOptions) {
  const targets = new Map<string, Promise<GetTarget | null>>();
  const { client } = options;

  const targetFor = (bucket: string, key: string) => {
    let target = targets.get(bucket);
    if (!target) {
      target = resolveGetTarget(client, bucket, key);
      targets.set(bucket, target);
      target.catch(() => targets.delete(bucket));
    }
    return target;
  };

  /** Sends one signed GET; resolves with the response for 2xx, rejects with an S3HttpError otherwise. */
  return async (req: SignedGetRequest): Promise<Http1Response | null> => {
    req.signal?.throwIfAborted();
    const target = await targetFor(req.bucket, req.key ?? '');
    if (!target) return null;
    const { url } = target;
    const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    // As the SDK sends them: a bucket's own requests to "<bucket endpoint>/".
    const path = `${basePath}/${req.key === undefined ? '' : encodeKey(req.key)}`;
    const query = req.query ? canonicalQuery(req.query) : '';
    const secure = url.protocol === 'https:';
    const port = url.port ? Number(url.port) : secure ? 443 : 80;
    const credentials = await client.config.credentials();
    // The clock offset this request is dated with: another request may correct it while this one is out.
    const offsetUsed = client.config.systemClockOffset ?? 0;
    const headers = signGet({ path, query, headers: { ...target.headers, ...options.headers, ...req.headers, host: url.host } }, credentials, {
      region: target.signingRegion,
      service: target.signingName,
      date: skewCorrectedNow(client),
    });
    // A bracketed IPv6 literal in the URL is a bare address to connect to.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const response = await options.http.request({ secure, host, port, path: query ? `${path}?${query}` : path, headers, signal: req.signal });
    const status = response.status;
    const skewCorrected = learnClockSkew(client, response.headers.date);
    if (status >= 200 && status < 300) return response;
    const error = await errorFrom(response);
    // As the SDK marks it: signed with a wrong clock, now corrected, so worth one more attempt.
    // Also when another request's answer corrected the offset while this one was out (several in flight).
    if (skewCorrected || (error.name === 'RequestTimeTooSkewed' && (client.config.systemClockOffset ?? 0) !== offsetUsed)) error.$metadata.clockSkewCorrected = true;
    throw error;
  };
}

const MAX_ERROR_BODY = 64 * 1024;

async function errorFrom(response: Http1Response): Promise<S3HttpError> {
  const { status } = response;
  let body = '';
  try {
    body = (await readAll(response.body, MAX_ERROR_BODY)).toString('utf8');
  } catch {
    // The status alone still classifies the error.
  }
  const code = xmlText(body, 'Code') ?? codeForStatus(status);
  const message = xmlText(body, 'Message') ?? (status === 407 ? 'the proxy (HTTP_PROXY) refused the request: its credentials are missing or wrong' : `HTTP ${status}`);
  const requestId = xmlText(body, 'RequestId') ?? response.headers['x-amz-request-id'];
  return new S3HttpError(code, status, message, requestId);
}

/** What the SDK names an error whose response has no XML body (e.g. a HEAD-like empty answer). */
function codeForStatus(status: number): string {
  switch (status) {
    case 304:
      return 'NotModified';
    case 400:
      return 'BadRequest';
    case 403:
      return 'AccessDenied';
    case 404:
      return 'NoSuchKey';
    case 407:
      return 'ProxyAuthenticationRequired';
    case 412:
      return 'PreconditionFailed';
    case 416:
      return 'InvalidRange';
    case 429:
      return 'SlowDown';
    case 503:
      return 'ServiceUnavailable';
    default:
      return status >= 500 ? 'InternalError' : `Http${status}`;
  }
}

function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match ? decodeXmlTextLeniently(match[1]!) : undefined;
}

/** As the SDK encodes a greedy path label: each segment with RFC 3986 reserved characters escaped. */
export function encodeKey(key: string): string {
  return key.split('/').map(uriEscape).join('/');
}
