import { Job } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { RunExecutor } from '../sync/run-executor.js';
import type { JobRunner } from './job-runner-types.js';
import { advance, planJob, type ScheduledEntry } from './job-timing.js';
import { createRunSlots, type RunFinishedHook } from './run-slots.js';
import { createTickLoop } from './tick-loop.js';

export interface JobRunnerDeps {
  orm: Orm;
  execute: RunExecutor;
  logger: Logger;
  now?: () => Date;
  /** How often the timer checks for due jobs (default 500 ms; the resolution of schedules). */
  tickMs?: number;
  /** How long stop() waits for runs to reach a chunk boundary (default 5 s). */
  stopTimeoutMs?: number;
  /** Told once each run's final status is committed (webhooks, per-job metrics). */
  onRunFinished?: RunFinishedHook;
  /** Scheduled runs of one job start at least this far apart (MIN_SCHEDULE_INTERVAL; default 0). */
  minIntervalMs?: number;
}

/** A JobRunner whose timer loop can also be stepped by hand (tests drive it with a fake clock). */
export interface SchedulingJobRunner extends JobRunner {
  /** Starts every job whose next run time has come and moves that time on. */
  tick(): Promise<void>;
}

/**
 * Owns the schedules: next run times are computed from each job's row (pure, job-timing.ts),
 * stored in `jobs.next_run_at` so a restart can tell what it missed, and fired by one timer loop.
 */
export function createJobRunner({
  orm,
  execute,
  logger,
  now = () => new Date(),
  tickMs = 500,
  stopTimeoutMs = 5000,
  onRunFinished,
  minIntervalMs = 0,
}: JobRunnerDeps): SchedulingJobRunner {
  const schedules = new Map<string, ScheduledEntry>();
  const slots = createRunSlots({ orm, execute, logger, now, onRunFinished });
  const loop = createTickLoop(() => runner.tick(), tickMs, (err) => logger.error({ err }, 'scheduler tick failed'));
  let state: 'idle' | 'started' | 'stopped' = 'idle';

  // A pause that lands while a tick is storing its time wins: paused jobs keep nextRunAt null.
  async function storeNextRunAt(jobId: string, nextRunAt: Date): Promise<void> {
    await orm.em.fork().nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { nextRunAt });
  }

  /** Start-up recovery: resume runs a stopped process left RUNNING, catch up once on missed ticks. */
  async function recover(): Promise<void> {
    const em = orm.em.fork();
    const at = now();
    const jobs = await em.find(Job, {}, { orderBy: { createdAt: 'asc' } });
    const leftRunning = await em.find(SyncRun, { status: 'RUNNING' }, { orderBy: { id: 'desc' } });
    const toResume = new Map<string, SyncRun>();
    const stale: number[] = [];
    for (const run of leftRunning) {
      if (toResume.has(run.jobId)) stale.push(run.id);
      else toResume.set(run.jobId, run);
    }
    for (const job of jobs) {
      const run = toResume.get(job.id);
      if (job.status === 'PAUSED') {
        if (run) stale.push(run.id);
        continue;
      }
      const missed = job.nextRunAt === null || job.nextRunAt.getTime() <= at.getTime();
      await runner.schedule(job);
      try {
        if (run) {
          await slots.resume(job.id, run.id);
        } else {
          if (job.status === 'RUNNING') await em.nativeUpdate(Job, { id: job.id }, { status: 'SCHEDULED' });
          if (missed) await slots.start(job.id, 'CATCH_UP');
        }
      } catch (err) {
        logger.error({ err, jobId: job.id }, 'could not start a job at start-up');
      }
    }
    if (stale.length) {
      await em.nativeUpdate(
        SyncRun,
        { id: { $in: stale } },
        { status: 'CANCELLED', finishedAt: at, error: 'Cancelled at start-up: the job was paused or has a newer run' },
      );
    }
  }

  const runner: SchedulingJobRunner = {
    async start() {
      if (state === 'started') return;
      state = 'started';
      await recover();
      loop.start();
      logger.info({ jobs: schedules.size }, 'scheduler started');
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      await loop.stop();
      schedules.clear();
      await slots.stopAll(stopTimeoutMs);
      logger.info('scheduler stopped');
    },

    async schedule(job) {
      if (state === 'stopped') return;
      const plan = planJob(job, now());
      if (!plan.ok) {
        schedules.delete(job.id);
        logger.error({ jobId: job.id, schedule: job.schedule, reason: plan.message }, 'job has an unusable schedule');
        return;
      }
      schedules.set(job.id, plan.entry);
      job.nextRunAt = plan.entry.nextRunAt;
      await storeNextRunAt(job.id, plan.entry.nextRunAt);
    },

    unschedule(jobId) {
      schedules.delete(jobId);
    },

    async trigger(jobId, trigger) {
      if (state === 'stopped') throw new Error('the scheduler is stopped');
      return slots.start(jobId, trigger);
    },

    cancel: (jobId) => slots.cancel(jobId),
    isRunning: (jobId) => slots.isRunning(jobId),

    async tick() {
      const at = now();
      for (const [jobId, entry] of schedules) {
        if (state === 'stopped') return;
        if (entry.nextRunAt.getTime() > at.getTime()) continue;
        // Moved on before any await, so a concurrent tick cannot fire the same time twice.
        entry.nextRunAt = advance(entry, at, minIntervalMs);
        try {
          await storeNextRunAt(jobId, entry.nextRunAt);
          if (schedules.get(jobId) === entry) await slots.start(jobId, 'SCHEDULE');
        } catch (err) {
          logger.error({ err, jobId }, 'could not start a scheduled run');
        }
      }
    },

    [Symbol.asyncDispose]: () => runner.stop(),
  };
  return runner;
}
