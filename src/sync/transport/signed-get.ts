import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { learnClockSkew, resolveGetTarget, skewCorrectedNow, type GetTarget } from './get-target.js';

/**
 * GetObject without the SDK's per-request middleware: the URL, addressing style, region and
 * signing name come from the SDK's own endpoint resolution on the same client that lists
 * (get-target.ts, once per bucket), the request is signed with SigV4 using the client's credential
 * chain and clock-skew offset, and sent on the same keep-alive agents. For many small objects the
 * SDK's per-request cost is a large share of the CPU.
 */
export interface SignedGetOptions {
  client: S3Client;
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  socketTimeoutMs: number;
  connectionTimeoutMs: number;
}

export interface SignedGetRequest {
  bucket: string;
  key: string;
  headers: Record<string, string>;
  /** Ends the request at once, before or after its headers (the body stream errors with an AbortError). */
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
  return async (req: SignedGetRequest): Promise<IncomingMessage | null> => {
    req.signal?.throwIfAborted();
    const target = await targetFor(req.bucket, req.key);
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
        headers: { ...target.headers, ...req.headers, host: url.host },
      },
      { signingRegion: target.signingRegion, signingDate: skewCorrectedNow(client) },
    );
    const response = await send(url.protocol === 'https:', { host: url.hostname, port, path, headers: signed.headers }, req.signal);
    const status = response.statusCode ?? 0;
    const skewCorrected = learnClockSkew(client, headerValue(response.headers.date));
    if (status >= 200 && status < 300) return response;
    const error = await errorFrom(response, status);
    // As the SDK marks it: signed with a wrong clock, now corrected, so worth one more attempt.
    if (skewCorrected) error.$metadata.clockSkewCorrected = true;
    throw error;
  };

  function send(
    secure: boolean,
    target: { host: string; port: number | undefined; path: string; headers: Record<string, string> },
    signal: AbortSignal | undefined,
  ) {
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
      if (signal) request.once('close', whenAborted(signal, () => fail(abortError(signal))));
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

/**
 * One 'abort' listener per signal however many requests share it (a run's GETs all do; one
 * listener each would trip Node's listener-leak warning). Returns the unsubscribe.
 */
const abortWatchers = new WeakMap<AbortSignal, Set<() => void>>();
function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  // Aborted while this request was being signed: its 'abort' event has been and gone.
  if (signal.aborted) {
    process.nextTick(fn);
    return () => {};
  }
  let watchers = abortWatchers.get(signal);
  if (!watchers) {
    const set = new Set<() => void>();
    watchers = set;
    abortWatchers.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const watcher of [...set]) watcher();
      set.clear();
    }, { once: true });
  }
  watchers.add(fn);
  return () => watchers.delete(fn);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error && signal.reason.name === 'AbortError'
    ? signal.reason
    : Object.assign(new Error('the request was aborted', { cause: signal.reason }), { name: 'AbortError' });
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
