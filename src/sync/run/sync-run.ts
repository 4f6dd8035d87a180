import { mkdir, open, utimes } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../../config/env.js';
import { runLogger, type Logger } from '../../config/logger.js';
import { Job } from '../../db/entities/job.entity.js';
import type { RunStatus } from '../../db/entities/statuses.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import type { EventBus } from '../../events/event-bus.js';
import { createCheckpointStore, JobGoneError, type StoredObject } from '../checkpoint/checkpoint-store.js';
import { transferChunkedObject } from '../transfer/chunk-transfer.js';
import { createHashPool } from '../verify/hash-worker.js';
import { createLimiter, createSemaphore, readAhead, yieldToEventLoop } from '../transfer/limiter.js';
import { LocalRunError } from './run-errors.js';
import { ensureDir, isPresent, openPartial, removeQuietly, type OpenPartial } from '../local/local-files.js';
import { planPage, type PageDecision } from './page-plan.js';
import { describe } from '../transfer/range-fetch.js';
import { retryCause, type RetryCause } from '../transport/retry.js';
import { createRunEvents } from './run-events.js';
import { createRunProgress } from './run-progress.js';
import { createRowBatcher } from '../checkpoint/row-batcher.js';
import { acquireRunLock, RunLockedError, type RunLock } from '../local/run-lock.js';
import { PARTIAL_DIR, partialPathFor } from '../local/safe-path.js';
import type { RemoteObject, S3Connector } from '../transport/s3-connector.js';
import { openUncachedConnector, type ConnectorCache, type ConnectorLease } from '../transport/connector-cache.js';
import { createKeyFilter } from './key-filter.js';
import { createListingCheckpoint, createListingPosition, type ListingState } from '../checkpoint/listing-checkpoint.js';
import { createTokenBucket, throttleConnector } from '../transport/bandwidth-limit.js';
import { applyMirrorDeletes, DEFAULT_MAX_DELETE_PERCENT, type MirrorDeleteOutcome } from './mirror-deletes.js';
import { transferSmallObject } from '../transfer/small-object.js';
import { resolveTuning, type SyncTuning } from '../transfer/sync-tuning.js';
import { emptyStats, type RunStats } from '../checkpoint/run-stats.js';
import type { TransferContext, TransferOutcome, WorkItem } from '../transfer/transfer-context.js';
import { createObjectClaims } from '../multi/object-claims.js';
import { claimedItem, workClaimedObjects } from './claimed-work.js';
import { countSharedResults } from '../multi/shared-run.js';

/**
 * Listed objects looked up, planned and recorded at a time (a page holds up to 1000), with a turn of
 * the event loop between slices: better-sqlite3 is synchronous, and recording a 1000-row page in one
 * go held the loop (and the API sharing it) for 20–50 ms.
 */
const PAGE_SLICE = 250;

/** Small files being written and fdatasync'ed beside the downloads (memory: at most 8 MiB). */
const SMALL_WRITES_IN_FLIGHT = 32;

export interface SyncRunDeps {
  orm: Orm;
  bus: EventBus;
  config: Config;
  logger: Logger;
  connector?: S3Connector;
  /** Per-job S3 clients, reused across runs; without it a run builds its own connector. */
  connectors?: ConnectorCache;
  tuning?: SyncTuning;
  /** Told about every retried S3 call, with the job and the retry's cause (metrics). */
  onRetry?: (jobId: string, cause: RetryCause) => void;
  /** Replaces how partial files are opened (tests inject disk faults through it). */
  openPartial?: OpenPartial;
  /** False: fetch from the listing, claiming nothing (the CLI, a one-off process). Default: on PostgreSQL. */
  shareWork?: boolean;
}

export interface SyncRunResult {
  status: RunStatus;
  stats: RunStats;
  /** Set when the job mirrors deletes and the listing completed: what was removed, or why nothing was (DELETES_BLOCKED). */
  deletes?: MirrorDeleteOutcome;
}

