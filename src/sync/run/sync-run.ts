import { resolve } from 'node:path';
import type { Config } from '../../config/env.js';
import { createFailureLog } from '../../config/failure-log.js';
import { runLogger, type Logger } from '../../config/logger.js';
import type { RunStatus } from '../../db/entities/statuses.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import type { ProgressPublisher } from '../../events/event-bus.js';
import { createCheckpointStore, JobGoneError } from '../checkpoint/checkpoint-store.js';
import { createListingCheckpoint } from '../checkpoint/listing-checkpoint.js';
import { createRowBatcher } from '../checkpoint/row-batcher.js';
import { createCheckpointWaitClock, emptyStats, fileSystemSyncCounter, type RunStats } from '../checkpoint/run-stats.js';
import { openPartial, type OpenPartial } from '../local/local-files.js';
import { openJobFolder } from '../local/job-folder.js';
import type { RunLock } from '../local/run-lock.js';
import { createSmallFileSync, type OpenFileSystemSync } from '../local/small-file-sync.js';
import { createObjectClaims } from '../multi/object-claims.js';
import { countSharedResults } from '../multi/shared-run.js';
import { createLimiter } from '../transfer/limiter.js';
import { createProcessSlots, type ProcessSlots } from '../transfer/process-slots.js';
import { failureReason } from '../local/failure-reason.js';
import { resolveTuning, type SyncTuning } from '../transfer/sync-tuning.js';
import type { TransferContext } from '../transfer/transfer-context.js';
import { createTokenBucket, throttleConnector } from '../transport/bandwidth-limit.js';
import type { ConnectorCache, ConnectorLease } from '../transport/connector-cache.js';
import { retryCause, type RetryCause } from '../transport/retry.js';
import type { S3Connector } from '../transport/s3-connector.js';
import { createClaimWakeUp, fetchClaimed, workClaimedObjects } from './claimed-work.js';
import { createKeyFilter } from './key-filter.js';
import type { MirrorDeleteOutcome } from './mirror-deletes.js';
import { createObjectOutcomes } from './object-outcomes.js';
import { JOB_DELETED, LocalRunError, objectTaskFailed, rowCommitFailed } from './run-errors.js';
import { mirrorDeleteStep, recordRunEnd } from './run-end.js';
import { createRunEvents } from './run-events.js';
import { listIntoRun } from './run-listing.js';
import { createRunProgress } from './run-progress.js';
import { createRunAbort, createRunOutage, failBeforeListing, openRunConnector, readRunAndJob, setUpRun, ShutdownAbort } from './run-start.js';
import { createRunTally } from './run-tally.js';
import { removeUnlistedPartials } from './unlisted-partials.js';

export interface SyncRunDeps {
  orm: Orm;
  bus: ProgressPublisher;
  config: Config;
  logger: Logger;
  connector?: S3Connector;
  /** Per-job S3 clients, reused across runs; without it a run builds its own connector. */
  connectors?: ConnectorCache;
  tuning?: SyncTuning;
  /** The process's transfer bounds, shared with its other runs; without them the run has bounds of its own. */
  slots?: ProcessSlots;
  /** Told about every retried S3 call, with the job and the retry's cause (metrics). */
  onRetry?: (jobId: string, cause: RetryCause) => void;
  /** Replaces how partial files are opened (tests inject disk faults through it). */
  openPartial?: OpenPartial;
  /** Replaces the file system sync of small files (tests observe and fail it). */
  openFileSystemSync?: OpenFileSystemSync;
}

export interface SyncRunResult {
  status: RunStatus;
  stats: RunStats;
  /** Set when the job mirrors deletes and the listing completed: what was removed, or why nothing was (DELETES_BLOCKED). */
  deletes?: MirrorDeleteOutcome;
}

/**
 * One run of one job: list the prefix page by page, skip unchanged objects, fetch the rest with at
 * most the job's `maxConcurrency` objects in flight (within the process's `syncConcurrency`, shared
 * with its other runs), record the run. Never throws for S3, network or file problems: they end up
 * in the rows and the run's status.
 */
