import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * GetObject without the SDK's per-request middleware: the URL comes from the client's own endpoint
 * rules (resolved once per bucket: custom endpoint, path-style or virtual-hosted), the request is
 * signed with SigV4 using the client's credential chain and region, and sent on the same keep-alive
 * agents. For many small objects the SDK's per-request cost is a large share of the CPU.
 */
export interface SignedGetOptions {
  client: S3Client;
  /** The custom endpoint the client was built with, if any. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  socketTimeoutMs: number;
  connectionTimeoutMs: number;
}

export interface SignedGetRequest {
  bucket: string;
  key: string;
  headers: Record<string, string>;
}

/** An S3 error answer, shaped like the SDK's service errors (name = S3 error code, $metadata). */
export class S3HttpError extends Error {
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  readonly $fault: 'client' | 'server';
  constructor(name: string, status: number, message: string, requestId?: string) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status, requestId };
    this.$fault = status >= 500 ? 'server' : 'client';
  }
}

interface BucketTarget {
  url: URL;
  signer: SignatureV4;
  signingRegion: string;
}

/** Returns null when the bucket needs an auth scheme other than plain SigV4 (then use the SDK). */
export function createSignedGet(options: SignedGetOptions) {
  const targets = new Map<string, Promise<BucketTarget | null>>();
  const config = options.client.config;

  const resolveTarget = async (bucket: string): Promise<BucketTarget | null> => {
    const flag = async (value: unknown) => Boolean(typeof value === 'function' ? await (value as () => unknown)() : value);
    const region = await config.region();
    const resolved = config.endpointProvider({
      Bucket: bucket,
      Region: region,
      UseFIPS: await flag(config.useFipsEndpoint),
      UseDualStack: await flag(config.useDualstackEndpoint),
      Accelerate: await flag(config.useAccelerateEndpoint),
      ForcePathStyle: options.forcePathStyle,
      Endpoint: options.endpoint,
    });
    const schemes = (resolved.properties?.authSchemes ?? []) as Array<{ name?: string; signingName?: string; signingRegion?: string }>;
    const scheme = schemes[0];
    if (scheme && scheme.name !== 'sigv4') return null;
    const signingRegion = scheme?.signingRegion ?? region;
    const signer = new SignatureV4({
      service: scheme?.signingName ?? 's3',
      region: signingRegion,
      credentials: config.credentials,
      sha256: config.sha256,
      // S3 signs the path as sent (no second round of escaping).
      uriEscapePath: false,
    });
    return { url: new URL(resolved.url.toString()), signer, signingRegion };
  };

  const targetFor = (bucket: string) => {
    let target = targets.get(bucket);
    if (!target) {
      target = resolveTarget(bucket);
      targets.set(bucket, target);
      target.catch(() => targets.delete(bucket));
    }
    return target;
  };

  /** Sends one signed GET; resolves with the response for 2xx, rejects with an S3HttpError otherwise. */
  return async (req: SignedGetRequest): Promise<IncomingMessage | null> => {
    const target = await targetFor(req.bucket);
    if (!target) return null;
    const { url } = target;
    const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const path = `${basePath}/${encodeKey(req.key)}`;
    const port = url.port ? Number(url.port) : undefined;
    const signed = await target.signer.sign(
      {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port,
        path,
        query: {},
        headers: { ...req.headers, host: url.host },
      },
      { signingRegion: target.signingRegion },
    );
    const response = await send(url.protocol === 'https:', {
      host: url.hostname,
      port,
      path,
      headers: signed.headers,
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    throw await errorFrom(response, status);
  };

  function send(secure: boolean, target: { host: string; port: number | undefined; path: string; headers: Record<string, string> }) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)({
        ...target,
        method: 'GET',
        agent: secure ? options.httpsAgent : options.httpAgent,
      });
      let response: IncomingMessage | undefined;
      const fail = (error: Error) => {
        // After the headers, the body stream carries the error to its reader.
        if (response) response.destroy(error);
        else request.destroy(error);
      };
      request.once('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => fail(timeoutError(`no connection after ${options.connectionTimeoutMs} ms`)),
          options.connectionTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      request.setTimeout(options.socketTimeoutMs, () => fail(timeoutError(`socket idle for ${options.socketTimeoutMs} ms`)));
      request.once('error', reject);
      request.once('response', (res) => {
        response = res;
        resolve(res);
      });
      request.end();
    });
  }
}

const MAX_ERROR_BODY = 64 * 1024;

async function errorFrom(response: IncomingMessage, status: number): Promise<S3HttpError> {
  let body = '';
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (body.length < MAX_ERROR_BODY) body += chunk.toString('utf8');
    }
  } catch {
    // The status alone still classifies the error.
  }
  const code = xmlText(body, 'Code') ?? codeForStatus(status);
  const message = xmlText(body, 'Message') ?? `HTTP ${status}`;
  const requestId = xmlText(body, 'RequestId') ?? headerValue(response.headers['x-amz-request-id']);
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
  return match ? decodeXml(match[1]!) : undefined;
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[entity]!);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}

/** As the SDK encodes a greedy path label: each segment with RFC 3986 reserved characters escaped. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}
