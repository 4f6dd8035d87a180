import { setImmediate as nextTurn } from 'node:timers/promises';
import { Job } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { ProgressPublisher } from '../events/event-bus.js';
import { isCliLease, type RunLeases } from '../sync/multi/run-leases.js';
import { stoppingForScopeChange } from '../sync/local/job-scope.js';
import { STOPPING_FOR_PAUSE } from './job-runner-types.js';
import { owesFirstRun } from './job-timing.js';
import type { RunFinishedHook } from './job-runner-types.js';
import type { RunSlots } from './run-slots.js';
import { endRunsStoppedForScopeChange } from './scope-change-runs.js';

export interface StartUpRecoveryDeps {
  orm: Orm;
  logger: Logger;
  now: () => Date;
  instanceId: string;
  /** SQLite: every run left RUNNING is this process's own. */
  embedded: boolean;
  leases: RunLeases;
  slots: RunSlots;
  /** Where the end of a run closed here is announced, and who is told of it (webhooks, metrics). */
  bus?: ProgressPublisher;
  onRunFinished?: RunFinishedHook;
  /** Plans the job's schedule from now and stores its next run time (a first run still owed: keeps it due, nothing stored). */
  schedule(job: Job): Promise<void>;
  /** Plans the job's schedule with `dueAt` still due, to be recorded CATCH_UP, and leaves the stored time as it is. */
  keepDue(job: Job, dueAt: Date): void;
}

/**
 * Start-up recovery: resumes runs a stopped process left RUNNING (on PostgreSQL: those whose lease
 * has expired or that this instance id held), catches up once on missed ticks.
 */
export async function recoverAtStartUp({ orm, logger, now, instanceId, embedded, leases, slots, bus, onRunFinished, schedule, keepDue }: StartUpRecoveryDeps): Promise<void> {
  const em = orm.em.fork();
  const at = now();
  const jobs = await em.find(Job, {}, { orderBy: { createdAt: 'asc' } });
  // On SQLite every RUNNING run is this process's own, except one `npm run sync` is still at: its
  // lease (`<INSTANCE_ID>:cli`, whatever the run's trigger: the CLI also continues runs the service
  // handed back) is renewed and its folder locked by that live process. It is left to it; if that
  // process dies, its lease runs out and takeOver() resumes the run.
  const cliStillAtIt = (run: SyncRun) =>
    isCliLease(run.leaseOwner) && run.leaseOwner !== instanceId && run.leaseExpiresAt !== null && run.leaseExpiresAt.getTime() > at.getTime();
  const leftRunning = embedded
    ? (await em.find(SyncRun, { status: 'RUNNING' }, { orderBy: { id: 'desc' } })).filter((run) => !cliStillAtIt(run))
    : await leases.findUnowned({ startUp: true });
  const rerun = await endRunsStoppedForScopeChange({ orm, logger, bus, onRunFinished }, leftRunning, at);
  const toResume = new Map<string, SyncRun>();
  const stale: number[] = [];
  for (const run of leftRunning) {
    if (stoppingForScopeChange(run)) continue;
    if (toResume.has(run.jobId)) stale.push(run.id);
    else toResume.set(run.jobId, run);
  }
  for (const job of jobs) {
    // The API is up meanwhile, and SQLite's answers never yield the event loop by themselves.
    await nextTurn();
    const run = toResume.get(job.id);
    // A paused job's run (a manual trigger) is resumed, unscheduled, unless it is one the pause was
    // stopping when the process went (the pause marks it).
    const pausedJobsOwnRun = job.status === 'PAUSED' && run !== undefined && run.error !== STOPPING_FOR_PAUSE;
    if (job.status === 'PAUSED' && !pausedJobsOwnRun) {
      if (run) stale.push(run.id);
      continue;
    }
    // The missed due time itself, so instances starting together catch up once between them. A first
    // run still owed is no catch-up: schedule() keeps it due, and the first tick records it CREATED.
    const missedAt = job.nextRunAt ?? at;
    const catchUp = !run && !rerun.has(job.id) && !owesFirstRun(job) && missedAt.getTime() <= at.getTime();
    if (!pausedJobsOwnRun && !catchUp) await schedule(job);
    try {
      if (run) {
        if (await leases.claim(run.id, { any: embedded })) await slots.resume(job.id, run.id);
      } else {
        const runningElsewhere = !embedded && (await em.count(SyncRun, { jobId: job.id, status: 'RUNNING' })) > 0;
        if (job.status === 'RUNNING' && !runningElsewhere) await em.nativeUpdate(Job, { id: job.id }, { status: 'SCHEDULED', updatedAt: new Date() });
        if (rerun.has(job.id)) await slots.start(job.id, 'UPDATE');
        // The run row before the next run time, as a tick does: a start cut short between the two
        // leaves the due time stored, for the next start to catch up.
        if (catchUp) {
          await slots.start(job.id, 'CATCH_UP', missedAt);
          await schedule(job);
        }
      }
    } catch (err) {
      // The due time stays due here too: the first tick that can record it does (or finds it taken).
      if (catchUp) keepDue(job, missedAt);
      logger.error({ err, jobId: job.id }, 'could not start a job at start-up');
    }
  }
  if (stale.length) {
    await em.nativeUpdate(
      SyncRun,
      { id: { $in: stale } },
      { status: 'CANCELLED', finishedAt: at, error: 'Cancelled at start-up: the job was paused during the run, or has a newer run' },
    );
  }
}
