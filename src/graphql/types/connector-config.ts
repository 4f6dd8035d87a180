import { Kind } from 'graphql';
import type { Job } from '../../db/entities/job.entity.js';
import { builder } from '../builder.js';

const DEFAULT_MAX_DELETE_PERCENT = 50;

const BYTE_SIZE_MESSAGE = 'ByteSize must be a number or a string such as "20MiB"';

/** A byte count given as a number or with a unit (`20MiB`); validated by the service. */
export const ByteSize = builder.scalarType('ByteSize', {
  description: 'Bytes as a whole number (20971520) or a string with a unit ("20MiB", "10MB")',
  serialize: (value) => value,
  // Plain errors, not GraphQLErrors: graphql-js then adds where the value is (the variable's path,
  // the literal's location), which the error mapping turns into the field's name.
  parseValue: (value) => {
    if (typeof value === 'number' || typeof value === 'string') return value;
    throw new TypeError(BYTE_SIZE_MESSAGE);
  },
  parseLiteral: (node) => {
    if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
    if (node.kind === Kind.STRING) return node.value;
    throw new TypeError(BYTE_SIZE_MESSAGE);
  },
});

export const S3ConnectorConfig = builder.objectRef<Job>('S3ConnectorConfig').implement({
  description: "Where and what a job syncs. Credentials are write-only: only hasCredentials and accessKeyId are shown",
  fields: (t) => ({
    bucketName: t.exposeString('bucketName'),
    prefix: t.exposeString('prefix', { description: 'Key prefix synced; "" for the whole bucket' }),
    region: t.exposeString('region', { nullable: true, description: "The bucket's region; null: AWS_REGION or the AWS profile's region, else us-east-1 when an endpoint is set" }),
    endpoint: t.exposeString('endpoint', { nullable: true, description: "S3-compatible server of this job; null: the process's" }),
    forcePathStyle: t.boolean({
      nullable: true,
      description: "Path-style addressing for this job; null: the process's S3_FORCE_PATH_STYLE",
      resolve: (job) => job.forcePathStyle,
    }),
    requesterPays: t.boolean({
      description: 'The bucket is requester-pays: every request accepts the charge to this account',
      resolve: (job) => job.requesterPays === true,
    }),
    hasCredentials: t.boolean({ description: 'The job has its own static credentials', resolve: (job) => job.accessKeyId !== null }),
    accessKeyId: t.exposeString('accessKeyId', { nullable: true }),
    sseCustomerKeyMd5: t.exposeString('sseCustomerKeyMd5', {
      nullable: true,
      description: "Base64 MD5 of the job's SSE-C key, as S3 states it on each object (the key itself is never shown); null: no key",
    }),
    include: t.stringList({ description: 'Glob patterns relative to the prefix; [] syncs every key', resolve: (job) => job.includePatterns ?? [] }),
    exclude: t.stringList({ resolve: (job) => job.excludePatterns ?? [] }),
    mirrorDeletes: t.boolean({ resolve: (job) => job.mirrorDeletes === true }),
    maxDeletePercent: t.int({ resolve: (job) => job.maxDeletePercent ?? DEFAULT_MAX_DELETE_PERCENT }),
    maxConcurrency: t.int({ nullable: true, description: 'Objects in flight for this job; null: SYNC_CONCURRENCY', resolve: (job) => job.maxConcurrency }),
    bandwidthLimit: t.float({ nullable: true, description: 'Bytes per second across the job’s GETs; null: unlimited', resolve: (job) => job.bandwidthLimit }),
  }),
});

export const S3CredentialsInput = builder.inputType('S3CredentialsInput', {
  description: 'Static credentials of a job: stored encrypted under SECRETS_KEY, never returned',
  fields: (t) => ({
    accessKeyId: t.string({ required: true }),
    secretAccessKey: t.string({ required: true }),
    sessionToken: t.string(),
  }),
});

/** The per-job settings of both inputs (create and update). */
const settingsFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  region: t.string({ description: "The bucket's region" }),
  endpoint: t.string({ description: 'An S3-compatible server for this job, http(s):// URL' }),
  forcePathStyle: t.boolean({ description: 'Path-style addressing for this job' }),
  requesterPays: t.boolean({ description: 'The bucket is requester-pays: send x-amz-request-payer on every request; default false' }),
  credentials: t.field({ type: S3CredentialsInput, description: 'Static credentials; on update, null removes them' }),
  sseCustomerKey: t.string({
    description: 'The SSE-C key (base64 of 32 bytes) the objects were encrypted with: write-only, stored encrypted under SECRETS_KEY; on update, null removes it',
  }),
  include: t.stringList({ description: 'Glob patterns relative to the prefix: * within a segment, ** across, ?, [abc], {a,b}' }),
  exclude: t.stringList({ description: 'Glob patterns; a key matching any is not synced' }),
  mirrorDeletes: t.boolean({ description: 'Move local files whose object is gone (or excluded) to .dss-trash/<run id>/; default false' }),
  maxDeletePercent: t.int({ description: 'Mirror deletes remove nothing when they would remove more than this percentage of local files (0 to 100); default 50' }),
  maxConcurrency: t.int({ description: 'Objects in flight for this job (at most SYNC_CONCURRENCY)' }),
  bandwidthLimit: t.field({ type: ByteSize, description: 'Bytes per second across this job’s transfers, e.g. 20971520 or "20MiB"' }),
});

export const S3ConnectorConfigInput = builder.inputType('S3ConnectorConfigInput', {
  fields: (t) => ({
    bucketName: t.string({ required: true }),
    prefix: t.string({ description: 'Defaults to "" (the whole bucket)' }),
    ...settingsFields(t),
  }),
});

export const S3ConnectorConfigUpdateInput = builder.inputType('S3ConnectorConfigUpdateInput', {
  description: 'Fields to change; an omitted field keeps its value, null resets it to its default (not the prefix)',
  fields: (t) => ({
    prefix: t.string({ description: 'Key prefix to sync; "" for the whole bucket; null is refused' }),
    ...settingsFields(t),
  }),
});
