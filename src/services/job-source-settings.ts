import type { SecretBox } from '../config/secret-box.js';
import { sseCustomerKeyContext, sseCustomerKeyMd5, type Job } from '../db/entities/job.entity.js';
import { InputError } from './errors.js';
import { maxConcurrencyMessage, type CredentialsInput, type SourceSettingsInput } from './source-inputs.js';

export const SECRETS_KEY_REQUIRED_MESSAGE =
  'Per-job credentials and SSE-C keys are stored encrypted and need SECRETS_KEY: start the service with SECRETS_KEY set to 32 random bytes (base64 or hex, e.g. `openssl rand -base64 32`)';

/** Told when a job's connection changes or the job goes, so its cached S3 client is dropped. */
export interface ConnectorEviction {
  forget(jobId: string): void;
}

export interface SourceSettingsDeps {
  secrets: SecretBox;
  syncConcurrency: number;
}

/** What is sealed for a job: the secret parts of its credentials (the access key id is shown, so stored in clear). */
export interface SealedCredentialParts {
  secretAccessKey: string;
  sessionToken?: string | null;
}

/**
 * Copies the per-job settings in `input` onto `job`: an absent field keeps its value, null resets
 * it (null credentials remove them). Credentials are sealed with the job id as associated data.
 * Throws an InputError (nothing is changed on the row until the caller flushes) for a bad combination.
 */
export function applySourceSettings(job: Job, input: SourceSettingsInput, deps: SourceSettingsDeps, fieldPrefix = 'connectorConfig'): void {
  const concurrency = input.maxConcurrency;
  if (concurrency != null && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > deps.syncConcurrency)) {
    throw new InputError(`${fieldPrefix}.maxConcurrency`, maxConcurrencyMessage(deps.syncConcurrency));
  }
  if (input.credentials) setCredentials(job, input.credentials, deps.secrets, fieldPrefix);
  else if (input.credentials === null) {
    job.accessKeyId = null;
    job.sealedCredentials = null;
  }
  if (input.sseCustomerKey) {
    if (!deps.secrets.available) throw new InputError(`${fieldPrefix}.sseCustomerKey`, SECRETS_KEY_REQUIRED_MESSAGE);
    job.sealedSseCustomerKey = deps.secrets.seal(input.sseCustomerKey, sseCustomerKeyContext(job.id));
    job.sseCustomerKeyMd5 = sseCustomerKeyMd5(input.sseCustomerKey);
  } else if (input.sseCustomerKey === null) {
    job.sealedSseCustomerKey = null;
    job.sseCustomerKeyMd5 = null;
  }
  const set = <K extends keyof Job>(key: K, value: Job[K] | undefined) => {
    if (value !== undefined) job[key] = value;
  };
  set('region', input.region);
  set('endpoint', input.endpoint);
  set('forcePathStyle', input.forcePathStyle);
  set('requesterPays', input.requesterPays);
  set('includePatterns', patternsOrNull(input.include));
  set('excludePatterns', patternsOrNull(input.exclude));
  set('mirrorDeletes', input.mirrorDeletes);
  set('maxDeletePercent', input.maxDeletePercent);
  set('maxConcurrency', input.maxConcurrency);
  set('bandwidthLimit', input.bandwidthLimit);
}

function setCredentials(job: Job, credentials: CredentialsInput, secrets: SecretBox, fieldPrefix: string): void {
  if (!secrets.available) throw new InputError(`${fieldPrefix}.credentials`, SECRETS_KEY_REQUIRED_MESSAGE);
  const parts: SealedCredentialParts = { secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken ?? null };
  job.accessKeyId = credentials.accessKeyId;
  job.sealedCredentials = secrets.seal(JSON.stringify(parts), job.id);
}

/** An empty list is stored as null (no filter); undefined stays undefined (keep). */
function patternsOrNull(patterns: string[] | null | undefined): string[] | null | undefined {
  if (patterns === undefined) return undefined;
  return patterns?.length ? patterns : null;
}
