import { createHash } from 'node:crypto';
import { BigIntType, EntitySchema, OptionalProps } from '@mikro-orm/core';
import type { ConnectorType, JobStatus } from './statuses.js';
import type { JobWebhook } from './webhook-statuses.js';

/** A job's id: a UUID, in either case (stored, and answered, in lower case). */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Job {
  [OptionalProps]?: 'status' | 'timezone' | 'prefix' | 'nextRunAt' | 'createdAt' | 'updatedAt' | 'webhooks' | keyof JobSourceSettings;

  id!: string;
  name!: string;
  connectorType!: ConnectorType;
  bucketName!: string;
  prefix = '';
  /** A named interval (`hourly`) or a 5/6-field cron expression. */
  schedule!: string;
  /** IANA zone for cron schedules; null means UTC. */
  timezone: string | null = null;
  status: JobStatus = 'SCHEDULED';
  nextRunAt: Date | null = null;
  /** Where run outcomes are POSTed (see src/notify/). */
  webhooks: JobWebhook[] = [];
  region: string | null = null;
  endpoint: string | null = null;
  forcePathStyle: boolean | null = null;
  /** The bucket is requester-pays: every request accepts the charge (null: false). */
  requesterPays: boolean | null = null;
  accessKeyId: string | null = null;
  /** `{secretAccessKey, sessionToken}` sealed by config/secret-box.ts with the job id as context; never in clear. */
  sealedCredentials: string | null = null;
  /**
   * The SSE-C key (base64 of 32 bytes) of the job's objects, sealed with `<job id>/sse-customer-key`
   * as context; never in clear.
   */
  sealedSseCustomerKey: string | null = null;
  /** Base64 MD5 of that key, as S3 states it on each answer (not a secret): shown so a user can tell which key is set. */
  sseCustomerKeyMd5: string | null = null;
  includePatterns: string[] | null = null;
  excludePatterns: string[] | null = null;
  mirrorDeletes: boolean | null = null;
  maxDeletePercent: number | null = null;
  maxConcurrency: number | null = null;
  /** Bytes per second across the job's GETs. */
  bandwidthLimit: number | null = null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();

  constructor(init: Pick<Job, 'id' | 'name' | 'connectorType' | 'bucketName' | 'schedule'> & Partial<Job>) {
    Object.assign(this, init);
  }
}

/** Base64 MD5 of an SSE-C key (base64): what S3 states on each answer and takes in the key-MD5 header. */
export function sseCustomerKeyMd5(key: string): string {
  return createHash('md5').update(Buffer.from(key, 'base64')).digest('base64');
}

/** The associated data a job's SSE-C key is sealed with: the job's own, and not its credentials'. */
export function sseCustomerKeyContext(jobId: string): string {
  return `${jobId}/sse-customer-key`;
}

/** The optional per-job settings of contract §6 (null: the process's default). */
export type JobSourceSettings = Pick<
  Job,
  | 'region'
  | 'endpoint'
  | 'forcePathStyle'
  | 'requesterPays'
  | 'accessKeyId'
  | 'sealedCredentials'
  | 'sealedSseCustomerKey'
  | 'sseCustomerKeyMd5'
  | 'includePatterns'
  | 'excludePatterns'
  | 'mirrorDeletes'
  | 'maxDeletePercent'
  | 'maxConcurrency'
  | 'bandwidthLimit'
>;

export const JobSchema = new EntitySchema<Job>({
  class: Job,
  tableName: 'jobs',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string', length: 64 },
    connectorType: { type: 'string', length: 16 },
    bucketName: { type: 'string', length: 255 },
    prefix: { type: 'text', default: '' },
    schedule: { type: 'string', length: 128 },
    timezone: { type: 'string', length: 64, nullable: true },
    status: { type: 'string', length: 16, index: true },
    nextRunAt: { type: 'datetime', nullable: true },
    webhooks: { type: 'json' },
    region: { type: 'string', length: 64, nullable: true },
    endpoint: { type: 'text', nullable: true },
    forcePathStyle: { type: 'boolean', nullable: true },
    requesterPays: { type: 'boolean', nullable: true },
    accessKeyId: { type: 'string', length: 128, nullable: true },
    sealedCredentials: { type: 'text', nullable: true, lazy: true },
    sealedSseCustomerKey: { type: 'text', nullable: true, lazy: true },
    sseCustomerKeyMd5: { type: 'string', length: 24, nullable: true },
    includePatterns: { type: 'json', nullable: true },
    excludePatterns: { type: 'json', nullable: true },
    mirrorDeletes: { type: 'boolean', nullable: true },
    maxDeletePercent: { type: 'integer', nullable: true },
    maxConcurrency: { type: 'integer', nullable: true },
    bandwidthLimit: { type: new BigIntType('number'), nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
  },
});
