import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  ChecksumAlgorithm,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../../config/env.js';
import { sseCustomerKeyMd5 } from '../../db/entities/job.entity.js';
import { createOutboundAgents } from '../../config/proxy-agents.js';
import { sourceFromReadable, type ByteSource } from './byte-source.js';
import { createHttp1Client, type Http1ClientOptions } from './http1-client.js';
import { withRetry, type RetryPolicy } from './retry.js';
import { checkRangeAnswer } from './range-answer.js';
import { createSignedGet } from './signed-get.js';
import { hasConfiguredEndpoint, signingRegion } from './signing-region.js';
import { decodeUrlEncodedKey, ListingFormatError, listPageSigned, nextTokenOf, type ListPage, type ListPageRequest, type RemoteObject } from './list-page.js';

/**
 * The first page of a listing from the prefix's start is kept small: a server takes about as long
 * per key listed (s3rver: ~65-70 ms per 1,000 keys), and no download starts before the first page
 * is in. Later pages, and a listing from a start-after key (a key range after the first, a resumed
 * run), use the server's default (1000) and are read one ahead while the work goes on.
 */
const FIRST_PAGE_KEYS = 100;

export type { RemoteObject } from './list-page.js';

/** A checksum S3 keeps: `algorithm` as S3 names it (CRC64NVME, SHA256…); `value` is base64. */
export interface ObjectChecksum {
  algorithm: string;
  value: string;
  /**
   * A COMPOSITE checksum (of a multipart upload's parts' checksums, written `<value>-<parts>`): its
   * part count. Absent: a full-object checksum, of the bytes.
   */
  partCount?: number;
}

export interface RangeResponse {
  body: ByteSource;
  contentLength: number;
  etag: string | undefined;
  /** True when S3 encrypted the object with KMS or a customer key: its ETag is then not an MD5. */
  etagIsNotMd5: boolean;
  /** The object's checksums, as a whole GET asked for them states them; otherwise none. */
  checksums: ObjectChecksum[];
}

/**
 * The checksums among an answer's `x-amz-checksum-*` values (by the SDK's list of algorithms): of
 * the whole object, or COMPOSITE ones (`<base64>-<parts>`), which only a part layout makes a check.
 */
function statedChecksums(type: string | undefined, valueOf: (algorithm: ChecksumAlgorithm) => string | undefined): ObjectChecksum[] {
  const found: ObjectChecksum[] = [];
  for (const algorithm of STATED_ALGORITHMS) {
    const stated = valueOf(algorithm);
    const composite = stated && /^([A-Za-z0-9+/]+={0,2})-(\d{1,5})$/.exec(stated);
    if (composite) found.push({ algorithm, value: composite[1]!, partCount: Number(composite[2]) });
    else if (stated && !stated.includes('-') && (!type || type === 'FULL_OBJECT')) found.push({ algorithm, value: stated });
  }
  return found;
}

/** The three headers of a GET of an object encrypted with the customer key `key` (base64). */
function sseCustomerHeaders(key: string): Record<string, string> {
  return {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': key,
    'x-amz-server-side-encryption-customer-key-md5': sseCustomerKeyMd5(key),
  };
}

/** Every algorithm S3 may state a checksum in (the SDK's list; verify/ decides which it checks). */
const STATED_ALGORITHMS = Object.values(ChecksumAlgorithm);
/** The header that states each algorithm's checksum (read on every whole GET: built once). */
const CHECKSUM_HEADERS = new Map(STATED_ALGORITHMS.map((algorithm) => [algorithm, `x-amz-checksum-${algorithm.toLowerCase()}`]));

export interface S3Connector {
  /** Whether the store's multipart ETags are the MD5 of the parts' MD5s, as S3's are (S3_VERIFY_MULTIPART_ETAG). */
  readonly multipartEtagsAreMd5: boolean;
  /**
   * Lists `prefix` page by page (any number of keys), after `startAfter` when given (a resumed
   * listing: unlike a continuation token, a key never expires); each page request is retried.
   */
  listPages(bucket: string, prefix: string, signal?: AbortSignal, startAfter?: string): AsyncIterable<RemoteObject[]>;
  /** The object's checksums, every one S3 keeps (full-object or COMPOSITE). Retried. */
  headChecksums(bucket: string, key: string, etag: string, signal?: AbortSignal): Promise<ObjectChecksum[]>;
  /** The size of one part of a multipart upload, and the part count S3 states. Retried. */
  headPart(bucket: string, key: string, etag: string, partNumber: number, signal?: AbortSignal): Promise<{ size: number; partsCount: number | null }>;
  /** Current ETag, size and time of the object (after a 412). Retried. */
  head(bucket: string, key: string, signal?: AbortSignal): Promise<Omit<RemoteObject, 'checksumAlgorithms' | 'key'>>;
  /**
   * One GET pinned with If-Match to `etag`, of bytes [start, end) or the whole object when `end`
   * is undefined (asking S3 for its full-object checksums with `checksums`). Not retried here: the
   * caller retries the GET together with reading its body, so a body cut mid-stream resumes from the
   * last byte written. `signal` ends the GET at once, also mid-body (the body then fails).
   */
  getRange(bucket: string, key: string, range: GetRange, signal?: AbortSignal): Promise<RangeResponse>;
  destroy(): void;
}

