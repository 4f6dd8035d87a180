import { DEFAULT_MIN_SCHEDULE_INTERVAL_MS } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import { wroteAfterCommit, whileDatabaseDown } from '../db/database-outage.js';
import { Job } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { deleteJobs } from '../db/job-deletion.js';
import { inPlainTransaction } from '../db/plain-transaction.js';
import { STOPPING_FOR_SCOPE_CHANGE } from '../sync/local/job-scope.js';
import { STOPPING_FOR_PAUSE, type JobRunner } from '../scheduler/job-runner-types.js';
import { settleJobStatus, statusFromRuns } from '../scheduler/job-status.js';
import { ConflictError, InputError } from './errors.js';
import { parseJobId } from './ids.js';
import { createScopeChange } from './job-scope-change.js';
import { applySourceSettings, type ConnectorEviction, type SourceSettingsDeps } from './job-source-settings.js';
import { checkSchedule, parseInput, updateJobInput } from './inputs.js';
import { cleanUpDeletedJobFiles, parsePurgeFiles, type DeleteOptions } from './job-files-cleanup.js';
import { findLastRun, jobNotFound, orInHandWhenDatabaseGone, requireJob, rethrowJobGoneAsNotFound } from './job-lookup.js';
import { webhooksOf } from './webhook-inputs.js';
import { checkScheduleInterval } from './schedule-limits.js';

export interface JobLifecycleServiceDeps extends SourceSettingsDeps {
  orm: Orm;
  runner: JobRunner;
  webhookAllowedHosts?: readonly string[] | null;
  minScheduleIntervalMs?: number;
  databaseOutageWaitMs?: number;
  downloadRoot?: string;
  logger?: Logger;
  connectors: ConnectorEviction;
  onJobsDeleted?: (jobIds: string[]) => void;
}

export const MAX_BULK_IDS = 1000;