export async function executeSyncRun(
  deps: SyncRunDeps,
  runId: number,
  signal: AbortSignal,
  /** `helper`: another instance holds the run; only claim and fetch its open objects (object-claims.ts). */
  options: { helper?: boolean } = {},
): Promise<SyncRunResult> {
  const started = performance.now();
  const stats = emptyStats();
  const { orm, config } = deps;
  // Its reads and writes wait out a database outage (or on SQLite another process's long write): logged once per wait.
  const waits = createFailureLog(deps.logger, { failed: 'sync run database writes wait', recovered: 'sync run database writes succeed again' });
  const { options: outage, lost: databaseLost } = createRunOutage(signal, config.databaseOutageWaitMs, { onWait: waits.failed, onRecovered: waits.succeeded });
  const { run, job } = await readRunAndJob(orm, runId, outage);
  // Every line of the run, the transfers' included, carries jobId and runId.
  const logger = runLogger(deps.logger, run?.jobId, runId);
  if (!run || !job) {
    logger.info('sync run or its job no longer exists; nothing to do');
    return { status: 'CANCELLED', stats };
  }
  if (run.status !== 'RUNNING') return { status: run.status, stats };

  // Connect.
  const abort = createRunAbort(AbortSignal.any([signal, databaseLost]));
  const tuning = resolveTuning(config, deps.tuning);
  const slots = deps.slots ?? createProcessSlots(config, deps.tuning);
  const onRetry = deps.onRetry && ((error: unknown) => deps.onRetry?.(job.id, retryCause(error)));
  let lease: ConnectorLease;
  try {
    lease = openRunConnector({ config, connector: deps.connector, connectors: deps.connectors, tuning, onRetry }, job);
  } catch (error) {
    abort.detach();
    await failBeforeListing({ ...deps, logger }, run, job.id, error);
    return { status: 'FAILED', stats };
  }
  const connector = job.bandwidthLimit ? throttleConnector(lease.connector, createTokenBucket(job.bandwidthLimit)) : lease.connector;
  const keep = createKeyFilter(job);

  // The run's parts: what it records, what it counts, how it transfers.
  const jobRoot = resolve(config.downloadRoot, job.id);
  const tally = createRunTally();
  // On PostgreSQL the objects are claimed in batches, so several instances share one run, unless its
  // holder fetches from its own listing (`npm run sync`: a killed one-off process would leave claims behind).
  const claims =
    isPostgres(orm) && run.sharesWork
      ? createObjectClaims({ orm, jobId: job.id, runId, instanceId: config.instanceId, ttlMs: config.runLeaseTtlMs, logger, outage })
      : undefined;
  const store = createCheckpointStore(orm, job.id, runId, config.instanceId, claims?.owner, outage);
  const listing = createListingCheckpoint(orm, job.id, runId, outage);
  const events = createRunEvents(deps.bus, job.id, runId);
  const progress = createRunProgress(store, tally.counters, {
    onError: (error) => logger.warn({ err: error, runId }, 'could not record the run progress'),
  });
  const smallFileSync = await createSmallFileSync({
    mode: config.fileSync,
    jobRoot,
    open: deps.openFileSystemSync,
    onSynced: fileSystemSyncCounter(stats),
  });
  const folder = openJobFolder(jobRoot);
  const failures = { jobGone: abort.jobGone, tally, logger };
  const batcher = createRowBatcher(store, {
    maxRows: tuning.batchRows,
    counters: progress.snapshot,
    stats,
    beforeCommit: smallFileSync.beforeCommit,
    onError: rowCommitFailed(failures, folder),
  });
  const ctx: TransferContext = {
    connector,
    store,
    batcher,
    bucket: job.bucketName,
    jobId: job.id,
    runId,
    chunkSize: config.chunkSize,
    getSpan: tuning.getSpan,
    spansPerObject: tuning.spansPerObject,
    spanSlots: slots.spans,
    workerHashMinBytes: tuning.workerHashMinBytes,
    hashPool: slots.hashes,
    retry: config.retry,
    signal: abort.signal,
    logger,
    stats,
    checkpointWaits: createCheckpointWaitClock(stats),
    folder,
    openPartial: deps.openPartial ?? openPartial,
    smallFileSync,
    publish: (kind, object, bytes, status, error) => {
      if (kind === 'CHUNK') progress.chunk(object, bytes);
      events.object(kind, object, bytes, status, error);
    },
    jobGone: abort.jobGone,
    onRetry,
  };
  const taskFailed = objectTaskFailed(failures, stats);
  // An object holds one of the job's maxConcurrency slots and one of the process's SYNC_CONCURRENCY, and
  // starts (or is claimed) only while the rows waiting for their commit leave room: a stalled commit stops fetching.
  const limiter = createLimiter(job.maxConcurrency ?? config.syncConcurrency, taskFailed, { slots: slots.objects, signal: abort.signal }, () =>
    batcher.room(abort.signal),
  );
  // Small objects whose verified bytes wait in memory for their write (at most 256 KiB each).
  const writer = createLimiter(Number.MAX_SAFE_INTEGER, taskFailed, { slots: slots.smallWrites });
  const outcomes = createObjectOutcomes({ ctx, tally, progress, batcher, events, writer });
  let lock: RunLock | undefined;
  const release = async () => {
    abort.detach();
    lease.release();
    await smallFileSync.close();
    // A run with bounds of its own (no executor) ends its hash workers; shared ones serve the next run.
    if (!deps.slots) await slots.hashes.close();
    await lock?.release();
    ctx.folder.close();
  };

  // A shared run: this instance claims listed objects (the holder) or open ones (a helper) and fetches
  // them as their rows describe them (the listing's size, ETag and checksum algorithms).
  let listingDone = false;
  const wakeUp = createClaimWakeUp();
  const claimedWork =
    claims &&
    workClaimedObjects({
      claims,
      limiter,
      signal: abort.signal,
      listingDone: options.helper ? undefined : () => listingDone,
      shouldStop: () => tally.listingFailedAlready || abort.gone,
      settle: () => batcher.flush(),
      idleMs: 100,
      wakeUp,
      work: (row) => fetchClaimed(jobRoot, row, outcomes.fetch),
    });
  /** Every transfer ended and its rows committed (or given up on): the run's resources may close. */
  const settle = async () => {
    for (const step of [limiter.drain, writer.drain, batcher.flush, progress.stop]) await step();
  };
  // Awaited after the listing: its failure meanwhile (the database gone at a stop) is not left unhandled.
  void claimedWork?.catch(() => undefined);
  if (options.helper) {
    // Also when its claims gave up on the database: its transfers end, and what it opened closes.
    try {
      await claimedWork;
    } finally {
      await settle();
      await release();
    }
    logger.info({ stats }, 'helped with a sync run held by another instance');
    return { status: 'RUNNING', stats };
  }

  // List (resuming where a run cut short stopped) and fetch.
  let listedAny = false;
  try {
    // Announced before the folder and its lock: a run that fails on them still reads RUN_STARTED … RUN_FINISHED.
    events.run('RUN_STARTED', 0);
    const setUp = await setUpRun({ orm, folder: ctx.folder, job, run, downloadRoot: config.downloadRoot, store, listing, tally, outage });
    lock = setUp.lock;
    const listed = await listIntoRun(
      {
        runId,
        connector,
        bucket: job.bucketName,
        prefix: job.prefix,
        jobRoot,
        keep,
        store,
        listing,
        tally,
        progress,
        outcomes,
        folder: ctx.folder,
        // On a shared run the recorded row is the queue: objects are claimed from it.
        queue: (decision) => (claims ? wakeUp.ring() : limiter.run(() => outcomes.fetch({ ...decision }))),
        signal: abort.signal,
        stats,
        listRanges: { ranges: config.listConcurrency, minKeys: tuning.listRangeMinKeys },
        logger,
      },
      setUp.resumeFrom,
    );
    listedAny = listed.listedAny;
  } catch (error) {
    if (error instanceof JobGoneError) abort.jobGone();
    else if (error instanceof LocalRunError) tally.listingFailed(error.message);
    else if (!abort.signal.aborted) tally.listingFailed(`listing failed: ${failureReason(error)}`);
  }
  listingDone = true;
  wakeUp.ring();
  // A claim that gave up on the database stopped the run: its transfers still end before it is handed back.
  await claimedWork?.catch((error: unknown) => { if (!databaseLost.aborted) throw error; });
  await settle();

  // End: after a clean listing, unfinished downloads of keys gone and mirror deletes; the shared run's counts; the run's record.
  const listingIsWhole = !abort.gone && tally.clean && !abort.signal.aborted;
  if (listingIsWhole && listedAny) await removeUnlistedPartials({ orm, logger, jobId: job.id, runId, folder: ctx.folder });
  const deletes = job.mirrorDeletes === true && listingIsWhole ? await mirrorDeleteStep({ orm, logger, job, runId, folder: ctx.folder, listedAny, events, tally }) : undefined;
  // Helpers' objects are committed as rows: the run's counts come from the database.
  if (claims && !abort.signal.aborted) tally.sharedFirstFailure(await countSharedResults(orm, job.id, runId, tally.counters));
  await release();
  stats.wallMs = performance.now() - started;
  if (abort.gone) {
    // No row to record the end on, but subscribers and metrics saw RUN_STARTED: they are told it ended.
    events.run('RUN_FINISHED', progress.snapshot().bytesDone, 'CANCELLED', JOB_DELETED);
    logger.info('job deleted during its sync run; stopped');
    return { status: 'CANCELLED', stats };
  }
  // Not ended: run-executor.ts hands the run back.
  if (databaseLost.aborted) throw databaseLost.reason;
  if (signal.reason instanceof ShutdownAbort) {
    // Handed back, not ended: the row stays RUNNING, and no RUN_FINISHED is sent; whoever resumes the
    // run (this instance at its next start, or another one) announces it with RUN_STARTED again.
    logger.info('sync run stopped for shutdown; handed back');
    return { status: 'CANCELLED', stats };
  }
  const end = await recordRunEnd({ store, events, logger, tally, counters: progress.snapshot(), stats, aborted: abort.signal.aborted, deletes });
  return end.recorded ? { status: end.status, stats, deletes } : { status: end.status, stats };
}
