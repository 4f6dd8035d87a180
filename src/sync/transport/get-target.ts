import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';

/** Where and how a hand-signed GET of one bucket is sent: what the SDK would do for GetObject. */
export interface GetTarget {
  /** The endpoint URL for the bucket (path style: ends with the bucket; virtual-hosted: the bucket's host). */
  url: URL;
  signingName: string;
  signingRegion: string;
  /** Headers a configured endpoint asks for on every request. */
  headers: Record<string, string>;
}

interface AuthScheme {
  name?: string;
  signingName?: string;
  signingRegion?: string;
}

/**
 * Runs the SDK's own endpoint resolution for GetObject of `bucket`/`key` on `client`'s config:
 * the client's endpoint, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL / a profile's endpoint_url,
 * else AWS's; path-style or virtual-hosted as the SDK's rules decide (forcePathStyle, bucket
 * name); region and signing name from the rule's auth scheme. Returns null when the scheme is not
 * plain SigV4 (SigV4a, S3 Express): then the SDK sends the GET.
 *
 * The result does not depend on the key (the SDK's own endpoint cache leaves Key out of its cache
 * key), so callers may keep one per bucket.
 */
export async function resolveGetTarget(client: S3Client, bucket: string, key: string): Promise<GetTarget | null> {
  const config = client.config;
  // A copy, as the SDK's middleware passes one: resolution memoises a configured endpoint on it.
  const endpoint = await getEndpointFromInstructions({ Bucket: bucket, Key: key }, GetObjectCommand, { ...config });
  const schemes = (endpoint.properties?.authSchemes ?? []) as AuthScheme[];
  const scheme = schemes[0];
  if (scheme && scheme.name !== 'sigv4') return null;
  const signingRegion = scheme?.signingRegion ?? (await config.region());
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(endpoint.headers ?? {})) headers[name.toLowerCase()] = values.join(',');
  return { url: new URL(endpoint.url.toString()), signingName: scheme?.signingName ?? 's3', signingRegion, headers };
}

/** The signing time the SDK would use: this host's clock corrected by the offset the client learnt from S3. */
export function skewCorrectedNow(client: S3Client): Date {
  return new Date(Date.now() + (client.config.systemClockOffset ?? 0));
}

/**
 * As the SDK does after an answer carrying the server's time: when our clock is off by more than
 * five minutes, remember the difference (on the client, so listings use it too) so the next
 * signature is dated in the server's time. True when the offset changed.
 */
export function learnClockSkew(client: S3Client, serverDate: string | undefined): boolean {
  const serverTime = serverDate ? Date.parse(serverDate) : Number.NaN;
  if (Number.isNaN(serverTime)) return false;
  const config = client.config;
  if (Math.abs(serverTime - (Date.now() + (config.systemClockOffset ?? 0))) < 300_000) return false;
  config.systemClockOffset = serverTime - Date.now();
  return true;
}
