import type { Config } from '../config/env.js';
import { runLogger, type Logger } from '../config/logger.js';
import type { SecretBox } from '../config/secret-box.js';
import { isWorthWaitingFor } from '../db/database-outage.js';
import type { RunStatus } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import type { ProgressPublisher } from '../events/event-bus.js';
import { announceRunEnd } from './run/run-events.js';
import { ShutdownAbort } from './run/run-start.js';
import { executeSyncRun, type SyncRunDeps } from './run/sync-run.js';
import { createProcessSlots } from './transfer/process-slots.js';
import { resolveTuning } from './transfer/sync-tuning.js';
import { createConnectorCache, type ConnectorCache } from './transport/connector-cache.js';
import { retryCause, type RetryCause } from './transport/retry.js';

/**
 * Executes one SyncRun row that is already RUNNING (freshly created, or left RUNNING by a process
 * that died) to its end, updates the row and returns its final status. Stops at the next chunk
 * boundary once `signal` aborts (final status CANCELLED). RUNNING when the database stayed
 * unreachable longer than a run's writes wait: the run is not ended, the scheduler hands it back.
 * Made by createRunExecutor below; the scheduler calls it.
 */
export type RunExecutor = ((runId: number, signal: AbortSignal, logger?: Logger) => Promise<RunStatus>) & {
  /** Works on the open objects of a run another instance holds (work sharing), until none is left to claim. */
  help?: RunHelper;
};

export type RunHelper = (runId: number, signal: AbortSignal) => Promise<void>;

/** The engine's dependencies; a `connector` given here is shared by all runs (tests, benchmarks). */
export type RunExecutorDeps = SyncRunDeps;

/**
 * Executes a RUNNING SyncRun row (new, or left RUNNING by a dead process: executing it again
 * resumes from the checkpoints) and returns its final status. Leaves Job.status to the scheduler.
 */
export function createRunExecutor(runDeps: RunExecutorDeps): RunExecutor {
  // One set of transfer bounds for every run this executor (the process's engine) executes.
  const deps = { ...runDeps, slots: runDeps.slots ?? createProcessSlots(runDeps.config, runDeps.tuning) };
  const help: RunHelper = async (runId, signal) => {
    const log = runLogger(deps.logger, null, runId);
    // A helper never records the run: its failures stay in the object rows, the holder ends the run.
    await executeSyncRun({ ...deps, logger: log }, runId, signal, { helper: true }).catch((error: unknown) =>
      log.error({ err: error }, 'helping with a sync run failed'),
    );
  };
  const execute: RunExecutor = async (runId, signal, logger) => {
    const log = runLogger(logger ?? deps.logger, null, runId);
    try {
      return (await executeSyncRun({ ...deps, logger: log }, runId, signal)).status;
    } catch (error) {
      // Only the database can get here (S3, network and file problems are recorded per object).
      const why = signal.reason instanceof ShutdownAbort ? 'stopping while the database is unreachable' : 'the database stayed unreachable or locked';
      if (handedBackForDatabase(error, log, why)) return 'RUNNING';
      log.error({ err: error }, 'sync run failed');
      await recordInternalFailure(deps.orm, runId, deps.bus);
      return 'FAILED';
    }
  };
  execute.help = help;
  return execute;
}

/**
 * True (and logged) when the database stopped the run, unreachable or locked: nothing is lost, so the
 * run is handed back (RUNNING) and resumed from its last committed checkpoint, here or elsewhere.
 * The one decision of the service's executor and of the engine thread's.
 */
export function handedBackForDatabase(error: unknown, log: Logger, why: string): boolean {
  if (!isWorthWaitingFor(error)) return false;
  log.warn({ err: error }, `${why}; sync run handed back, to resume from its last committed checkpoint`);
  return true;
}

/**
 * Ends a run the engine could not finish (still RUNNING) as FAILED with "internal error" and, when it
 * did, tells the run's subscribers (RUN_FINISHED), who saw its RUN_STARTED; never throws.
 */
export async function recordInternalFailure(orm: Orm, runId: number, bus?: ProgressPublisher): Promise<void> {
  const ended = await orm.em
    .fork()
    .nativeUpdate(SyncRun, { id: runId, status: 'RUNNING' }, { status: 'FAILED', finishedAt: new Date(), error: 'internal error' })
    .catch(() => 0);
  if (ended === 1 && bus) await announceRunEnd(orm, bus, runId, 'FAILED', 'internal error').catch(() => {});
}

/**
 * The per-job S3 clients of the service's runs and previews: a socket for every span slot and object
 * in flight, and a few for listings; `onRetry` is told of every retried listing or HEAD (metrics).
 */
export function createRunConnectors(config: Config, secrets: SecretBox, onRetry: (jobId: string, cause: RetryCause) => void): ConnectorCache {
  const tuning = resolveTuning(config);
  return createConnectorCache({
    config,
    secrets,
    maxSockets: tuning.spanSlots + config.syncConcurrency + 4,
    socketTimeoutMs: tuning.socketTimeoutMs,
    onRetry: (jobId, error) => onRetry(jobId, retryCause(error)),
  });
}