/** Update, pause, resume, run-now, cancel and bulk delete: the operations on a job's life after creation. */
export function createJobLifecycleService({
  orm,
  onJobsDeleted,
  runner,
  webhookAllowedHosts = null,
  minScheduleIntervalMs = DEFAULT_MIN_SCHEDULE_INTERVAL_MS,
  databaseOutageWaitMs,
  connectors,
  ...files
}: JobLifecycleServiceDeps) {
  const settingsDeps: SourceSettingsDeps = files;
  const load = (rawId: unknown, field: string) => requireJob(orm, rawId, field);
  /** The job as it is after a change; deleted meanwhile (another request), it is not found. */
  const reload = (id: string) => requireJob(orm, id, 'id');
  /**
   * reload after a change whose first write is committed; the database gone since, the job in hand
   * with what the change wrote (a 503 would have the client repeat that write).
   */
  const readBack = (job: Job, written: Partial<Pick<Job, 'status' | 'nextRunAt'>>) => orInHandWhenDatabaseGone(reload(job.id), () => Object.assign(job, written));

  const readJobAndLastRun = async (id: string) => ({ job: await reload(id), run: await findLastRun(orm, id) });

  const applyNewScope = createScopeChange({ orm, runner, downloadRoot: files.downloadRoot, logger: files.logger, databaseOutageWaitMs });

  /**
   * PAUSED, and the job's RUNNING runs marked and asked to stop, in one transaction: whatever becomes
   * of this request, the holder's heartbeat stops the run, and a process gone before it stops closes
   * it at its next start (or another instance's takeover does) rather than resuming it. False when
   * the job is gone.
   */
  function markPaused(jobId: string): Promise<boolean> {
    return inPlainTransaction(orm, async (em) => {
      if ((await em.nativeUpdate(Job, { id: jobId }, { status: 'PAUSED', nextRunAt: null, updatedAt: new Date() })) === 0) return false;
      await em.nativeUpdate(SyncRun, { jobId, status: 'RUNNING' }, { error: STOPPING_FOR_PAUSE, cancelRequestedAt: new Date() });
      return true;
    });
  }

  /** Whether a pause's run is still RUNNING. */
  async function stillStoppingForPause(jobId: string): Promise<boolean> {
    return (await orm.em.fork().count(SyncRun, { jobId, status: 'RUNNING', error: STOPPING_FOR_PAUSE })) > 0;
  }

  /**
   * A resume's status or an update's schedule is committed, so it answers with the job (a resume's
   * retry would be told 409, an update's would find the schedule planned already): the schedule is
   * registered now and its next run time stored once the database answers. A pause or a delete
   * meanwhile drops it again (the store finds the job paused or gone).
   */
  function scheduleOnceDatabaseAnswers(job: Job): void {
    files.logger?.warn({ jobId: job.id }, 'database locked or unreachable: the job is changed, its next run time is stored once the database answers');
    // A copy: the answer shows the next run time as stored, not as planned here meanwhile.
    void whileDatabaseDown(() => runner.schedule({ ...job }), { maxWaitMs: databaseOutageWaitMs }).catch((err: unknown) => files.logger?.warn({ err, jobId: job.id }, 'could not store the next run time of a changed job'));
  }

  return {
    /**
     * Changes name, schedule, timezone, prefix or webhooks (a list replaces the job's list; [] removes
     * them); a new schedule is registered at once (next run recomputed). A new prefix cancels a sync in
     * progress and starts a new run with it (trigger UPDATE), and the rows of keys outside the new
     * prefix are deleted (their files stay).
     */
    async update(rawId: unknown, raw: unknown, field = 'id'): Promise<Job> {
      const id = parseJobId(rawId, field);
      const input = parseInput(updateJobInput, raw ?? {});
      const webhooks = webhooksOf(raw, webhookAllowedHosts);
      const em = orm.em.fork();
      const job = await em.findOne(Job, { id });
      if (!job) throw jobNotFound();
      const before = updatableFieldsOf(job);
      const schedule = input.schedule ?? job.schedule;
      // An explicit null or "" clears the timezone (UTC); an absent one keeps it.
      const timezone = input.timezone === undefined ? job.timezone : input.timezone || null;
      const timingChanged = schedule !== job.schedule || timezone !== job.timezone;
      const storedNextRunAt = job.nextRunAt;
      if (timingChanged) {
        checkSchedule(schedule, timezone);
        checkScheduleInterval(schedule, timezone, minScheduleIntervalMs, new Date());
      }
      const prefix = input.prefix ?? input.connectorConfig?.prefix;
      const filtersBefore = JSON.stringify([job.includePatterns, job.excludePatterns]);
      const prefixChanged = prefix != null && prefix !== job.prefix;
      if (input.name != null) job.name = input.name;
      if (prefix != null) job.prefix = prefix;
      if (input.connectorConfig) applySourceSettings(job, input.connectorConfig, settingsDeps);
      const scopeChanged = prefixChanged || filtersBefore !== JSON.stringify([job.includePatterns, job.excludePatterns]);
      if (webhooks) job.webhooks = webhooks;
      job.schedule = schedule;
      job.timezone = timezone;
      // Only what this update changed is written: a flush would write the row back whole (next_run_at
      // included, which a tick, a pause or a resume may have moved meanwhile).
      const changed = changedFields(before, updatableFieldsOf(job));
      // Before the new scope: a process gone between the two ends the run at its next start, where
      // resuming it would list the new prefix from the old one's position.
      if (scopeChanged) await em.nativeUpdate(SyncRun, { jobId: id, status: 'RUNNING' }, { error: STOPPING_FOR_SCOPE_CHANGE });
      if (changed && (await em.nativeUpdate(Job, { id }, { ...changed, updatedAt: new Date() })) === 0) throw jobNotFound();
      connectors.forget(id);
      // The row is committed: the steps below wait for the database up to a second, then are left for later.
      const scheduled = !(timingChanged && job.status !== 'PAUSED') || (await wroteAfterCommit(() => runner.schedule(job)));
      if (!scheduled) scheduleOnceDatabaseAnswers(job);
      if (scopeChanged) await applyNewScope(job);
      return readBack(job, { nextRunAt: scheduled ? job.nextRunAt : storedNextRunAt });
    },

    /**
     * Stops the schedule and cancels a run in progress at its next chunk boundary. A paused job is a
     * conflict, unless the run its pause was stopping still goes: then the pause is done again.
     */
    async pause(rawId: unknown, field = 'id'): Promise<Job> {
      const job = await load(rawId, field);
      if (job.status === 'PAUSED') {
        // An earlier pause was cut short (its client told to try again): this one finishes it.
        if (!(await stillStoppingForPause(job.id))) throw new ConflictError('Job is already paused');
      } else if (!(await markPaused(job.id))) {
        throw jobNotFound();
      }
      // The row first: a schedule registered meanwhile (an update's) is then dropped by the unschedule.
      runner.unschedule(job.id);
      // PAUSED and the stop request are committed: a run not reached now stops at its holder's next heartbeat.
      if (!(await wroteAfterCommit(() => runner.cancel(job.id)))) files.logger?.warn({ jobId: job.id }, 'database locked or unreachable: the job is paused, its run stops once the database answers');
      return readBack(job, { status: 'PAUSED', nextRunAt: null });
    },

    /** Registers the schedule again; the next run is the next scheduled time (no immediate run). */
    async resume(rawId: unknown, field = 'id'): Promise<Job> {
      const job = await load(rawId, field);
      if (job.status !== 'PAUSED') throw new ConflictError('Job is not paused');
      // Deleted meanwhile: no schedule for a job that is gone.
      if ((await orm.em.fork().nativeUpdate(Job, { id: job.id }, { status: statusFromRuns(job.id, 'SCHEDULED'), updatedAt: new Date() })) === 0) throw jobNotFound();
      // Decided again now that the job is no longer paused: a run whose end was recorded while the
      // write above waited for the row found the job paused and left it alone, and on PostgreSQL
      // that write still read the run as RUNNING. A run end recorded after it sets its own status.
      const settled = await wroteAfterCommit(() => settleJobStatus(orm, job.id, 'keepEnded'));
      const scheduled = settled && (await wroteAfterCommit(() => runner.schedule(job)));
      if (!scheduled) scheduleOnceDatabaseAnswers(job);
      // What statusFromRuns decides, as far as this instance knows its runs.
      const status = runner.isRunning(job.id) ? 'RUNNING' : 'SCHEDULED';
      return readBack(job, { status, nextRunAt: scheduled ? job.nextRunAt : null });
    },

    /** Runs the job now (also when paused); a run already in progress makes this a recorded SKIPPED run. */
    async trigger(rawId: unknown, field = 'id'): Promise<{ job: Job; run: SyncRun }> {
      const job = await load(rawId, field);
      const run = await runner.trigger(job.id, 'MANUAL').catch(rethrowJobGoneAsNotFound);
      // A run started marks its job RUNNING unless the job is paused; a SKIPPED one leaves it as it was.
      const status = run.status === 'RUNNING' && job.status !== 'PAUSED' ? 'RUNNING' : job.status;
      return { job: await readBack(job, { status }), run };
    },

    /** Cancels the run in progress at its next chunk boundary (checkpoints stay) and waits for it to stop. */
    async cancelRun(rawJobId: unknown, field = 'jobId'): Promise<{ job: Job; run: SyncRun | null }> {
      const job = await load(rawJobId, field);
      // The run as it goes: the answer when the database is gone once the cancel is done.
      const running = await findLastRun(orm, job.id);
      if (!(await runner.cancel(job.id))) throw new ConflictError('Job has no run in progress');
      // The run is stopped or asked to stop: a 503's retry would be told 409, no run in progress.
      return orInHandWhenDatabaseGone(readJobAndLastRun(job.id), () => ({ job, run: running }));
    },

    /**
     * Deletes several jobs: every id is checked first and one malformed id deletes nothing. Running
     * syncs are cancelled; partial downloads are removed, downloaded files too with `purgeFiles`.
     * Unknown ids are reported, not an error.
     */
    async deleteMany(
      rawIds: unknown,
      field = 'ids',
      options: DeleteOptions = {},
    ): Promise<{ deletedJobIds: string[]; unknownJobIds: string[] }> {
      const purge = parsePurgeFiles(options);
      if (!Array.isArray(rawIds)) throw new InputError(field, `${field} must be a list of job IDs`);
      if (rawIds.length > MAX_BULK_IDS) throw new InputError(field, `${field} may hold at most ${MAX_BULK_IDS} job IDs`);
      const ids = [...new Set(rawIds.map((raw, i) => parseJobIdAt(raw, field, i)))];
      const em = orm.em.fork();
      const found = new Set((await em.find(Job, { id: { $in: ids } }, { fields: ['id'] })).map((j) => j.id));
      const deletedJobIds = ids.filter((id) => found.has(id));
      for (const id of deletedJobIds) runner.unschedule(id);
      await Promise.all(deletedJobIds.map((id) => runner.cancel(id)));
      await deleteJobs(orm, deletedJobIds);
      onJobsDeleted?.(deletedJobIds);
      await cleanUpDeletedJobFiles(files, deletedJobIds, purge);
      for (const id of deletedJobIds) connectors.forget(id);
      return { deletedJobIds, unknownJobIds: ids.filter((id) => !found.has(id)) };
    },
  };
}

