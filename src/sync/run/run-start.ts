import type { Config } from '../../config/env.js';
import type { Logger } from '../../config/logger.js';
import { whileDatabaseDown, type OutageOptions } from '../../db/database-outage.js';
import { Job } from '../../db/entities/job.entity.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import type { ProgressPublisher } from '../../events/event-bus.js';
import type { ListingCheckpoint, ListingState } from '../checkpoint/listing-checkpoint.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { removeRowsOutOfScope } from '../local/job-scope.js';
import { acquireRunLock, RunLockedError, type RunLock } from '../local/run-lock.js';
import type { JobFolder } from '../local/job-folder.js';
import type { ResolvedTuning } from '../transfer/sync-tuning.js';
import { failureReason } from '../local/failure-reason.js';
import { openUncachedConnector, type ConnectorCache, type ConnectorLease } from '../transport/connector-cache.js';
import type { S3Connector } from '../transport/s3-connector.js';
import { LocalRunError } from './run-errors.js';
import { createRunEvents } from './run-events.js';
import type { RunTally } from './run-tally.js';

/**
 * The abort reason of a graceful stop: the run is handed back (RUNNING, resumed with the same id at
 * the next start or by another instance), so it is not recorded or announced as CANCELLED.
 */
export class ShutdownAbort extends Error {
  override name = 'ShutdownAbort';
  constructor() {
    super('shutting down');
  }
}

/**
 * Aborts once `signal` aborts for a graceful stop, and only then: the run's waits for the database
 * end (OutageOptions.stop), while a cancel's end still waits to be written.
 */
