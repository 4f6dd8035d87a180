import { BigIntType, EntitySchema, OptionalProps } from '@mikro-orm/core';
import { Job } from './job.entity.js';
import type { RunStatus, RunTrigger } from './statuses.js';

export class SyncRun {
  [OptionalProps]?:
    | 'status'
    | 'startedAt'
    | 'finishedAt'
    | 'objectsTotal'
    | 'objectsDone'
    | 'objectsFailed'
    | 'objectsSkipped'
    | 'bytesTotal'
    | 'bytesDone'
    | 'error'
    | 'skippedCount'
    | 'createdAt'
    | 'scheduledFor'
    | 'instanceId'
    | 'leaseOwner'
    | 'leaseExpiresAt'
    | 'cancelRequestedAt'
    | 'sharesWork'
    | 'listAfter'
    | 'listingComplete'
    | 'deletesBlocked'
    | 'webhooksEnqueuedAt';

  id!: number;
  /** The owning job's id (a relation mapped to its key); rows go with the job by a foreign-key cascade. */
  jobId!: string;
  trigger!: RunTrigger;
  status: RunStatus = 'RUNNING';
  startedAt: Date | null = null;
  finishedAt: Date | null = null;
  objectsTotal = 0;
  /** Objects that ended PROCESSED or SKIPPED in this run, including unchanged ones. */
  objectsDone = 0;
  objectsFailed = 0;
  objectsSkipped = 0;
  bytesTotal = 0;
  bytesDone = 0;
  error: string | null = null;
  /**
   * SKIPPED rows only: how many consecutive skipped ticks this row stands for (startedAt is the first,
   * finishedAt the last); 0 for runs that ran.
   */
  skippedCount = 0;
  /** The last key whose listing page is recorded: a resumed run lists after it (null: from the start). */
  listAfter: string | null = null;
  /** The whole prefix was listed without error (possibly across a crash and a resume); false once a page is recorded, null before. */
  listingComplete: boolean | null = null;
  createdAt: Date = new Date();
  /** The due time this run is for (unique per job): the schedule's time, the job's creation for its first run, or a manual trigger's moment. */
  scheduledFor: Date | null = null;
  /** The instance that started the run, or the last one that took it over. */
  instanceId: string | null = null;
  /** The instance that may work on the run while `leaseExpiresAt` is in the future. */
  leaseOwner: string | null = null;
  leaseExpiresAt: Date | null = null;
  /** Set by a cancel asked through another instance than the lease holder; the holder stops the run. */
  cancelRequestedAt: Date | null = null;
  /**
   * The run's objects are claimed, so other instances may help (work sharing, on PostgreSQL); false
   * while `npm run sync` holds it: it fetches from its own listing.
   */
  sharesWork = true;
  /** Mirror deletes refused to remove files: the refusal (how many and why), sent as DELETES_BLOCKED's `error`. */
  deletesBlocked: string | null = null;
  /**
   * When the webhook deliveries of the run's end were queued (in the transaction that inserted them),
   * or found to be none; null until then, so that a process dying in between leaves the run to the sweep.
   */
  webhooksEnqueuedAt: Date | null = null;

  constructor(init: Pick<SyncRun, 'jobId' | 'trigger'> & Partial<SyncRun>) {
    Object.assign(this, init);
  }
}

export const SyncRunSchema = new EntitySchema<SyncRun>({
  class: SyncRun,
  tableName: 'sync_runs',
  indexes: [{ properties: ['jobId', 'id'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    jobId: { kind: 'm:1', entity: () => Job, mapToPk: true, fieldName: 'job_id', deleteRule: 'cascade' },
    trigger: { type: 'string', length: 16 },
    status: { type: 'string', length: 16 },
    startedAt: { type: 'datetime', nullable: true },
    finishedAt: { type: 'datetime', nullable: true },
    objectsTotal: { type: 'integer' },
    objectsDone: { type: 'integer' },
    objectsFailed: { type: 'integer' },
    objectsSkipped: { type: 'integer' },
    bytesTotal: { type: new BigIntType('number') },
    bytesDone: { type: new BigIntType('number') },
    error: { type: 'text', nullable: true },
    skippedCount: { type: 'integer' },
    listAfter: { type: 'text', nullable: true },
    listingComplete: { type: 'boolean', nullable: true },
    createdAt: { type: 'datetime' },
    scheduledFor: { type: 'datetime', nullable: true },
    instanceId: { type: 'string', length: 128, nullable: true },
    leaseOwner: { type: 'string', length: 128, nullable: true },
    leaseExpiresAt: { type: 'datetime', nullable: true },
    cancelRequestedAt: { type: 'datetime', nullable: true },
    sharesWork: { type: 'boolean', default: true },
    deletesBlocked: { type: 'text', nullable: true },
    webhooksEnqueuedAt: { type: 'datetime', nullable: true },
  },
});
