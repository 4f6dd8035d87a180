import { BigIntType, EntitySchema, OptionalProps } from '@mikro-orm/core';
import { Job } from './job.entity.js';
import type { ObjectStatus } from './statuses.js';

export class SyncObject {
  [OptionalProps]?:
    | 'lastPosition'
    | 'status'
    | 'etag'
    | 'lastModified'
    | 'checksum'
    | 'checksumAlgorithms'
    | 'localPath'
    | 'error'
    | 'runId'
    | 'listedRunId'
    | 'createdAt'
    | 'updatedAt'
    | 'instanceId'
    | 'claimOwner'
    | 'claimExpiresAt';

  id!: number;
  jobId!: string;
  /** The full S3 key, up to 1,024 bytes of any Unicode. */
  key!: string;
  size!: number;
  etag: string | null = null;
  lastModified: Date | null = null;
  /** `<ALGORITHM>:<base64 value>` when S3 offered a full-object checksum. */
  checksum: string | null = null;
  /** The checksum algorithms the listing reported for this version, comma-separated (null: none). */
  checksumAlgorithms: string | null = null;
  /** Bytes committed to the `.partial` file: the exclusive end of the contiguous prefix. */
  lastPosition = 0;
  status: ObjectStatus = 'PENDING';
  /** Absolute path of the final file, set once the object has a local file. */
  localPath: string | null = null;
  error: string | null = null;
  /** The run that last touched the object. */
  runId: number | null = null;
  /** The last run whose listing contained the key (and whose filters kept it). */
  listedRunId: number | null = null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
  /** The instance that last worked on the object. */
  instanceId: string | null = null;
  /** The instance working on the object now (work sharing), while `claimExpiresAt` is in the future. */
  claimOwner: string | null = null;
  claimExpiresAt: Date | null = null;

  constructor(init: Pick<SyncObject, 'jobId' | 'key' | 'size'> & Partial<SyncObject>) {
    Object.assign(this, init);
  }
}

export const SyncObjectSchema = new EntitySchema<SyncObject>({
  class: SyncObject,
  tableName: 'sync_objects',
  uniques: [{ properties: ['jobId', 'key'] }],
  indexes: [{ properties: ['jobId', 'status', 'id'] }, { properties: ['jobId', 'id'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    jobId: { kind: 'm:1', entity: () => Job, mapToPk: true, fieldName: 'job_id', deleteRule: 'cascade' },
    key: { type: 'text', fieldName: 'object_key' },
    size: { type: new BigIntType('number') },
    etag: { type: 'string', length: 255, nullable: true },
    lastModified: { type: 'datetime', nullable: true },
    checksum: { type: 'string', length: 255, nullable: true },
    checksumAlgorithms: { type: 'string', length: 64, nullable: true },
    lastPosition: { type: new BigIntType('number') },
    status: { type: 'string', length: 16 },
    localPath: { type: 'text', nullable: true },
    error: { type: 'text', nullable: true },
    runId: { type: 'integer', nullable: true },
    listedRunId: { type: 'integer', nullable: true, fieldName: 'listed_run_id' },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
    instanceId: { type: 'string', length: 128, nullable: true },
    claimOwner: { type: 'string', length: 128, nullable: true, fieldName: 'claim_owner' },
    claimExpiresAt: { type: 'datetime', nullable: true, fieldName: 'claim_expires_at' },
  },
});
