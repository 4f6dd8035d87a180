import { setImmediate as nextTurn } from 'node:timers/promises';
import { Job } from '../db/entities/job.entity.js';
import { createFailureLog } from '../config/failure-log.js';
import { databaseNow } from '../db/database-clock.js';
import { isWorthWaitingFor } from '../db/database-outage.js';
import { isPostgres } from '../db/orm.js';
import { createRunLeases } from '../sync/multi/run-leases.js';
import { STOPPING_FOR_PAUSE, type JobRunnerDeps, type ScheduledJob, type SchedulingJobRunner } from './job-runner-types.js';
import { advance, owesFirstRun, planJob, type ScheduledEntry } from './job-timing.js';
import { createRunSlots } from './run-slots.js';
import { createRunHelpers } from './run-helpers.js';
import { createRemoteCancel } from './remote-cancel.js';
import { createTickLoop } from './tick-loop.js';
import { stoppingForScopeChange } from '../sync/local/job-scope.js';
import { recoverAtStartUp } from './start-up-recovery.js';

export type { JobRunnerDeps, SchedulingJobRunner } from './job-runner-types.js';

/**
 * Owns the schedules: next run times are computed from each job's row (pure, job-timing.ts),
 * stored in `jobs.next_run_at` so a restart can tell what it missed, and fired by one timer loop.
 */
