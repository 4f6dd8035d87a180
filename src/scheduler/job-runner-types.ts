import type { Job } from '../db/entities/job.entity.js';
import type { RunTrigger } from '../db/entities/statuses.js';
import type { SyncRun } from '../db/entities/sync-run.entity.js';

/** Owns every job's schedule and every running sync; the services layer's only handle on them. */
export interface JobRunner {
  /** Loads active jobs, resumes runs cut short by a crash, runs overdue jobs once, starts the timers. */
  start(): Promise<void>;
  /** Stops the timers, cancels running syncs at a chunk boundary and waits for them. */
  stop(): Promise<void>;
  /** (Re)registers a job's schedule from its row (after create, update or resume) and sets `nextRunAt`. */
  schedule(job: Job): Promise<void>;
  /** Removes a job's schedule (pause, delete). Does not touch a running sync. */
  unschedule(jobId: string): void;
  /**
   * Starts a run now. When the job already has a run in progress, records a SKIPPED run instead
   * and returns it (never two runs of one job at once).
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
