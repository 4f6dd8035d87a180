import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { Job } from '../db/entities/job.entity.js';
import { withoutStatement } from '../config/statement-text.js';
import { succeedsWithin } from '../config/succeeds-within.js';
import type { RunStatus, RunTrigger } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { ProgressPublisher } from '../events/event-bus.js';
import { isWorthWaitingFor, whileDatabaseDown } from '../db/database-outage.js';
import type { RunExecutor } from '../sync/run-executor.js';
import { leasedTo, type RunLeases } from '../sync/multi/run-leases.js';
import { announceRunEnd } from '../sync/run/run-events.js';
import { ShutdownAbort } from '../sync/run/run-start.js';
import { recordDueRun } from './due-runs.js';
import { JobGoneError } from './job-gone-error.js';
import { jobStatusAfterRun } from './job-timing.js';
import { settleJobStatus } from './job-status.js';
import type { RunFinishedHook } from './job-runner-types.js';
import { recordsStopRequest, untilStoppedWhileDatabaseAnswers } from './stop-wait.js';

interface Slot {
  runId: number | null;
  controller: AbortController;
  /** Settles when the slot is free again (run finished and recorded, or never started). */
  done: Promise<void>;
  release: () => void;
}

export interface RunSlotsDeps {
  orm: Orm;
  execute: RunExecutor;
  logger: Logger;
  now: () => Date;
  leases: RunLeases;
  /** Told once a run's final status is committed (webhooks, metrics); its failure is logged, never the run's. */
  onRunFinished?: RunFinishedHook;
  /** Told of each due time or trigger recorded SKIPPED here (metrics). */
  onRunSkipped?: (jobId: string) => void;
  /** MIN_SCHEDULE_INTERVAL, checked against the due times every instance recorded. */
  minIntervalMs?: number;
  /** Where the end of a run closed here rather than by its executor is announced (its subscribers saw RUN_STARTED). */
  bus?: ProgressPublisher;
  /** DB_OUTAGE_WAIT: how long a run's end waits for an unreachable database. */
  databaseOutageWaitMs?: number;
}

/** A run that is no longer this instance's to record (its lease went to another instance). */
const LEASE_LOST = new Error('run lease lost to another instance');

const MAX_ERROR_LENGTH = 2000;

/** The error of a run whose executor returned FAILED (or nothing final) without recording why. */
const UNRECORDED_FAILURE = 'internal error';

/** What runToEnd returns for a run the executor could not end (database unreachable): it is handed back, not closed. */
const HANDED_BACK = 'HANDED_BACK';