export interface GetRange {
  etag: string;
  start: number;
  end?: number;
  /** A whole GET: ask for the object's checksums (x-amz-checksum-mode), which S3 sends with its headers. */
  checksums?: boolean;
}

export interface S3ConnectorOptions {
  s3: Config['s3'];
  /** A job's static credentials; absent: the SDK's default chain (the process's). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The SSE-C key (base64 of 32 bytes) of the objects: sent with every object GET and HEAD. */
  sseCustomerKey?: string;
  retry: RetryPolicy;
  /** At least the number of requests kept in flight. */
  maxSockets: number;
  /** A socket idle this long (no byte in either direction) fails the request as a timeout. */
  socketTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Told about each retried listing or HEAD (metrics). */
  onRetry?: (error: unknown) => void;
  /** Outbound proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); absent: every request is direct. */
  proxy?: Config['proxy'];
  /** Extra TLS options (tests: a private CA; operators use NODE_EXTRA_CA_CERTS). */
  tls?: Http1ClientOptions['tls'];
}

/**
 * The only place that knows the AWS SDK (with signed-get.ts for GETs). Credentials and region come
 * from the job's connection (job-connection.ts), else the SDK's default chain (for the region, with
 * the fallback of signing-region.ts).
 */
export function createS3Connector(options: S3ConnectorOptions): S3Connector {
  // The SDK prints a NodeVersionSupportWarning on Node 20: future SDK releases will need Node 22. It
  // says nothing about this service, whose SDK version the lockfile pins and which supports Node 20,
  // so it is turned off with the SDK's documented switch (an operator's own value wins).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, ...options.tls };
  const { httpAgent, httpsAgent } = createOutboundAgents(agentOptions, options.proxy);
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 10_000;
  const socketTimeoutMs = options.socketTimeoutMs ?? 60_000;
  const client: S3Client = new S3Client({
    region: signingRegion(options.s3.region, () => hasConfiguredEndpoint(client)),
    endpoint: options.s3.endpoint,
    forcePathStyle: options.s3.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Retries happen in one place, withRetry; a second layer inside the SDK would multiply them.
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpAgent, httpsAgent, connectionTimeout: connectionTimeoutMs, socketTimeout: socketTimeoutMs }),
  });
  const http = createHttp1Client({ connectionTimeoutMs, socketTimeoutMs, maxIdlePerOrigin: options.maxSockets, proxy: options.proxy, tls: options.tls });
  // A requester-pays bucket refuses (403) every request that does not accept the charge.
  const payer = options.s3.requesterPays ? 'requester' : undefined;
  const signedGet = createSignedGet({ client, http, headers: payer && { 'x-amz-request-payer': payer } });
  // Objects encrypted with a customer key are read (and HEADed) only with that key's headers.
  const sseC = options.sseCustomerKey ? sseCustomerHeaders(options.sseCustomerKey) : undefined;
  const sdkSseC = options.sseCustomerKey ? { SSECustomerAlgorithm: 'AES256', SSECustomerKey: options.sseCustomerKey } : {};
  const retried = <T>(fn: () => Promise<T>, signal?: AbortSignal) => withRetry(fn, options.retry, { signal, onRetry: options.onRetry });

  /** A listing page through the SDK, for buckets the signed sender leaves to it. */
  const listPageBySdk = async ({ bucket, prefix, token, startAfter, maxKeys }: ListPageRequest, signal?: AbortSignal): Promise<ListPage> => {
    const command = new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: prefix || undefined,
      ContinuationToken: token,
      StartAfter: token ? undefined : startAfter,
      MaxKeys: maxKeys,
      RequestPayer: payer,
      EncodingType: 'url',
    });
    const page = await client.send(command, { abortSignal: signal });
    const urlEncoded = page.EncodingType === 'url';
    const objects = (page.Contents ?? []).map((item) => ({
      key: urlEncoded ? decodeUrlEncodedKey(item.Key ?? '') : (item.Key ?? ''),
      size: Number(item.Size ?? 0),
      etag: item.ETag ?? '',
      lastModified: item.LastModified ?? null,
      checksumAlgorithms: (item.ChecksumAlgorithm ?? []) as string[],
    }));
    return { objects, nextToken: nextTokenOf(page.IsTruncated, page.NextContinuationToken) };
  };

  return {
    multipartEtagsAreMd5: options.s3.verifyMultipartEtag ?? true,

    async *listPages(bucket, prefix, signal, startAfter) {
      let token: string | undefined;
      // A store that answers a token it gave before would be listed forever (boto3 and the SDK's paginators stop too).
      const tokens = new Set<string>();
      do {
        const request: ListPageRequest = { bucket, prefix, token, startAfter, maxKeys: token || startAfter ? undefined : FIRST_PAGE_KEYS };
        const page = await retried(async () => (await listPageSigned(signedGet, request, signal)) ?? listPageBySdk(request, signal), signal);
        token = page.nextToken;
        if (token !== undefined && tokens.has(token)) throw new ListingFormatError('the listing repeated a continuation token it had already given');
        if (token !== undefined) tokens.add(token);
        yield page.objects;
      } while (token);
    },

    async headChecksums(bucket, key, etag, signal) {
      const out = await retried(
        () =>
          client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag, ChecksumMode: 'ENABLED', RequestPayer: payer, ...sdkSseC }), {
            abortSignal: signal,
          }),
        signal,
      );
      return statedChecksums(out.ChecksumType, (algorithm) => out[`Checksum${algorithm}`]);
    },

    async headPart(bucket, key, etag, partNumber, signal) {
      const out = await retried(
        () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag, PartNumber: partNumber, RequestPayer: payer, ...sdkSseC }), { abortSignal: signal }),
        signal,
      );
      return { size: Number(out.ContentLength ?? -1), partsCount: out.PartsCount ?? null };
    },

    async head(bucket, key, signal) {
      const out = await retried(
        () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, RequestPayer: payer, ...sdkSseC }), { abortSignal: signal }),
        signal,
      );
      return { size: Number(out.ContentLength ?? 0), etag: out.ETag ?? '', lastModified: out.LastModified ?? null };
    },

    async getRange(bucket, key, { etag, start, end, checksums }, signal) {
      const ranged = end !== undefined;
      const headers: Record<string, string> = { 'if-match': etag, ...sseC };
      if (ranged) headers.range = `bytes=${start}-${end - 1}`;
      else if (checksums) headers['x-amz-checksum-mode'] = 'ENABLED';
      // The hot path (every small object, every chunk): signed directly, without the SDK's middleware.
      const response = await signedGet({ bucket, key, headers, signal });
      if (response) {
        if (ranged) {
          const answer = { status: response.status, contentRange: response.headers['content-range'], etag: response.headers.etag };
          checkRangeAnswer(answer, start, end, () => response.body.destroy());
        }
        const sse = response.headers['x-amz-server-side-encryption'] ?? '';
        return {
          body: response.body,
          // A chunked answer states no length: a range's is its own (its Content-Range was checked above).
          contentLength: Number(response.headers['content-length'] ?? (ranged ? end - start : 0)),
          etag: response.headers.etag,
          etagIsNotMd5: Boolean(response.headers['x-amz-server-side-encryption-customer-algorithm']) || sse.startsWith('aws:kms'),
          checksums: ranged ? [] : statedChecksums(response.headers['x-amz-checksum-type'], (algorithm) => response.headers[CHECKSUM_HEADERS.get(algorithm)!]),
        };
      }
      const out = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          IfMatch: etag,
          Range: ranged ? `bytes=${start}-${end - 1}` : undefined,
          RequestPayer: payer,
          ...sdkSseC,
        }),
        { abortSignal: signal },
      );
      if (ranged) {
        const answer = { status: out.$metadata.httpStatusCode, contentRange: out.ContentRange, etag: out.ETag };
        checkRangeAnswer(answer, start, end, () => (out.Body as Readable).destroy());
      }
      return {
        body: sourceFromReadable(out.Body as Readable),
        contentLength: Number(out.ContentLength ?? 0),
        etag: out.ETag,
        etagIsNotMd5: Boolean(out.SSECustomerAlgorithm) || String(out.ServerSideEncryption ?? '').startsWith('aws:kms'),
        // Not asked of the SDK, which would check them itself: a HEAD states them when needed.
        checksums: [],
      };
    },

    destroy() {
      client.destroy();
      http.close();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
