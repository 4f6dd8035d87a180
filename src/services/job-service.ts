import { randomUUID } from 'node:crypto';
import type { FilterQuery } from '@mikro-orm/core';
import { DEFAULT_MIN_SCHEDULE_INTERVAL_MS } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import { databaseNow } from '../db/database-clock.js';
import { wroteAfterCommit } from '../db/database-outage.js';
import { Job } from '../db/entities/job.entity.js';
import type { JobStatus } from '../db/entities/statuses.js';
import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { deleteJobs } from '../db/job-deletion.js';
import type { JobRunner } from '../scheduler/job-runner-types.js';
import { JobGoneError } from '../scheduler/job-gone-error.js';
import { applySourceSettings, type ConnectorEviction, type SourceSettingsDeps } from './job-source-settings.js';
import { checkSchedule, createJobInput, parseInput } from './inputs.js';
import { cleanUpDeletedJobFiles, parsePurgeFiles, type DeleteOptions } from './job-files-cleanup.js';
import { findJob, findLastRuns, jobNotFound, orInHandWhenDatabaseGone, requireJob } from './job-lookup.js';
import { webhooksOf } from './webhook-inputs.js';
import type { OffsetPage } from './object-service.js';
import { decodeCursor, encodeCursor, pageOffset, pageSize, toPage, type Page, type PageArgs } from './pagination.js';
import { checkScheduleInterval } from './schedule-limits.js';

export interface JobServiceDeps extends SourceSettingsDeps {
  orm: Orm;
  runner: JobRunner;
  defaultPageSize: number;
  webhookAllowedHosts?: readonly string[] | null;
  minScheduleIntervalMs?: number;
  downloadRoot?: string;
  logger?: Logger;
  connectors: ConnectorEviction;
  onJobsDeleted?: (jobIds: string[]) => void;
}

const jobCursor = (job: Job) => encodeCursor('jobs', [job.createdAt.getTime(), job.id]);

/** Rethrows `error` unless it is the runner's JobGoneError: the job was deleted by another request after it was stored. */
function unlessJobGone(error: unknown): void {
  if (!(error instanceof JobGoneError)) throw error;
}

export function createJobService({
  orm,
  onJobsDeleted,
  runner,
  defaultPageSize,
  webhookAllowedHosts = null,
  minScheduleIntervalMs = DEFAULT_MIN_SCHEDULE_INTERVAL_MS,
  connectors,
  ...files
}: JobServiceDeps) {
  const settingsDeps: SourceSettingsDeps = files;
  const get = (rawId: unknown, field = 'id'): Promise<Job | null> => findJob(orm, rawId, field);
  const require = (rawId: unknown, field = 'id'): Promise<Job> => requireJob(orm, rawId, field);

  /**
   * The job's row is committed, owing its first run: the create answers with it, and the run starts
   * now or once the database answers, on this instance or, if this one is gone by then, another.
   */
  async function startFirstRun(job: Job): Promise<void> {
    if (await wroteAfterCommit(() => runner.startFirstRun(job).catch(unlessJobGone))) return;
    files.logger?.warn({ jobId: job.id }, 'database locked or unreachable: the new job is stored, its first run starts once the database answers');
  }

  return {
    get,
    require,

    /** Validates, stores and schedules a job; its first run starts right away unless it is created paused. */
    async create(raw: unknown): Promise<Job> {
      const input = parseInput(createJobInput, raw);
      checkSchedule(input.schedule, input.timezone);
      checkScheduleInterval(input.schedule, input.timezone, minScheduleIntervalMs, new Date());
      const webhooks = webhooksOf(raw, webhookAllowedHosts) ?? [];
      // The database's time, as the scheduler's: an interval schedule counts from the creation.
      const createdAt = databaseNow(orm);
      const job = new Job({
        id: randomUUID(),
        name: input.name,
        connectorType: input.connectorType,
        bucketName: input.connectorConfig.bucketName,
        prefix: input.connectorConfig.prefix,
        schedule: input.schedule,
        timezone: input.timezone || null,
        status: input.paused ? 'PAUSED' : 'SCHEDULED',
        // Due at its creation: the first run is owed from the insert on, whatever becomes of this process.
        nextRunAt: input.paused ? null : createdAt,
        webhooks,
        createdAt,
        updatedAt: createdAt,
      });
      applySourceSettings(job, input.connectorConfig, settingsDeps);
      await orm.em.fork().persistAndFlush(job);
      if (!input.paused) await startFirstRun(job);
      // Deleted meanwhile by another request: the create answers as if it had finished just before.
      // The database gone since the insert: the job as stored (a "try again" would create a second one).
      const stored = await orInHandWhenDatabaseGone(get(job.id), () => job);
      return stored ?? job;
    },

    async list(args: PageArgs & { status?: JobStatus | null } = {}): Promise<Page<Job>> {
      const size = pageSize(args.first, defaultPageSize);
      const em = orm.em.fork();
      const where: FilterQuery<Job> = args.status ? { status: args.status } : {};
      let keyset: FilterQuery<Job> = {};
      if (args.after) {
        const [at, id] = decodeCursor(args.after, 'jobs', ['timestamp', 'string'] as const);
        keyset = { $or: [{ createdAt: { $gt: at } }, { createdAt: at, id: { $gt: id } }] };
      }
      const [rows, totalCount] = await Promise.all([
        em.find(Job, { $and: [where, keyset] }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: size + 1 }),
        em.count(Job, where),
      ]);
      return toPage(rows, size, totalCount, args.after, jobCursor);
    },

    /** One page of jobs, oldest first, by limit and offset (the REST list route with `limit`/`offset`). */
    async listByOffset(limit: number | undefined, offset: number | undefined): Promise<OffsetPage<Job>> {
      const size = pageSize(limit ?? null, defaultPageSize, 'limit');
      const skip = pageOffset(offset);
      const em = orm.em.fork();
      const [nodes, totalCount] = await Promise.all([
        em.find(Job, {}, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: size, offset: skip }),
        em.count(Job, {}),
      ]);
      return { totalCount, limit: size, offset: skip, nodes };
    },

    /** Every job, oldest first (the REST list route's shape). */
    async listAll(): Promise<Job[]> {
      return orm.em.fork().find(Job, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
    },

    /**
     * Stops the schedule, cancels a running sync at its next chunk boundary (and waits for it),
     * removes the job's rows and its partial downloads; with `purgeFiles`, its downloaded files too.
     */
    async delete(rawId: unknown, field = 'id', options: DeleteOptions = {}): Promise<string> {
      const purge = parsePurgeFiles(options);
      const job = await require(rawId, field);
      runner.unschedule(job.id);
      await runner.cancel(job.id);
      // Another request may have deleted it while this one waited for the run to stop.
      if ((await deleteJobs(orm, [job.id])) === 0) throw jobNotFound();
      onJobsDeleted?.([job.id]);
      connectors.forget(job.id);
      await cleanUpDeletedJobFiles(files, [job.id], purge);
      return job.id;
    },

    /** The most recent run that did work (SKIPPED ticks are not), for many jobs at once (GraphQL batches a page into one call). */
    lastRuns: (jobIds: readonly string[]): Promise<Map<string, SyncRun>> => findLastRuns(orm, jobIds),
  };
}

export type JobService = ReturnType<typeof createJobService>;