function errorText(err: unknown): string {
  const text = err instanceof Error ? withoutStatement(err.message) || err.name : String(err);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/** The job's status follows its run's end, unless a newer run of it is RUNNING (another instance's); a paused job stays paused. */
export function recordJobStatusAfterRun(orm: Orm, jobId: string, status: RunStatus): Promise<number> {
  return settleJobStatus(orm, jobId, jobStatusAfterRun(status));
}

/** Tells the end-of-run hooks (webhooks, metrics) that a run ended; their failure is logged, never the run's. */
export async function reportRunEnd(logger: Logger, onRunFinished: RunFinishedHook | undefined, run: Parameters<RunFinishedHook>[0], stop?: AbortSignal): Promise<void> {
  try {
    await onRunFinished?.(run, stop);
  } catch (err) {
    logger.error({ err, jobId: run.jobId, runId: run.runId }, 'could not report the end of a sync run');
  }
}

/** The in-flight guard: at most one run per job, every run driven to a recorded end, never an unhandled rejection. */
export function createRunSlots({ orm, execute, logger, now, leases, onRunFinished, onRunSkipped, minIntervalMs, bus, databaseOutageWaitMs }: RunSlotsDeps) {
  const slots = new Map<string, Slot>();
  const mine = leasedTo(leases.instanceId);
  /** Aborted by stopAll: the runs' ends stop waiting for the database (see drive()). */
  const stopping = new AbortController();
  const outage = { maxWaitMs: databaseOutageWaitMs, stop: stopping.signal };

  // Synchronous, so two triggers in the same tick cannot both see a free slot.
  function reserve(jobId: string): Slot {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const slot: Slot = { runId: null, controller: new AbortController(), done, release };
    slots.set(jobId, slot);
    return slot;
  }

  function free(jobId: string, slot: Slot): void {
    if (slots.get(jobId) === slot) slots.delete(jobId);
    slot.release();
  }

  async function runToEnd(jobId: string, runId: number, signal: AbortSignal): Promise<RunStatus | typeof HANDED_BACK> {
    const em = orm.em.fork();
    /**
     * Ends this instance's row if it is still RUNNING (an executor may have closed it already). A row
     * closed here is announced: no executor sent its RUN_FINISHED.
     */
    const closeRow = async (status: RunStatus, error?: string | null) => {
      // A graceful stop hands the run back: its row stays RUNNING, never CANCELLED on the way (drive()).
      if (status === 'CANCELLED' && signal.reason instanceof ShutdownAbort) return;
      const fields = error === undefined ? {} : { error };
      const closed = await whileDatabaseDown(() => em.nativeUpdate(SyncRun, { id: runId, status: 'RUNNING', ...mine }, { status, finishedAt: now(), ...fields }), outage);
      if (closed !== 1 || !bus) return;
      await announceRunEnd(orm, bus, runId, status, error ?? undefined).catch((err: unknown) =>
        logger.warn({ err, jobId, runId }, 'could not announce the end of a sync run'),
      );
    };
    if (signal.aborted) {
      await closeRow('CANCELLED');
      return 'CANCELLED';
    }
    try {
      const returned = await execute(runId, signal, logger.child({ jobId, runId }));
      const cancelled = signal.aborted && !(signal.reason instanceof ShutdownAbort);
      if (returned === 'RUNNING' && !cancelled) return HANDED_BACK;
      const status: RunStatus = returned === 'RUNNING' ? 'CANCELLED' : returned === 'SKIPPED' ? 'FAILED' : returned;
      // An executor that returns without closing its row must not leave it RUNNING forever.
      await closeRow(status, status === 'FAILED' ? UNRECORDED_FAILURE : undefined);
      return status;
    } catch (err) {
      const status: RunStatus = signal.aborted ? 'CANCELLED' : 'FAILED';
      if (status === 'FAILED') logger.error({ err, jobId, runId }, 'sync run failed');
      await closeRow(status, status === 'FAILED' ? errorText(err) : null);
      return status;
    }
  }

  async function drive(jobId: string, slot: Slot, runId: number): Promise<void> {
    leases.hold(runId);
    try {
      const status = await runToEnd(jobId, runId, slot.controller.signal);
      const em = orm.em.fork();
      // Taken over, told (the lease lost) or not (its row another instance's now, as after a database
      // outage longer than the lease): the row, the job's status and the end's hooks are the new owner's.
      if (slot.controller.signal.reason === LEASE_LOST || (await whileDatabaseDown(() => em.count(SyncRun, { id: runId, ...mine }), outage)) === 0) {
        logger.warn({ jobId, runId }, 'sync run taken over by another instance');
        return;
      }
      // Only a run the shutdown itself stopped: one cancelled (or paused) just before already ended, RUN_FINISHED sent.
      const resumeAtNextStart = status === HANDED_BACK || (slot.controller.signal.reason instanceof ShutdownAbort && status === 'CANCELLED');
      if (resumeAtNextStart) {
        // Handed back: RUNNING again with its lease expired now, for the next start or another instance.
        await em.nativeUpdate(SyncRun, { id: runId, ...mine }, { status: 'RUNNING', finishedAt: null, error: null });
        await leases.handBack([runId]);
      } else {
        await whileDatabaseDown(() => recordJobStatusAfterRun(orm, jobId, status), outage);
        logger.info({ jobId, runId, status }, 'sync run ended');
        await reportRunEnd(logger, onRunFinished, { jobId, runId, status }, stopping.signal);
      }
    } catch (err) {
      if (stopping.signal.aborted && isWorthWaitingFor(err)) {
        // Nothing is lost: the run row stays RUNNING, and its checkpoints are committed as they went.
        logger.warn({ err, jobId, runId }, 'stopping while the database is unreachable: the end of the sync run is not recorded; it resumes from its last committed checkpoint at the next start, or on another instance once its lease expires');
      } else logger.error({ err, jobId, runId }, 'could not record the end of a sync run');
    } finally {
      leases.release(runId);
      free(jobId, slot);
    }
  }

  /**
   * A run whose final status is already committed (and so shown by the API) still holds its slot
   * while the job row and the end-of-run hooks are recorded: a trigger in that window waits for the
   * slot rather than being recorded as an overlap, and a cancel finds nothing going. True when it waited.
   */
  async function untilRecordedRunFrees(jobId: string): Promise<boolean> {
    const busy = slots.get(jobId);
    if (!busy || busy.runId === null) return false;
    const run = await orm.em.fork().findOne(SyncRun, { id: busy.runId }, { fields: ['status'] });
    if (!run || run.status === 'RUNNING') return false;
    await busy.done;
    return true;
  }

  async function markJobRunning(jobId: string): Promise<void> {
    await orm.em.fork().nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { status: 'RUNNING', updatedAt: new Date() });
  }

  /**
   * The run row is committed, so its run goes on whatever becomes of this write: failing the start
   * would leave the row RUNNING with nobody driving it, and a trigger told to try again would be
   * recorded SKIPPED. The status is written from the job's runs once the database answers, so a run
   * end recorded first is not undone.
   */
  function markJobRunningLater(jobId: string, err: unknown): void {
    logger.warn({ err, jobId }, 'could not mark the job RUNNING: its status follows its run once the database answers');
    void whileDatabaseDown(() => settleJobStatus(orm, jobId, 'keepEnded'), outage).catch((error: unknown) =>
      logger.warn({ err: error, jobId }, 'could not record the status of a job whose run started'),
    );
  }

  return {
    isRunning: (jobId: string) => slots.has(jobId),

    /**
     * Records the due time `scheduledFor` of a job (default: now, a trigger of its own) and starts
     * its run, or records it SKIPPED when the job has a run going here or on another instance.
     * Null when another instance recorded this due time first, or (a schedule's due time) the job is paused.
     * JobGoneError when the job is not there.
     */
    async start(jobId: string, trigger: RunTrigger, scheduledFor?: Date): Promise<SyncRun | null> {
      await untilRecordedRunFrees(jobId);
      const busy = slots.get(jobId);
      const slot = busy ? undefined : reserve(jobId);
      try {
        if (slot && !(await orm.em.fork().count(Job, { id: jobId }))) throw new JobGoneError(jobId);
        const startedAt = now();
        const outcome = await recordDueRun(orm, {
          jobId,
          trigger,
          scheduledFor: scheduledFor ?? startedAt,
          startedAt,
          busy: busy ? { runId: busy.runId } : undefined,
          lease: leases.newLease(),
          minIntervalMs,
        });
        if (outcome.kind !== 'started') {
          if (slot) free(jobId, slot);
          if (outcome.kind === 'taken' || outcome.kind === 'paused') return null;
          onRunSkipped?.(jobId);
          // One line per series of skipped ticks at info; the ticks that only bump its count at debug.
          logger[outcome.coalesced ? 'debug' : 'info'](
            { jobId, trigger, runId: outcome.run.id, skippedCount: outcome.run.skippedCount },
            'sync run skipped: previous run still in progress',
          );
          return outcome.run;
        }
        const run = outcome.run;
        slot!.runId = run.id;
        await markJobRunning(jobId).catch((err: unknown) => markJobRunningLater(jobId, err));
        logger.info({ jobId, trigger, runId: run.id }, 'sync run started');
        void drive(jobId, slot!, run.id);
        return run;
      } catch (err) {
        if (slot) free(jobId, slot);
        // Deleted between the check above and the insert of its run row.
        throw err instanceof ForeignKeyConstraintViolationException ? new JobGoneError(jobId) : err;
      }
    },

    /** Stops working on a run another instance has taken over; its row is theirs to record. */
    abandon(runId: number): void {
      for (const slot of slots.values()) if (slot.runId === runId) slot.controller.abort(LEASE_LOST);
    },

    /** Cancels a run this instance holds when the cancel was asked through another instance. */
    cancelRun(runId: number): void {
      for (const slot of slots.values()) if (slot.runId === runId && !slot.controller.signal.aborted) slot.controller.abort(new Error('run cancelled'));
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

    /** False when no run was going: none, or one whose final status is committed (let finish recording). Waits for it to stop while the database takes writes. */
    async cancel(jobId: string): Promise<boolean> {
      if (await untilRecordedRunFrees(jobId)) return false;
      const slot = slots.get(jobId);
      if (!slot) return false;
      slot.controller.abort(new Error('run cancelled'));
      // A graceful stop aborted it first and hands it back: the request on its row cancels it where it resumes.
      if (slot.controller.signal.reason instanceof ShutdownAbort && slot.runId !== null) await recordsStopRequest(orm, slot.runId, now());
      await untilStoppedWhileDatabaseAnswers(orm, () => slot.runId, slot.done, now);
      return true;
    },

    /** Aborts every run for shutdown (rows go back to RUNNING for the next start) and waits up to `timeoutMs`. */
    async stopAll(timeoutMs: number): Promise<void> {
      const pending = [...slots.values()];
      stopping.abort();
      for (const slot of pending) slot.controller.abort(new ShutdownAbort());
      const stopped = await succeedsWithin(Promise.all(pending.map((s) => s.done)), timeoutMs, { holdOpen: true });
      if (!stopped) logger.warn({ runs: pending.map((s) => s.runId) }, 'runs did not stop in time');
    },
  };
}

export type RunSlots = ReturnType<typeof createRunSlots>;
