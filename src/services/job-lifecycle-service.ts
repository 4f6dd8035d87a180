import { Job } from '../db/entities/job.entity.js';
import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import type { JobRunner } from '../scheduler/job-runner-types.js';
import { ConflictError, InputError, NotFoundError } from './errors.js';
import { parseJobId } from './ids.js';
import { applySourceSettings, type ConnectorEviction, type SourceSettingsDeps } from './job-source-settings.js';
import { checkSchedule, parseInput, updateJobInput } from './inputs.js';
import { findLastRun, requireJob } from './job-lookup.js';

export interface JobLifecycleServiceDeps extends SourceSettingsDeps {
  orm: Orm;
  runner: JobRunner;
  connectors: ConnectorEviction;
}

export const MAX_BULK_IDS = 1000;

/** Update, pause, resume, run-now, cancel and bulk delete: the operations on a job's life after creation. */
export function createJobLifecycleService({ orm, runner, connectors, ...settingsDeps }: JobLifecycleServiceDeps) {
  const load = (rawId: unknown, field: string) => requireJob(orm, rawId, field);
  const reload = (id: string) => orm.em.fork().findOneOrFail(Job, { id });

  return {
    /** Changes name, schedule, timezone or prefix; a new schedule is registered at once (next run recomputed). */
    async update(rawId: unknown, raw: unknown, field = 'id'): Promise<Job> {
      const id = parseJobId(rawId, field);
      const input = parseInput(updateJobInput, raw ?? {});
      const em = orm.em.fork();
      const job = await em.findOne(Job, { id });
      if (!job) throw new NotFoundError('Job', 'Job not found');
      const schedule = input.schedule ?? job.schedule;
      // An explicit null or "" clears the timezone (UTC); an absent one keeps it.
      const timezone = input.timezone === undefined ? job.timezone : input.timezone || null;
      const timingChanged = schedule !== job.schedule || timezone !== job.timezone;
      if (timingChanged) checkSchedule(schedule, timezone);
      if (input.name != null) job.name = input.name;
      const prefix = input.prefix ?? input.connectorConfig?.prefix;
      if (prefix != null) job.prefix = prefix;
      if (input.connectorConfig) applySourceSettings(job, input.connectorConfig, settingsDeps);
      job.schedule = schedule;
      job.timezone = timezone;
      await em.flush();
      connectors.forget(id);
      if (timingChanged && job.status !== 'PAUSED') await runner.schedule(job);
      return reload(id);
    },

    /** Stops the schedule and cancels a run in progress at its next chunk boundary. */
    async pause(rawId: unknown, field = 'id'): Promise<Job> {
      const job = await load(rawId, field);
      if (job.status === 'PAUSED') throw new ConflictError('Job is already paused');
      runner.unschedule(job.id);
      await orm.em.fork().nativeUpdate(Job, { id: job.id }, { status: 'PAUSED', nextRunAt: null });
      await runner.cancel(job.id);
      return reload(job.id);
    },

    /** Registers the schedule again; the next run is the next scheduled time (no immediate run). */
    async resume(rawId: unknown, field = 'id'): Promise<Job> {
      const job = await load(rawId, field);
      if (job.status !== 'PAUSED') throw new ConflictError('Job is not paused');
      job.status = runner.isRunning(job.id) ? 'RUNNING' : 'SCHEDULED';
      await orm.em.fork().nativeUpdate(Job, { id: job.id }, { status: job.status });
      await runner.schedule(job);
      return reload(job.id);
    },

    /** Runs the job now (also when paused); a run already in progress makes this a recorded SKIPPED run. */
    async trigger(rawId: unknown, field = 'id'): Promise<{ job: Job; run: SyncRun }> {
      const job = await load(rawId, field);
      const run = await runner.trigger(job.id, 'MANUAL');
      return { job: await reload(job.id), run };
    },

    /** Cancels the run in progress at its next chunk boundary (checkpoints stay) and waits for it to stop. */
    async cancelRun(rawJobId: unknown, field = 'jobId'): Promise<{ job: Job; run: SyncRun | null }> {
      const job = await load(rawJobId, field);
      if (!(await runner.cancel(job.id))) throw new ConflictError('Job has no run in progress');
      return { job: await reload(job.id), run: await findLastRun(orm, job.id) };
    },

    /**
     * Deletes several jobs: every id is checked first and one malformed id deletes nothing. Running
     * syncs are cancelled; downloaded files stay. Unknown ids are reported, not an error.
     */
    async deleteMany(rawIds: unknown, field = 'ids'): Promise<{ deletedJobIds: string[]; unknownJobIds: string[] }> {
      if (!Array.isArray(rawIds)) throw new InputError(field, `${field} must be a list of job IDs`);
      if (rawIds.length > MAX_BULK_IDS) throw new InputError(field, `${field} may hold at most ${MAX_BULK_IDS} job IDs`);
      const ids = [...new Set(rawIds.map((raw, i) => parseJobIdAt(raw, field, i)))];
      const em = orm.em.fork();
      const found = new Set((await em.find(Job, { id: { $in: ids } }, { fields: ['id'] })).map((j) => j.id));
      const deletedJobIds = ids.filter((id) => found.has(id));
      for (const id of deletedJobIds) runner.unschedule(id);
      await Promise.all(deletedJobIds.map((id) => runner.cancel(id)));
      if (deletedJobIds.length) await em.nativeDelete(Job, { id: { $in: deletedJobIds } });
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
