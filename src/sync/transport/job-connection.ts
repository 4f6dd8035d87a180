import type { Config } from '../../config/env.js';
import { isHostAllowed } from '../../config/host-list.js';
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
  const ownCredentials = Boolean(job.sealedCredentials && job.accessKeyId);
  if (job.endpoint && !ownCredentials && !mayReceiveProcessCredentials(job.endpoint, processS3)) {
    throw new ConnectionError(
      `the job's endpoint ${new URL(job.endpoint).host} gets no credentials of this process (only AWS, the process's own endpoint and S3_ENDPOINT_ALLOWED_HOSTS do): give the job credentials of its own, or list the host in S3_ENDPOINT_ALLOWED_HOSTS`,
    );
  }
  return {
    s3,
    cacheKey,
    ...(ownCredentials ? { credentials: openCredentials(job, secrets) } : {}),
    ...(job.sealedSseCustomerKey ? { sseCustomerKey: openSseCustomerKey(job.sealedSseCustomerKey, job.id, secrets) } : {}),
  };
}

/** S3's own host names (regional, dual-stack, FIPS, access points, S3 interface endpoints), not every *.amazonaws.com name. */
const AWS_S3_HOST =
  /^(?:[a-z0-9-]+\.)*(?:s3|s3-fips|s3-accesspoint|s3-external-1|s3-[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)(?:\.dualstack|\.accesspoint|-fips)?(?:\.[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)?(?:\.vpce)?\.amazonaws\.com(?:\.cn)?$/;

/**
 * Whether a job's own endpoint may be signed with the process's credentials (its role or AWS_*
 * variables): whoever can create jobs chooses endpoints, and every listing and GET would hand that
 * server the access key id and session token. AWS's own hosts, the process's endpoint (same host and
 * port) and the hosts of S3_ENDPOINT_ALLOWED_HOSTS may.
 */
function mayReceiveProcessCredentials(endpoint: string, processS3: Config['s3']): boolean {
  const url = new URL(endpoint);
  const hostname = url.hostname.toLowerCase();
  // S3's own hosts only: other *.amazonaws.com names (EC2 public DNS, ELB, API Gateway) are servers anyone can rent.
  if (url.protocol === 'https:' && AWS_S3_HOST.test(hostname)) return true;
  // Same scheme, host and port (URL.host drops a default port, so compare the origin).
  if (processS3.endpoint && URL.canParse(processS3.endpoint) && new URL(processS3.endpoint).origin === url.origin) return true;
  return processS3.endpointAllowedHosts != null && isHostAllowed(hostname, processS3.endpointAllowedHosts);
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