export function shutdownSignal(signal: AbortSignal): AbortSignal {
  const shutdown = new AbortController();
  const onAbort = () => {
    if (signal.reason instanceof ShutdownAbort) shutdown.abort(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return shutdown.signal;
}

/**
 * How a run's reads and writes wait out a database outage: each up to `maxWaitMs` (DB_OUTAGE_WAIT),
 * ended by a graceful stop. The first one that gives up loses the database for the whole run
 * (`lost`, its reason that write's error): the run stops, its transfers end cancelled rather than
 * failed (the error is the database's, not the object's), its other writes wait no longer, and its
 * end throws the error, so the run is handed back and resumed from its last committed checkpoint.
 */
export function createRunOutage(signal: AbortSignal, maxWaitMs: number, log: Pick<OutageOptions, 'onWait' | 'onRecovered'>) {
  const lost = new AbortController();
  const options: OutageOptions = {
    ...log,
    maxWaitMs,
    stop: AbortSignal.any([shutdownSignal(signal), lost.signal]),
    onGiveUp: (error) => lost.abort(error),
  };
  return { options, lost: lost.signal };
}

/**
 * A run's own abort: the caller's signal (cancel, graceful stop) or the job's deletion, which the
 * run notices itself (`jobGone`). `detach` unhooks it from the caller's signal at the run's end.
 */
export function createRunAbort(signal: AbortSignal) {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal.aborted) controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let gone = false;
  return {
    signal: controller.signal,
    get gone(): boolean {
      return gone;
    },
    jobGone: () => {
      gone = true;
      controller.abort();
    },
    detach: () => signal.removeEventListener('abort', onAbort),
  };
}

export interface RunConnectorInput {
  config: Config;
  connector?: S3Connector;
  connectors?: ConnectorCache;
  tuning: ResolvedTuning;
  onRetry?: (error: unknown) => void;
}

/** The job's S3 client: the one given, the cached one, or one of its own. Throws when the job's credentials cannot be opened. */
export function openRunConnector({ config, connector, connectors, tuning, onRetry }: RunConnectorInput, job: Job): ConnectorLease {
  if (connector) return { connector, release: () => {} };
  return (
    connectors?.acquire(job) ??
    openUncachedConnector(
      {
        config,
        secretsKey: config.secretsKey,
        maxSockets: tuning.spanSlots + config.syncConcurrency + 4,
        socketTimeoutMs: tuning.socketTimeoutMs,
        onRetry: onRetry && ((_jobId, error) => onRetry(error)),
      },
      job,
    )
  );
}

/** A job whose credentials cannot be opened never runs with the process's instead: the run ends FAILED before listing. */
export async function failBeforeListing(
  deps: { orm: Orm; bus: ProgressPublisher; logger: Logger },
  run: SyncRun,
  jobId: string,
  error: unknown,
): Promise<void> {
  const message = `connection: ${error instanceof Error ? error.message : String(error)}`;
  await deps.orm.em.fork().nativeUpdate(SyncRun, { id: run.id }, { status: 'FAILED', startedAt: run.startedAt ?? new Date(), finishedAt: new Date(), error: message });
  const runEvents = createRunEvents(deps.bus, jobId, run.id);
  runEvents.run('RUN_STARTED', 0);
  runEvents.run('RUN_FINISHED', 0, 'FAILED', message);
  deps.logger.warn({ runId: run.id, jobId, error: message }, 'sync run failed before listing');
}

/**
 * Creates the job's download folder and, on SQLite, takes its pid lock, inside the `.dss-partial`
 * the run's folder holds open (never through a link). On PostgreSQL the run's lease says who works
 * on it (instances may share one host and folder); the pid lock keeps the embedded SQLite service
 * and `npm run sync` apart. Throws a LocalRunError.
 */
export async function prepareJobFolder(orm: Orm, folder: JobFolder): Promise<RunLock | undefined> {
  let partialFolder: string;
  try {
    partialFolder = folder.partialFolder();
  } catch (error) {
    throw new LocalRunError(
      (error as NodeJS.ErrnoException).code === 'ELOOP'
        ? `${(error as Error).message}: partial downloads are never written through links`
        : `cannot create the download folder ${folder.root}: ${failureReason(error)}`,
    );
  }
  if (isPostgres(orm)) return undefined;
  return acquireRunLock(partialFolder).catch((error: unknown) => {
    if (error instanceof RunLockedError) throw new LocalRunError(error.message, { cause: error });
    throw new LocalRunError(`cannot lock the download folder ${folder.root}: ${failureReason(folder.described(error))}`);
  });
}

/**
 * The run's row and its job (with its sealed secrets), read again while the database is unreachable:
 * a run whose row went in just before an outage waits for it like the rest of the run. Nulls when gone.
 */
export async function readRunAndJob(orm: Orm, runId: number, outage: OutageOptions): Promise<{ run: SyncRun | null; job: Job | null }> {
  return whileDatabaseDown(async () => {
    const em = orm.em.fork();
    const run = await em.findOne(SyncRun, { id: runId });
    const job = run ? await em.findOne(Job, { id: run.jobId }, { populate: ['sealedCredentials', 'sealedSseCustomerKey'] as never }) : null;
    return { run, job };
  }, outage);
}

export interface RunSetUp {
  orm: Orm;
  folder: JobFolder;
  job: Job;
  run: SyncRun;
  downloadRoot: string;
  store: CheckpointStore;
  listing: ListingCheckpoint;
  tally: RunTally;
  outage: OutageOptions;
}

/**
 * Before listing: the job's folder and its lock, the rows a scope change left out, where the listing
 * resumes, the run row's start. Each database step waits out an outage (each is idempotent).
 */
export async function setUpRun({ orm, folder, job, run, downloadRoot, store, listing, tally, outage }: RunSetUp): Promise<{ lock: RunLock | undefined; resumeFrom: ListingState }> {
  const lock = await prepareJobFolder(orm, folder);
  await whileDatabaseDown(() => removeRowsOutOfScope(orm, job, downloadRoot), outage);
  const resumeFrom = await listing.state();
  if (resumeFrom.started) tally.resume(await listing.countListed());
  await store.updateRun({ ...tally.counters, startedAt: run.startedAt ?? new Date(), error: null });
  return { lock, resumeFrom };
}
