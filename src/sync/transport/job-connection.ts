import type { Config } from '../../config/env.js';
import type { SecretBox } from '../../config/secret-box.js';
import { sseCustomerKeyContext, type Job } from '../../db/entities/job.entity.js';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Where and as whom a job talks to S3: the job's own settings over the process's. One value feeds
 * the SDK client and the hand-signed GET (signed-get.ts reads region, endpoint rules and credentials
 * from that same client), so listings and GETs cannot go to different places.
 */
export interface JobConnection {
  s3: Config['s3'];
  /** Undefined: the SDK's default credential chain (the process's). */
  credentials?: StaticCredentials;
  /** The SSE-C key (base64) every object GET and HEAD sends; undefined: none. */
  sseCustomerKey?: string;
  /** Equal for equal settings and credential versions (a re-sealed credential changes it). */
  cacheKey: string;
}

/** The job's stored credentials cannot be used; the run fails rather than fall back to the process's. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

export type JobConnectionFields = Pick<
  Job,
  'id' | 'region' | 'endpoint' | 'forcePathStyle' | 'requesterPays' | 'accessKeyId' | 'sealedCredentials' | 'sealedSseCustomerKey'
>;

export function resolveJobConnection(job: JobConnectionFields, processS3: Config['s3'], secrets: SecretBox): JobConnection {
  const s3 = {
    region: job.region ?? processS3.region,
    endpoint: job.endpoint ?? processS3.endpoint,
    forcePathStyle: job.forcePathStyle ?? processS3.forcePathStyle,
    verifyMultipartEtag: processS3.verifyMultipartEtag,
    requesterPays: job.requesterPays === true,
  };
  const cacheKey = JSON.stringify([
    s3.region ?? null,
    s3.endpoint ?? null,
    s3.forcePathStyle,
    s3.requesterPays,
    job.accessKeyId,
    job.sealedCredentials,
    job.sealedSseCustomerKey ?? null,
  ]);
  return {
    s3,
    cacheKey,
    ...(job.sealedCredentials && job.accessKeyId ? { credentials: openCredentials(job, secrets) } : {}),
    ...(job.sealedSseCustomerKey ? { sseCustomerKey: openSseCustomerKey(job.sealedSseCustomerKey, job.id, secrets) } : {}),
  };
}

function openSseCustomerKey(sealed: string, jobId: string, secrets: SecretBox): string {
  if (!secrets.available) throw new ConnectionError("the job's SSE-C key is stored encrypted but SECRETS_KEY is not set");
  try {
    return secrets.open(sealed, sseCustomerKeyContext(jobId));
  } catch {
    throw new ConnectionError("the job's SSE-C key does not decrypt with this SECRETS_KEY");
  }
}

function openCredentials(job: JobConnectionFields, secrets: SecretBox): StaticCredentials {
  if (!secrets.available) {
    throw new ConnectionError("the job's credentials are stored encrypted but SECRETS_KEY is not set; no other credentials are used");
  }
  let parts: { secretAccessKey?: unknown; sessionToken?: unknown };
  try {
    parts = JSON.parse(secrets.open(job.sealedCredentials!, job.id)) as typeof parts;
  } catch {
    throw new ConnectionError("the job's credentials do not decrypt with this SECRETS_KEY; no other credentials are used");
  }
  if (typeof parts.secretAccessKey !== 'string') throw new ConnectionError("the job's stored credentials are malformed");
  return {
    accessKeyId: job.accessKeyId!,
    secretAccessKey: parts.secretAccessKey,
    ...(typeof parts.sessionToken === 'string' ? { sessionToken: parts.sessionToken } : {}),
  };
}