function parseJobIdAt(raw: unknown, field: string, index: number): string {
  try {
    return parseJobId(raw, `${field}.${index}`);
  } catch {
    throw new InputError(`${field}.${index}`, `Invalid job ID: ${field}[${index}]`);
  }
}

export type JobLifecycleService = ReturnType<typeof createJobLifecycleService>;

/** The columns an update may change. */
const UPDATABLE_FIELDS = [
  'name',
  'prefix',
  'schedule',
  'timezone',
  'webhooks',
  'region',
  'endpoint',
  'forcePathStyle',
  'requesterPays',
  'accessKeyId',
  'sealedCredentials',
  'sealedSseCustomerKey',
  'sseCustomerKeyMd5',
  'includePatterns',
  'excludePatterns',
  'mirrorDeletes',
  'maxDeletePercent',
  'maxConcurrency',
  'bandwidthLimit',
] as const satisfies ReadonlyArray<keyof Job>;

type UpdatableFields = Pick<Job, (typeof UPDATABLE_FIELDS)[number]>;

function updatableFieldsOf(job: Job): UpdatableFields {
  return Object.fromEntries(UPDATABLE_FIELDS.map((name) => [name, structuredClone(job[name])])) as UpdatableFields;
}

/** The fields whose value differs (lists and objects compared by content), or null when none does. */
function changedFields(before: UpdatableFields, after: UpdatableFields): Partial<UpdatableFields> | null {
  const changed = UPDATABLE_FIELDS.filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]));
  return changed.length ? (Object.fromEntries(changed.map((name) => [name, after[name]])) as Partial<UpdatableFields>) : null;
}
