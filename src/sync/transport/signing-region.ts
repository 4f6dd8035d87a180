import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from '@smithy/core/config';

/**
 * The region an S3-compatible server is signed for when none is set anywhere: what `aws s3`
 * (botocore) and rclone sign with there, and what MinIO, Ceph and s3rver accept by default.
 */
export const ENDPOINT_DEFAULT_REGION = 'us-east-1';

/** No region anywhere, and AWS itself to talk to: its endpoints and signatures need one. */
export class MissingRegionError extends Error {
  override name = 'MissingRegionError';
  constructor() {
    super("no AWS region: set AWS_REGION (or region in the AWS profile), or the job's region (connector_config.region)");
  }
}

/**
 * The region of an S3 client, for its listings, HEADs and hand-signed GETs alike (they all read
 * the client's region). `configured` (the job's region, else AWS_REGION) wins; otherwise the SDK's
 * own chain (AWS_REGION, the profile's region, instance metadata) and AWS_DEFAULT_REGION as the AWS
 * CLI reads it. When that finds nothing: us-east-1 if the client has an endpoint of its own, else
 * a MissingRegionError naming the settings (the SDK's own "Region is missing" names none).
 */
export function signingRegion(configured: string | undefined, endpointConfigured: () => Promise<boolean>): string | (() => Promise<string>) {
  if (configured) return configured;
  const sdkDefault = NODE_REGION_CONFIG_OPTIONS.default;
  return loadConfig(
    {
      ...NODE_REGION_CONFIG_OPTIONS,
      environmentVariableSelector: (env) => env.AWS_REGION || env.AWS_DEFAULT_REGION,
      default: async () => {
        try {
          // The SDK's last resort: instance metadata, else it throws "Region is missing".
          return typeof sdkDefault === 'function' ? await sdkDefault() : sdkDefault;
        } catch {
          if (await endpointConfigured()) return ENDPOINT_DEFAULT_REGION;
          throw new MissingRegionError();
        }
      },
    },
    NODE_REGION_CONFIG_FILE_OPTIONS,
  );
}

/**
 * Whether `client` talks to an endpoint of its own rather than AWS's: one given to the client (the
 * job's, AWS_ENDPOINT_URL_S3, S3_ENDPOINT), or one the SDK finds itself (AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, a profile's endpoint_url; none under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).
 */
export async function hasConfiguredEndpoint(client: S3Client): Promise<boolean> {
  const { isCustomEndpoint, serviceConfiguredEndpoint } = client.config;
  return Boolean(isCustomEndpoint) || (await serviceConfiguredEndpoint?.()) !== undefined;
}
