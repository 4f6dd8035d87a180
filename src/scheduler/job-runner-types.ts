import type { Job } from '../db/entities/job.entity.js';
import type { RunStatus, RunTrigger } from '../db/entities/statuses.js';
import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { ProgressPublisher } from '../events/event-bus.js';
import type { RunExecutor } from '../sync/run-executor.js';

/**
 * A run that reached its final status (never called for SKIPPED ticks or runs stopped by shutdown).
 * `stop` aborts when the process stops: the hook's waits for the database end then.
 */
export type RunFinishedHook = (run: { jobId: string; runId: number; status: RunStatus }, stop?: AbortSignal) => Promise<void> | void;

/** What of a job's row its schedule is planned from. */
export type ScheduledJob = Pick<Job, 'id' | 'schedule' | 'timezone' | 'createdAt' | 'nextRunAt'>;

/** Owns every job's schedule and every running sync; the services layer's only handle on them. */
export interface JobRunner {
  /** Loads active jobs, resumes runs cut short by a crash, runs overdue jobs once, starts the timers. */
  start(): Promise<void>;
  /** Stops the timers, cancels running syncs at a chunk boundary and waits for them. */
  stop(): Promise<void>;
  /**
   * (Re)registers a job's schedule from its row (after update or resume) and sets `nextRunAt`; a job
   * whose row says it still owes its first run (job-timing's owesFirstRun) has it started by the next tick.
   */
  schedule(job: ScheduledJob): Promise<void>;
  /**
   * Records a new job's first run (CREATED, for the job's creation) and starts it, then stores the
   * next run time and sets `nextRunAt`. Rejects when the database does not answer: the run stays due
   * here, for the next tick, and stays owed in the job's row, for any instance's next start or tick.
   * JobGoneError when the job is not there.
   */
  startFirstRun(job: ScheduledJob): Promise<void>;
  /** Removes a job's schedule (pause, delete). Does not touch a running sync. */
  unschedule(jobId: string): void;
  /**
   * Starts a run now. When the job already has a run in progress, records a SKIPPED run instead
   * and returns it (never two runs of one job at once). JobGoneError when the job is not there.
   */
  trigger(jobId: string, trigger: RunTrigger): Promise<SyncRun>;
  /**
   * Cancels the job's running sync, if any, here or (PostgreSQL) on the instance holding it, and
   * waits until it has stopped. True when one was running.
   */
  cancel(jobId: string): Promise<boolean>;
  isRunning(jobId: string): boolean;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A run's error while the pause of its job stops it: a process gone meanwhile leaves it to be closed at start-up. */
export const STOPPING_FOR_PAUSE = 'Stopping: the job was paused';

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
  /** Told of each due time or trigger this instance recorded as SKIPPED (the job's run still going; metrics). */
  onRunSkipped?: (jobId: string) => void;
  /**
   * Told when this instance stops helping with a run another instance holds: none of its objects of
   * that run is in flight any more, and the holder's RUN_FINISHED never reaches this process (metrics).
   */
  onHelpEnded?: (runId: number) => void;
  /** Scheduled runs of one job start at least this far apart (MIN_SCHEDULE_INTERVAL; default 0). */
  minIntervalMs?: number;
  /** Names this instance in run leases (default `local`). */
  instanceId?: string;
  /** RUN_LEASE_TTL: a run whose lease is not renewed for this long is taken over (default 30 s). */
  leaseTtlMs?: number;
  /** Announces the end of runs this instance ends without executing them (a gone holder's, cancelled). */
  bus?: ProgressPublisher;
  /** false: never takes over a run whose lease ran out (tests of another taker, the CLI); default true. */
  takeOverRuns?: boolean;
  /** DB_OUTAGE_WAIT: how long the records of a run's end wait for an unreachable database (default 10 min). */
  databaseOutageWaitMs?: number;
}

/** A JobRunner whose timer loop can also be stepped by hand (tests drive it with a fake clock). */
export interface SchedulingJobRunner extends JobRunner {
  /** Starts every job whose next run time has come and moves that time on. */
  tick(): Promise<void>;
}
