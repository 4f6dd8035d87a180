import { Job } from '../db/entities/job.entity.js';
import type { RunStatus, RunTrigger } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { RunExecutor } from '../sync/run-executor.js';
import { jobStatusAfterRun } from './job-timing.js';
import { recordSkippedRun } from './skipped-runs.js';

interface Slot {
  runId: number | null;
  controller: AbortController;
  /** Set when the run is stopped by shutdown: it goes back to RUNNING so the next start resumes it. */
  shutdown: boolean;
  /** Settles when the slot is free again (run finished and recorded, or never started). */
  done: Promise<void>;
  release: () => void;
}

export interface RunSlotsDeps {
  orm: Orm;
  execute: RunExecutor;
  logger: Logger;
  now: () => Date;
  /** Told once a run's final status is committed (webhooks, metrics); its failure is logged, never the run's. */
  onRunFinished?: RunFinishedHook;
}

/** A run that reached its final status (never called for SKIPPED ticks or runs stopped by shutdown). */
export type RunFinishedHook = (run: { jobId: string; runId: number; status: RunStatus }) => Promise<void> | void;

const MAX_ERROR_LENGTH = 2000;

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/** The in-flight guard: at most one run per job, every run driven to a recorded end, never an unhandled rejection. */
export function createRunSlots({ orm, execute, logger, now, onRunFinished }: RunSlotsDeps) {
  const slots = new Map<string, Slot>();

  // Synchronous, so two triggers in the same tick cannot both see a free slot.
  function reserve(jobId: string): Slot {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const slot: Slot = { runId: null, controller: new AbortController(), shutdown: false, done, release };
    slots.set(jobId, slot);
    return slot;
  }

  function free(jobId: string, slot: Slot): void {
    if (slots.get(jobId) === slot) slots.delete(jobId);
    slot.release();
  }

  async function runToEnd(jobId: string, runId: number, signal: AbortSignal): Promise<RunStatus> {
    const em = orm.em.fork();
    if (signal.aborted) {
      await em.nativeUpdate(SyncRun, { id: runId, status: 'RUNNING' }, { status: 'CANCELLED', finishedAt: now() });
      return 'CANCELLED';
    }
    try {
      const returned = await execute(runId, signal, logger.child({ jobId, runId }));
      const status: RunStatus = returned === 'RUNNING' || returned === 'SKIPPED' ? 'FAILED' : returned;
      // An executor that returns without closing its row must not leave it RUNNING forever.
      await em.nativeUpdate(SyncRun, { id: runId, status: 'RUNNING' }, { status, finishedAt: now() });
      return status;
    } catch (err) {
      const status: RunStatus = signal.aborted ? 'CANCELLED' : 'FAILED';
      if (status === 'FAILED') logger.error({ err, jobId, runId }, 'sync run failed');
      await em.nativeUpdate(
        SyncRun,
        { id: runId, status: 'RUNNING' },
        { status, finishedAt: now(), error: status === 'FAILED' ? errorText(err) : null },
      );
      return status;
    }
  }

  async function reportEnd(jobId: string, runId: number, status: RunStatus): Promise<void> {
    try {
      await onRunFinished?.({ jobId, runId, status });
    } catch (err) {
      logger.error({ err, jobId, runId }, 'could not report the end of a sync run');
    }
  }

  async function drive(jobId: string, slot: Slot, runId: number): Promise<void> {
    try {
      const status = await runToEnd(jobId, runId, slot.controller.signal);
      const em = orm.em.fork();
      const resumeAtNextStart = slot.shutdown && status === 'CANCELLED';
      if (resumeAtNextStart) {
        await em.nativeUpdate(SyncRun, { id: runId }, { status: 'RUNNING', finishedAt: null, error: null });
      } else {
        await em.nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { status: jobStatusAfterRun(status) });
      }
      logger.info({ jobId, runId, status }, 'sync run ended');
      if (!resumeAtNextStart) await reportEnd(jobId, runId, status);
    } catch (err) {
      logger.error({ err, jobId, runId }, 'could not record the end of a sync run');
    } finally {
      free(jobId, slot);
    }
  }

  async function markJobRunning(jobId: string): Promise<void> {
    await orm.em.fork().nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { status: 'RUNNING' });
  }

  return {
    isRunning: (jobId: string) => slots.has(jobId),

    /** Starts a run, or records a SKIPPED one when the job already has a run in progress. */
    async start(jobId: string, trigger: RunTrigger): Promise<SyncRun> {
      const em = orm.em.fork();
      const busy = slots.get(jobId);
      if (busy) {
        const { run, coalesced } = await recordSkippedRun(em, { jobId, trigger, busyRunId: busy.runId, at: now() });
        // One line per series of skipped ticks at info; the ticks that only bump its count at debug.
        logger[coalesced ? 'debug' : 'info'](
          { jobId, trigger, runId: run.id, skippedCount: run.skippedCount },
          'sync run skipped: previous run still in progress',
        );
        return run;
      }
      const slot = reserve(jobId);
      try {
        if (!(await em.count(Job, { id: jobId }))) throw new Error(`job ${jobId} does not exist`);
        const run = new SyncRun({ jobId, trigger, status: 'RUNNING', startedAt: now() });
        await em.persistAndFlush(run);
        await markJobRunning(jobId);
        slot.runId = run.id;
        logger.info({ jobId, trigger, runId: run.id }, 'sync run started');
        void drive(jobId, slot, run.id);
        return run;
      } catch (err) {
        free(jobId, slot);
        throw err;
      }
    },

    /** Runs an existing RUNNING row again (left by a process that stopped); the executor resumes from checkpoints. */
    async resume(jobId: string, runId: number): Promise<void> {
      if (slots.has(jobId)) return;
      const slot = reserve(jobId);
      slot.runId = runId;
      try {
        await markJobRunning(jobId);
      } catch (err) {
        free(jobId, slot);
        throw err;
      }
      logger.info({ jobId, runId }, 'resuming sync run cut short by a stop');
      void drive(jobId, slot, runId);
    },

    async cancel(jobId: string): Promise<boolean> {
      const slot = slots.get(jobId);
      if (!slot) return false;
      slot.controller.abort(new Error('run cancelled'));
      await slot.done;
      return true;
    },

    /** Aborts every run for shutdown (rows go back to RUNNING for the next start) and waits up to `timeoutMs`. */
    async stopAll(timeoutMs: number): Promise<void> {
      const pending = [...slots.values()];
      for (const slot of pending) {
        slot.shutdown = true;
        slot.controller.abort(new Error('shutting down'));
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const result = await Promise.race([Promise.all(pending.map((s) => s.done)), timeout]);
      clearTimeout(timer);
      if (result === 'timeout') logger.warn({ runs: pending.map((s) => s.runId) }, 'runs did not stop in time');
    },
  };
}

export type RunSlots = ReturnType<typeof createRunSlots>;