/**
 * One run of one job: list the prefix page by page, skip unchanged objects, fetch the rest with at
 * most `syncConcurrency` objects in flight, record the run. Never throws for S3, network or file
 * problems: they end up in the rows and the run's status.
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
  const em = orm.em.fork();
  const run = await em.findOne(SyncRun, { id: runId });
  const job = run ? await em.findOne(Job, { id: run.jobId }, { populate: ['sealedCredentials'] as never }) : null;
  // Every line of the run, the transfers' included, carries jobId and runId.
  const logger = runLogger(deps.logger, run?.jobId, runId);
  if (!run || !job) {
    logger.info('sync run or its job no longer exists; nothing to do');
    return { status: 'CANCELLED', stats };
  }
  if (run.status !== 'RUNNING') return { status: run.status, stats };

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal.aborted) controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let gone = false;
  const jobGone = () => {
    gone = true;
    controller.abort();
  };
  const tuning = resolveTuning(config, deps.tuning);
  const onRetry = deps.onRetry && ((error: unknown) => deps.onRetry?.(job.id, retryCause(error)));
  let lease: ConnectorLease;
  try {
    lease = deps.connector
      ? { connector: deps.connector, release: () => {} }
      : (deps.connectors?.acquire(job) ??
        openUncachedConnector(
          {
            config,
            secretsKey: config.secretsKey,
            maxSockets: tuning.spanSlots + config.syncConcurrency + 4,
            socketTimeoutMs: tuning.socketTimeoutMs,
            onRetry: onRetry && ((_jobId, error) => onRetry(error)),
          },
          job,
        ));
  } catch (error) {
    // A job whose credentials cannot be opened never runs with the process's instead.
    signal.removeEventListener('abort', onAbort);
    const message = `connection: ${error instanceof Error ? error.message : String(error)}`;
    await em.nativeUpdate(SyncRun, { id: runId }, { status: 'FAILED', startedAt: run.startedAt ?? new Date(), finishedAt: new Date(), error: message });
    const runEvents = createRunEvents(deps.bus, job.id, runId);
    runEvents.run('RUN_STARTED', 0);
    runEvents.run('RUN_FINISHED', 0, 'FAILED', message);
    logger.warn({ runId, jobId: job.id, error: message }, 'sync run failed before listing');
    return { status: 'FAILED', stats };
  }
  const connector = job.bandwidthLimit ? throttleConnector(lease.connector, createTokenBucket(job.bandwidthLimit)) : lease.connector;
  const keep = createKeyFilter(job);
  const mirrorDeletes = job.mirrorDeletes === true;
  const listing = createListingCheckpoint(orm, job.id, runId);
  let listedCount = 0;
  const counters = { objectsTotal: 0, objectsDone: 0, objectsFailed: 0, objectsSkipped: 0, bytesTotal: 0, bytesDone: 0 };
  let firstFailure: string | null = null;
  let internalError: string | null = null;
  // On PostgreSQL the objects are claimed in batches, so several instances share one run.
  const claims = isPostgres(orm) && deps.shareWork !== false
    ? createObjectClaims({ orm, runId, instanceId: config.instanceId, ttlMs: config.runLeaseTtlMs, logger })
    : undefined;
  /** Objects to fetch as listed (checksum algorithms included), until claimed by this instance. */
  const listedForClaims = new Map<string, RemoteObject>();
  const store = createCheckpointStore(orm, job.id, runId, config.instanceId, claims !== undefined);
  const events = createRunEvents(deps.bus, job.id, runId);
  const progress = createRunProgress(store, counters, {
    onError: (error) => logger.warn({ err: error, runId }, 'could not record the run progress'),
  });
  const batcher = createRowBatcher(store, {
    counters: progress.snapshot,
    stats,
    onError: (error) => {
      if (error instanceof JobGoneError) return jobGone();
      internalError ??= `database: ${describe(error)}`;
      logger.error({ err: error }, 'could not commit object rows');
    },
  });
  const jobRoot = resolve(config.downloadRoot, job.id);
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
    spanSlots: createSemaphore(tuning.spanSlots),
    workerHashMinBytes: tuning.workerHashMinBytes,
    hashPool: createHashPool(),
    retry: config.retry,
    signal: controller.signal,
    logger,
    stats,
    createdDirs: new Set(),
    openPartial: deps.openPartial ?? openPartial,
    publish: (kind, object, bytes, status, error) => {
      if (kind === 'CHUNK') progress.chunk(object.key, bytes);
      events.object(kind, object, bytes, status, error);
    },
    jobGone,
    onRetry,
  };

  const failed = (remote: RemoteObject, error: string, keepCheckpoint: boolean) => {
    counters.objectsFailed += 1;
    progress.settle(remote.key);
    firstFailure ??= `${remote.key}: ${error}`;
    batcher.add(remote.key, keepCheckpoint ? { status: 'FAILED', error } : { status: 'FAILED', error, lastPosition: 0 }, () =>
      events.object('OBJECT_FAILED', remote, 0, 'FAILED', error),
    );
  };
  const done = (remote: RemoteObject, status: 'PROCESSED' | 'SKIPPED', localPath: string) => {
    counters.objectsDone += 1;
    counters.bytesDone += remote.size;
    progress.settle(remote.key);
    if (status === 'SKIPPED') counters.objectsSkipped += 1;
    batcher.add(remote.key, { status, lastPosition: remote.size, localPath, error: null }, () => {
      if (status === 'SKIPPED') return events.object('OBJECT_SKIPPED', remote, 0, 'SKIPPED');
      events.object('CHUNK', remote, remote.size, 'PROCESSING');
      events.object('OBJECT_DONE', remote, remote.size, 'PROCESSED');
    });
  };

  const transfer = (item: WorkItem): Promise<TransferOutcome> =>
    item.remote.size <= config.chunkSize ? transferSmallObject(ctx, item) : transferChunkedObject(ctx, item);

  const record = (item: WorkItem, outcome: TransferOutcome) => {
    if (outcome.status === 'PROCESSED') done(item.remote, 'PROCESSED', item.finalPath);
    else if (outcome.status === 'FAILED') failed(item.remote, outcome.error, !outcome.restart);
  };
  const fetchObject = async (item: WorkItem) => {
    let outcome = await transfer(item);
    if (outcome.status === 'CHANGED') outcome = await restartChanged(item);
    if (outcome.status !== 'FETCHED') return record(item, outcome);
    // The download slot is freed once a writer slot is: the next GET overlaps with this file's fdatasync.
    const { finish } = outcome;
    await writer.run(async () => record(item, await finish()));
  };

  /** 412 on If-Match: read the object's new version and fetch it again from byte 0, once. */
  const restartChanged = async (item: WorkItem): Promise<TransferOutcome> => {
    try {
      const current = await connector.head(ctx.bucket, item.remote.key, controller.signal);
      await removeQuietly(item.partialPath);
      counters.bytesTotal += current.size - item.remote.size;
      item.remote = { ...item.remote, ...current };
      item.lastPosition = 0;
      const update = { etag: current.etag, size: current.size, lastModified: current.lastModified, lastPosition: 0 };
      if (!(await store.commit(item.remote.key, { ...update, status: 'PENDING' }))) return jobGone(), { status: 'CANCELLED' };
      const again = current.size === 0 ? await writeEmptyFile(item.finalPath, item.remote) : await transfer(item);
      return again.status === 'CHANGED' ? { status: 'FAILED', error: 'the object kept changing at the source during the run' } : again;
    } catch (error) {
      if (controller.signal.aborted) return { status: 'CANCELLED' };
      return { status: 'FAILED', error: `the object changed at the source and could not be re-read: ${describe(error)}` };
    }
  };

  const handleEmpty = async (remote: RemoteObject, path: string, isDirectory: boolean) => {
    try {
      if (isDirectory) await mkdir(path, { recursive: true });
      else await ensureDir(ctx, dirname(path));
      if (!isDirectory) await writeEmptyFile(path, remote);
      done(remote, 'SKIPPED', path);
    } catch (error) {
      failed(remote, describe(error), false);
    }
  };

  /**
   * One listing page (or, with `replay`, rows this run listed before a restart and did not finish):
   * keys already listed by this run are dropped, the rest recorded and queued; then the page is
   * marked as listed and the listing position moves past it.
   */
  const handlePage = async (listedPage: RemoteObject[], replay = false) => {
    const page = replay ? listedPage : await withoutRepeats(listedPage);
    const kept: string[] = [];
    for (let start = 0; start < page.length; start += PAGE_SLICE) {
      if (start > 0) await yieldToEventLoop();
      kept.push(...(await handleSlice(page.slice(start, start + PAGE_SLICE))));
    }
    if (!replay) await listing.recordPage(kept, position.advance(page.map((remote) => remote.key)));
  };

  /** Drops keys repeated within the page or already listed by this run (across pages, or a page re-listed after a crash). */
  const withoutRepeats = async (listed: RemoteObject[]): Promise<RemoteObject[]> => {
    const unique = new Map(listed.map((remote) => [remote.key, remote]));
    const seen = await listing.alreadyListed([...unique.keys()]);
    if (seen.size === 0 && unique.size === listed.length) return listed;
    return [...unique.values()].filter((remote) => !seen.has(remote.key));
  };

  /** Records and queues a slice of a page; returns the keys the filters kept. */
  const handleSlice = async (listed: RemoteObject[]): Promise<string[]> => {
    listedCount += listed.length;
    const page = keep ? await setAsideExcluded(listed) : listed;
    if (page.length === 0) return [];
    const stored = await store.load(page.map((o) => o.key));
    const decisions = resolveMissing(planPage(jobRoot, page, stored));
    const changes = decisions.flatMap((d) =>
      d.kind === 'unchanged' ? [] : [{ remote: d.remote, stored: d.stored, lastPosition: d.kind === 'fetch' ? d.lastPosition : 0 }],
    );
    await store.upsert(changes);
    await restoreIncluded(decisions);
    for (const decision of decisions) {
      const { remote } = decision;
      counters.objectsTotal += 1;
      counters.bytesTotal += remote.size;
      if (controller.signal.aborted) continue;
      if (decision.kind === 'unchanged') {
        counters.objectsDone += 1;
        counters.objectsSkipped += 1;
        counters.bytesDone += remote.size;
      } else if (decision.kind === 'refused') failed(remote, decision.reason, false);
      else if (decision.kind === 'empty') await handleEmpty(remote, decision.path, decision.isDirectory);
      else if (claims) listedForClaims.set(remote.key, remote);
      else await limiter.run(() => fetchObject({ ...decision }));
    }
    progress.changed();
    return page.map((remote) => remote.key);
  };

  /** EXCLUDED rows matched again with their complete file in place: back to their done status, no GET. */
  const restoreIncluded = async (decisions: PageDecision[]) => {
    const restored = decisions.flatMap((d) =>
      d.kind === 'unchanged' && d.stored.status === 'EXCLUDED'
        ? [{ key: d.remote.key, update: { status: d.remote.size === 0 ? ('SKIPPED' as const) : ('PROCESSED' as const) } }]
        : [],
    );
    if (restored.length) await store.commitMany(restored);
  };

  /** Objects the filters leave out: their rows (if any) become EXCLUDED; nothing is fetched. */
  const setAsideExcluded = async (listed: RemoteObject[]): Promise<RemoteObject[]> => {
    const kept = listed.filter((remote) => keep!(remote.key));
    if (kept.length === listed.length) return kept;
    const excluded = listed.filter((remote) => !keep!(remote.key)).map((remote) => remote.key);
    const rows = await store.load(excluded);
    const updates = [...rows.values()]
      .filter((row) => row.status !== 'EXCLUDED' && row.status !== 'DELETED')
      // A complete file keeps its checkpoint (re-included unchanged, it is skipped); an unfinished one starts over.
      .map((row) => ({
        key: row.key,
        update: { status: 'EXCLUDED' as const, error: null, ...(row.status === 'PROCESSED' || row.status === 'SKIPPED' ? {} : { lastPosition: 0 }) },
      }));
    if (updates.length) await store.commitMany(updates);
    return kept;
  };

  const taskFailed = (error: unknown) => {
    stats.tasksFailed += 1;
    if (error instanceof JobGoneError) return jobGone();
    internalError ??= `object task: ${describe(error)}`;
    logger.error({ err: error, runId }, 'an object task failed without recording an outcome');
  };
  const limiter = createLimiter(Math.min(config.syncConcurrency, job.maxConcurrency ?? config.syncConcurrency), taskFailed);
  // Small objects whose verified bytes wait in memory for their write (at most 256 KiB each).
  const writer = createLimiter(SMALL_WRITES_IN_FLIGHT, taskFailed);
  let listingError: string | null = null;
  let lock: RunLock | undefined;
  let resumeFrom: ListingState = { listAfter: null, complete: false };
  let position = createListingPosition(null);
  let listingDone = false;
  const claimedWork =
    claims &&
    workClaimedObjects({
      claims,
      limiter,
      signal: controller.signal,
      listingDone: options.helper ? undefined : () => listingDone,
      shouldStop: () => listingError !== null || gone,
      settle: () => batcher.flush(),
      idleMs: 100,
      work: async (row) => {
        const listed = listedForClaims.get(row.key);
        listedForClaims.delete(row.key);
        const item = claimedItem(jobRoot, row, listed);
        // Refused keys (a NUL is shown as ␀) are recorded FAILED by the holder's listing itself.
        if ('refused' in item || row.key.includes('\u2400')) return;
        await fetchObject(item);
      },
    });
  if (options.helper) {
    await claimedWork;
    await writer.drain();
    await batcher.flush();
    await progress.stop();
    signal.removeEventListener('abort', onAbort);
    lease.release();
    await ctx.hashPool.close();
    logger.info({ stats }, 'helped with a sync run held by another instance');
    return { status: 'RUNNING', stats };
  }
  try {
    await mkdir(join(jobRoot, PARTIAL_DIR), { recursive: true }).catch((error: unknown) => {
      throw new LocalRunError(`cannot create the download folder ${jobRoot}: ${describe(error)}`);
    });
    // On PostgreSQL the run's lease says who works on it (instances may share one host and folder);
    // the pid lock keeps the embedded SQLite service and `npm run sync` apart.
    if (!isPostgres(orm)) {
      lock = await acquireRunLock(join(jobRoot, PARTIAL_DIR)).catch((error: unknown) => {
        if (error instanceof RunLockedError) throw new LocalRunError(error.message, { cause: error });
        throw new LocalRunError(`cannot lock the download folder ${jobRoot}: ${describe(error)}`);
      });
    }
    resumeFrom = await listing.state();
    position = createListingPosition(resumeFrom.listAfter);
    const resumed = resumeFrom.listAfter !== null || resumeFrom.complete;
    if (resumed) {
      const { firstFailure: failedBefore, ...before } = await listing.countListed();
      firstFailure = failedBefore;
      Object.assign(counters, before);
    }
    await store.updateRun({ ...counters, startedAt: run.startedAt ?? new Date(), error: null });
    events.run('RUN_STARTED', 0);
    const recorded = (error: unknown) => {
      if (error instanceof JobGoneError) throw error;
      throw new LocalRunError(`recording the listing failed: ${describe(error)}`);
    };
    // Objects listed before a restart and not finished go first; the listing then goes on after its last recorded key.
    if (resumed) for await (const rows of listing.unfinished()) await handlePage(rows, true).catch(recorded);
    if (!resumeFrom.complete) {
      let listStarted = performance.now();
      const pages = connector.listPages(job.bucketName, job.prefix, controller.signal, resumeFrom.listAfter ?? undefined);
      for await (const page of readAhead(pages)) {
        stats.listMs += performance.now() - listStarted;
        if (controller.signal.aborted) break;
        await handlePage(page).catch(recorded);
        listStarted = performance.now();
      }
      if (!controller.signal.aborted) await listing.complete().catch(recorded);
    }
  } catch (error) {
    if (error instanceof JobGoneError) jobGone();
    else if (error instanceof LocalRunError) listingError = error.message;
    else if (!controller.signal.aborted) listingError = `listing failed: ${describe(error)}`;
  }
  listingDone = true;
  await claimedWork;
  await limiter.drain();
  await writer.drain();
  await batcher.flush();
  await progress.stop();
  let deletes: MirrorDeleteOutcome | undefined;
  if (mirrorDeletes && !gone && !listingError && !internalError && !controller.signal.aborted) {
    deletes = await applyMirrorDeletes({
      orm,
      logger,
      jobId: job.id,
      runId,
      jobRoot,
      listedAny: listedCount > 0 || resumeFrom.listAfter !== null,
      maxDeletePercent: job.maxDeletePercent ?? DEFAULT_MAX_DELETE_PERCENT,
      onDeleted: (row) => events.object('OBJECT_DELETED', { key: row.key, size: row.size, etag: '', lastModified: null, checksumAlgorithms: [] }, 0, 'DELETED'),
    }).catch((error: unknown) => {
      internalError ??= `mirror deletes: ${describe(error)}`;
      return undefined;
    });
  }
  // Helpers' objects are committed as rows: the run's counts come from the database.
  if (claims && !controller.signal.aborted) firstFailure = (await countSharedResults(orm, runId, counters)) ?? firstFailure;
  const deletesBlocked = deletes?.kind === 'blocked' ? deletes.message : null;
  signal.removeEventListener('abort', onAbort);
  lease.release();
  await ctx.hashPool.close();
  await lock?.release();
  stats.wallMs = performance.now() - started;
  if (gone) {
    logger.info('job deleted during its sync run; stopped');
    return { status: 'CANCELLED', stats };
  }
  const status: RunStatus = controller.signal.aborted
    ? 'CANCELLED'
    : listingError || internalError || deletesBlocked || counters.objectsFailed > 0
      ? 'FAILED'
      : 'SUCCEEDED';
  const error =
    listingError ?? internalError ?? deletesBlocked ?? (counters.objectsFailed > 0 ? `${counters.objectsFailed} object(s) failed; first: ${firstFailure}` : null);
  try {
    if (!(await store.updateRun({ ...counters, status, error, finishedAt: new Date() }))) return { status: 'CANCELLED', stats };
  } catch (dbError) {
    logger.error({ err: dbError }, 'could not record the end of the sync run');
    return { status: 'FAILED', stats };
  }
  events.run('RUN_FINISHED', counters.bytesDone, status, error);
  logger.info({ status, ...counters, error, stats, deletes }, 'sync run finished');
  return { status, stats, deletes };

  /** An unchanged object whose local file is gone or has another size is fetched again (whole). */
  function resolveMissing(decisions: PageDecision[]): PageDecision[] {
    return decisions.map((d): PageDecision => {
      if (d.kind !== 'unchanged' || isPresent(d.path, d.remote.size, d.isDirectory)) return d;
      const stored: StoredObject = d.stored;
      if (d.remote.size === 0) return { kind: 'empty', remote: d.remote, path: d.path, isDirectory: d.isDirectory, stored };
      return { kind: 'fetch', remote: d.remote, finalPath: d.path, partialPath: partialPathFor(jobRoot, d.remote.key), lastPosition: 0, stored };
    });
  }
}

async function writeEmptyFile(path: string, remote: RemoteObject): Promise<TransferOutcome> {
  const file = await open(path, 'w');
  await file.close();
  if (remote.lastModified) await utimes(path, remote.lastModified, remote.lastModified);
  return { status: 'PROCESSED' };
}
