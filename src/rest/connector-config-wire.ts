import type { Job } from '../db/entities/job.entity.js';
import { InputError } from '../services/errors.js';

/** REST `connector_config` names of the per-job settings (contract §6) → the service's (GraphQL) names. */
const SETTING_NAMES = {
  region: 'region',
  endpoint_url: 'endpoint',
  force_path_style: 'forcePathStyle',
  requester_pays: 'requesterPays',
  sse_customer_key: 'sseCustomerKey',
  include: 'include',
  exclude: 'exclude',
  mirror_deletes: 'mirrorDeletes',
  max_delete_percent: 'maxDeletePercent',
  max_concurrency: 'maxConcurrency',
  bandwidth_limit: 'bandwidthLimit',
} as const;

const CREDENTIAL_NAMES = ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'] as const;

/**
 * The per-job settings of a REST `connector_config`, in the service's names. Credentials: the
 * three `aws_*` keys together; `aws_access_key_id: null` removes them (on update).
 */
export function settingsFromWire(config: Record<string, unknown>): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [wire, name] of Object.entries(SETTING_NAMES)) {
    if (Object.hasOwn(config, wire)) settings[name] = config[wire];
  }
  if (CREDENTIAL_NAMES.some((key) => Object.hasOwn(config, key))) {
    if (config.aws_access_key_id === null && config.aws_secret_access_key == null) settings.credentials = null;
    else {
      settings.credentials = {
        accessKeyId: config.aws_access_key_id,
        secretAccessKey: config.aws_secret_access_key,
        sessionToken: config.aws_session_token,
      };
    }
  }
  return settings;
}

/** Keys allowed in `connector_config` on update (everything but the bucket). */
export function updatableConfig(raw: unknown, invalidMessage: string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('connector_config', invalidMessage);
  const config = raw as Record<string, unknown>;
  const allowed = new Set<string>(['prefix', ...Object.keys(SETTING_NAMES), ...CREDENTIAL_NAMES]);
  const other = Object.keys(config).find((key) => !allowed.has(key));
  if (other) throw new InputError('connector_config', `Invalid connector config, '${other}' cannot be updated`);
  return { prefix: config.prefix, ...settingsFromWire(config) };
}

/**
 * The job's connector config as REST shows it: the old `{bucket_name, prefix}` plus only the per-job
 * settings that are set (so a job without them keeps the old service's exact shape). Credentials
 * show as `has_credentials: true` and the access key id, never a secret.
 */
export function toWireConnectorConfig(job: Job) {
  const settings = {
    region: job.region,
    endpoint_url: job.endpoint,
    force_path_style: job.forcePathStyle,
    requester_pays: job.requesterPays,
    ...(job.accessKeyId !== null ? { has_credentials: true, aws_access_key_id: job.accessKeyId } : {}),
    sse_customer_key_md5: job.sseCustomerKeyMd5,
    include: job.includePatterns,
    exclude: job.excludePatterns,
    mirror_deletes: job.mirrorDeletes,
    max_delete_percent: job.maxDeletePercent ?? (job.mirrorDeletes ? 50 : null),
    max_concurrency: job.maxConcurrency,
    bandwidth_limit: job.bandwidthLimit,
  };
  const set = Object.entries(settings).filter(([, value]) => value !== null && value !== undefined);
  return { bucket_name: job.bucketName, prefix: job.prefix, ...Object.fromEntries(set) };
}