export function createJobRunner({
  orm,
  execute,
  logger,
  now = () => databaseNow(orm),
  tickMs = 500,
  stopTimeoutMs = 5000,
  onRunFinished,
  onRunSkipped,
  onHelpEnded,
  minIntervalMs = 0,
  instanceId = 'local',
  leaseTtlMs = 30_000,
  bus,
  takeOverRuns = true,
  databaseOutageWaitMs,
}: JobRunnerDeps): SchedulingJobRunner {
  const schedules = new Map<string, ScheduledEntry>();
  const leases = createRunLeases({
    orm,
    instanceId,
    ttlMs: leaseTtlMs,
    logger,
    now,
    onLost: (runId) => slots.abandon(runId),
    onCancelRequested: (runId) => slots.cancelRun(runId),
  });
  const slots = createRunSlots({ orm, execute, logger, now, leases, onRunFinished, onRunSkipped, minIntervalMs, bus, databaseOutageWaitMs });
  /** The embedded database serves one process: at start-up every run left RUNNING is its own. */
  const embedded = !isPostgres(orm);
  /**
   * A run held by another process (an instance on PostgreSQL, `npm run sync` on either database) is
   * cancelled through the database: its lease heartbeat sees the request.
   */
  const remote = createRemoteCancel({ orm, logger, now, waitMs: Math.max(30_000, 2 * leaseTtlMs + stopTimeoutMs), onRunFinished, bus });
  /** Work sharing (PostgreSQL): this instance also works on the objects of runs other instances hold. */
  const helpers = !embedded && execute.help ? createRunHelpers({ orm, help: execute.help, instanceId, logger, now, onHelpEnded }) : undefined;
  let lastTakeOver = 0;
  /** The schedule text each scheduled job had when this instance (re)planned it. */
  const signatures = new Map<string, string>();
  /** The job's schedule stops firing here (paused, deleted, unusable): nothing of it is kept. */
  const forget = (jobId: string) => {
    schedules.delete(jobId);
    signatures.delete(jobId);
  };
  const tickFailures = createFailureLog(logger, { failed: 'scheduler tick failed', recovered: 'scheduler ticks succeed again' });
  const loop = createTickLoop(() => runner.tick(), tickMs, (err) => tickFailures.failed(err));
  let state: 'idle' | 'started' | 'stopped' = 'idle';

  // A pause that lands while a tick is storing its time wins: paused jobs keep nextRunAt null.
  /** False when the job is paused (or gone): it has no next run. */
  async function storeNextRunAt(jobId: string, nextRunAt: Date): Promise<boolean> {
    return (await orm.em.fork().nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { nextRunAt })) > 0;
  }

  /** Plans the job's schedule from now and fires it from here on; undefined when its stored schedule is unusable. */
  function register(job: ScheduledJob): ScheduledEntry | undefined {
    const plan = planJob(job, now());
    if (!plan.ok) {
      forget(job.id);
      logger.error({ jobId: job.id, schedule: job.schedule, reason: plan.message }, 'job has an unusable schedule');
      return undefined;
    }
    schedules.set(job.id, plan.entry);
    signatures.set(job.id, scheduleSignature(job));
    return plan.entry;
  }

  function keepDue(job: ScheduledJob, dueAt: Date): void {
    const entry = register(job);
    if (!entry) return;
    entry.nextRunAt = dueAt;
    entry.trigger = 'CATCH_UP';
  }

  /** Plans the job's schedule with its first run due now: the tick that fires it records it CREATED, then stores the next run time. */
  function keepFirstRunDue(job: ScheduledJob): ScheduledEntry | undefined {
    const entry = register(job);
    if (entry) [entry.nextRunAt, entry.trigger] = [now(), 'CREATED'];
    return entry;
  }

  /** What of a job's row decides whether and when it runs, read in one query (null: deleted). */
  function readScheduleRow(jobId: string) {
    return orm.em.fork().findOne(Job, { id: jobId }, { fields: ['status', 'schedule', 'timezone', 'createdAt', 'nextRunAt'] });
  }

  /**
   * Jobs created, changed, paused or deleted through another instance: every instance runs every
   * schedule (the database decides which one runs each due time), so each follows the jobs table.
   */
  async function followOtherInstances(): Promise<void> {
    const jobs = await orm.em.fork().find(Job, {});
    const active = new Set<string>();
    for (const job of jobs) {
      if (job.status === 'PAUSED') continue;
      active.add(job.id);
      if (schedules.has(job.id) && signatures.get(job.id) === scheduleSignature(job)) continue;
      await runner.schedule(job);
    }
    for (const jobId of schedules.keys()) if (!active.has(jobId)) forget(jobId);
  }

  /** Resumes, from their checkpoints, the runs of instances that stopped renewing their leases. */
  async function takeOver(): Promise<void> {
    if (!takeOverRuns) return;
    for (const run of await leases.findUnowned()) {
      if (state !== 'started' || slots.isRunning(run.jobId)) continue;
      // A paused job has no schedule here, yet its manual run is resumed as at start-up, unless the
      // pause was stopping it: that one is ended, as a cancel ends a run whose holder is gone, and so
      // is one an update of the scope was stopping (run again). A job not scheduled otherwise is gone.
      const scheduled = schedules.has(run.jobId);
      const paused = !scheduled && (await orm.em.fork().count(Job, { id: run.jobId, status: 'PAUSED' })) > 0;
      if (!scheduled && !paused) continue;
      try {
        if ((paused && run.error === STOPPING_FOR_PAUSE) || stoppingForScopeChange(run)) {
          if ((await remote.endUnheld(run.jobId, run.id)) && scheduled && stoppingForScopeChange(run)) await slots.start(run.jobId, 'UPDATE');
          continue;
        }
        if (!(await leases.claim(run.id))) continue;
        logger.info({ runId: run.id, jobId: run.jobId, from: run.leaseOwner }, 'taking over a sync run whose lease expired');
        await slots.resume(run.jobId, run.id);
      } catch (err) {
        logger.error({ err, runId: run.id }, 'could not take over a sync run');
      }
    }
  }

  /**
   * Records the run of a due entry, then stores the job's next run time. An error worth waiting for
   * (the database unreachable or locked) leaves the due time due, and is thrown.
   */
  async function fire(jobId: string, entry: ScheduledEntry, at: Date): Promise<void> {
    const { nextRunAt: dueAt, trigger } = entry;
    // A first run is for its job's creation: the same due time on every instance that finds it owed.
    const scheduledFor = trigger === 'CREATED' ? entry.anchor : dueAt;
    // Moved on before any await, so a concurrent tick cannot fire the same time twice.
    entry.nextRunAt = advance(entry, at, minIntervalMs);
    entry.trigger = 'SCHEDULE';
    // SQLite answers synchronously, so awaits alone never let a request in: hundreds of jobs due
    // at one minute would hold the API for seconds.
    await nextTurn();
    try {
      // The row decides: a job paused (or deleted) however its schedule got here is not run.
      const row = await readScheduleRow(jobId);
      if (!row || row.status === 'PAUSED') {
        if (schedules.get(jobId) === entry) forget(jobId);
        return;
      }
      // Its schedule changed through another instance since this one planned it: this due time is
      // the old schedule's, so it is not run, and the schedule is planned again from the row.
      if (signatures.get(jobId) !== scheduleSignature(row)) {
        if (schedules.get(jobId) === entry) await runner.schedule(row);
        return;
      }
      // The due time's run row before the next run time: a process dying between the two
      // statements leaves the due time stored, and the next start catches it up (or finds its
      // row), where the other order would skip it.
      if (schedules.get(jobId) === entry) await slots.start(jobId, trigger, scheduledFor);
      // Replaced meanwhile (an update planned the job again): the new plan stored its own time.
      if (schedules.get(jobId) !== entry) return;
      if (!(await storeNextRunAt(jobId, entry.nextRunAt)) && schedules.get(jobId) === entry) forget(jobId);
    } catch (err) {
      // The due time stays due: its run starts at the first tick that reaches the database again
      // (as after a restart), not at the next due time. Storing the next run time again is
      // idempotent, and a run row already recorded for this due time is found as taken, not
      // started twice.
      if (isWorthWaitingFor(err) && schedules.get(jobId) === entry) [entry.nextRunAt, entry.trigger] = [dueAt, trigger];
      throw err;
    }
  }

  const runner: SchedulingJobRunner = {
    async start() {
      if (state === 'started') return;
      state = 'started';
      await recoverAtStartUp({ orm, logger, now, instanceId, embedded, leases, slots, bus, onRunFinished, schedule: (job) => runner.schedule(job), keepDue });
      leases.start();
      loop.start();
      logger.info({ jobs: schedules.size }, 'scheduler started');
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      await loop.stop();
      schedules.clear();
      await Promise.all([slots.stopAll(stopTimeoutMs), helpers?.stopAll(stopTimeoutMs)]);
      await leases.stop();
      logger.info('scheduler stopped');
    },

    async schedule(job) {
      if (state === 'stopped') return;
      // The stored time stays as it is, due: it marks the first run as owed until that run's row is in.
      if (owesFirstRun(job)) {
        keepFirstRunDue(job);
        return;
      }
      const entry = register(job);
      if (!entry) return;
      job.nextRunAt = entry.nextRunAt;
      // Paused meanwhile (a pause racing an update): the row says so, the schedule goes.
      if (!(await storeNextRunAt(job.id, entry.nextRunAt)) && schedules.get(job.id) === entry) forget(job.id);
    },

    async startFirstRun(job) {
      if (state === 'stopped') return;
      // One entry, fired once: a retry (the database did not answer) finds it due again, and one a
      // tick is already firing (planned here from the row, as any instance may) is left to that tick.
      const entry = schedules.get(job.id) ?? keepFirstRunDue(job);
      if (entry?.trigger !== 'CREATED') return;
      const firing = fire(job.id, entry, now());
      // As schedule() does: the job in hand shows its next run time, whether or not the database answers.
      job.nextRunAt = entry.nextRunAt;
      await firing;
    },

    unschedule(jobId) {
      forget(jobId);
    },

    async trigger(jobId, trigger) {
      if (state === 'stopped') throw new Error('the scheduler is stopped');
      // A trigger's own due time (now) is never taken by another instance, so a row always comes back.
      return (await slots.start(jobId, trigger))!;
    },

    cancel: async (jobId) => (await slots.cancel(jobId)) || (await remote.cancelElsewhere(jobId)),
    isRunning: (jobId) => slots.isRunning(jobId),

    async tick() {
      const at = now();
      for (const [jobId, entry] of schedules) {
        if (state === 'stopped') return;
        if (entry.nextRunAt.getTime() > at.getTime()) continue;
        try {
          await fire(jobId, entry, at);
        } catch (err) {
          // The tick fails, and its failure log says so once per outage, not once per job and tick.
          if (isWorthWaitingFor(err)) throw err;
          logger.error({ err, jobId }, 'could not start a scheduled run');
        }
      }
      if (state === 'started' && at.getTime() - lastTakeOver >= leaseTtlMs / 3) {
        lastTakeOver = at.getTime();
        if (!embedded) await followOtherInstances();
        await takeOver();
        await helpers?.check((jobId) => slots.isRunning(jobId));
        // Most ticks read nothing: only one that reached the database ends a streak of failures.
        tickFailures.succeeded();
      }
    },

    [Symbol.asyncDispose]: () => runner.stop(),
  };
  return runner;
}

/** What of a job's row decides its schedule: when it changes, the schedule is planned again. */
function scheduleSignature(job: Pick<Job, 'schedule' | 'timezone'>): string {
  return `${job.schedule}|${job.timezone ?? ''}`;
}
