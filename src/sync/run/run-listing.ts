import { dirname } from 'node:path';
import type { Logger } from '../../config/logger.js';
import { JobGoneError, type CheckpointStore, type StoredObject } from '../checkpoint/checkpoint-store.js';
import type { createListingCheckpoint, ListingState } from '../checkpoint/listing-checkpoint.js';
import type { RunStats } from '../checkpoint/run-stats.js';
import { createEmptyFile, createMarkerFolder, isPresent, publishedPathOf } from '../local/local-files.js';
import type { JobFolder } from '../local/job-folder.js';
import { partialPathFor } from '../local/safe-path.js';
import { readAhead, yieldToEventLoop } from '../transfer/limiter.js';
import { failureReason } from '../local/failure-reason.js';
import type { RemoteObject, S3Connector } from '../transport/s3-connector.js';
import type { ObjectOutcomes } from './object-outcomes.js';
import { listPrefix, type PositionedPage } from './key-range-listing.js';
import { planPage, recordableKey, type PageDecision } from './page-plan.js';
import { LocalRunError } from './run-errors.js';
import type { RunProgress } from './run-progress.js';
import type { RunTally } from './run-tally.js';

/**
 * Listed objects looked up, planned and recorded at a time (a page holds up to 1000), with a turn of
 * the event loop between slices: better-sqlite3 is synchronous, and recording a 1000-row page in one
 * go held the loop (and the API sharing it) for 20–50 ms.
 */
const PAGE_SLICE = 250;

export type FetchDecision = Extract<PageDecision, { kind: 'fetch' }>;

export interface RunListingDeps {
  runId: number;
  connector: S3Connector;
  bucket: string;
  prefix: string;
  jobRoot: string;
  /** The job's include/exclude filter; null when it has none. */
  keep: ((key: string) => boolean) | null;
  store: CheckpointStore;
  listing: ReturnType<typeof createListingCheckpoint>;
  tally: RunTally;
  progress: RunProgress;
  outcomes: Pick<ObjectOutcomes, 'done' | 'failed'>;
  /** The run's job folder, where empty files and folder markers are made (shared with the transfers). */
  folder: JobFolder;
  /** Hands an object to fetch to the run: a transfer slot, or the claims of a shared run. */
  queue(decision: FetchDecision): Promise<void> | void;
  signal: AbortSignal;
  stats: RunStats;
  /** Key ranges listed side by side when the job's stored keys allow (1: one listing in sequence). */
  listRanges: { ranges: number; minKeys: number };
  logger: Pick<Logger, 'warn'>;
}

/**
 * The run's listing: first the objects listed before a restart and not finished, then the listing
 * from its recorded position on, page by page, to its end (then marked complete). Each page's
 * objects are recorded, counted and queued. Returns whether any object was listed (for mirror
 * deletes); throws a LocalRunError when the listing cannot be recorded, a JobGoneError when the job
 * is gone, and the S3 error when listing fails.
 */
export async function listIntoRun(deps: RunListingDeps, resumeFrom: ListingState): Promise<{ listedAny: boolean }> {
  const { listing, signal, stats } = deps;
  const pages = createPageHandler(deps);
  const recorded = localFailure('recording the listing');
  if (resumeFrom.started) for await (const rows of listing.unfinished()) await pages.replay(rows).catch(recorded);
  if (!resumeFrom.complete) {
    let listStarted = performance.now();
    for await (const page of readAhead(await listedPages(deps, resumeFrom.listAfter))) {
      stats.listMs += performance.now() - listStarted;
      if (signal.aborted) break;
      await pages.record(page).catch(recorded);
      listStarted = performance.now();
    }
    if (!signal.aborted) await listing.complete().catch(recorded);
  }
  return { listedAny: pages.listedCount() > 0 || resumeFrom.started };
}

/**
 * The prefix's listing from `after` on, each page with the position to record once it is: as key
 * ranges side by side when the keys stored for the job split it (a rerun), else as one sequence.
 */
async function listedPages(deps: RunListingDeps, after: string | null): Promise<AsyncIterable<PositionedPage>> {
  const { connector, bucket, prefix, signal, listRanges } = deps;
  const listPages = (startAfter: string | undefined) => connector.listPages(bucket, prefix, signal, startAfter);
  const boundaries = await deps.listing.boundaries({ ...listRanges, bucket, prefix, after }).catch(localFailure("reading the listing's key ranges"));
  deps.stats.listRanges = boundaries.length + 1;
  const onFallback = (reason: string) => {
    deps.stats.listRangesGivenUp = true;
    deps.logger.warn({ reason }, 'key ranges given up; listing the rest in one sequence');
  };
  return listPrefix({ listPages, after, boundaries, signal, onFallback });
}

/** A database failure while `doing` something for the listing: a LocalRunError, unless the job is gone. */
function localFailure(doing: string) {
  return (error: unknown): never => {
    if (error instanceof JobGoneError) throw error;
    throw new LocalRunError(`${doing} failed: ${failureReason(error)}`);
  };
}

function createPageHandler(deps: RunListingDeps) {
  const { store, listing, tally, outcomes, keep, jobRoot } = deps;
  let listedCount = 0;

  /**
   * One listing page: keys already listed by this run are dropped, the rest recorded and queued;
   * then the page is marked as listed and the run's listing position moves to the page's.
   */
  const record = async ({ objects, position }: PositionedPage) => {
    const kept = await handleSlices(await withoutRepeats(objects), false);
    await listing.recordPage(kept, position);
  };

  /** Rows this run listed before a restart and did not finish: queued again as they are. */
  const replay = async (rows: RemoteObject[]) => {
    await handleSlices(rows, true);
  };

  const handleSlices = async (page: RemoteObject[], replayed: boolean): Promise<string[]> => {
    const kept: string[] = [];
    for (let start = 0; start < page.length; start += PAGE_SLICE) {
      if (start > 0) await yieldToEventLoop();
      kept.push(...(await handleSlice(page.slice(start, start + PAGE_SLICE), replayed)));
    }
    return kept;
  };

  /** Drops keys repeated within the page or already listed by this run (across pages, or a page re-listed after a crash). */
  const withoutRepeats = async (listed: RemoteObject[]): Promise<RemoteObject[]> => {
    const unique = new Map(listed.map((remote) => [remote.key, remote]));
    const seen = await listing.alreadyListed([...unique.keys()]);
    if (seen.size === 0 && unique.size === listed.length) return listed;
    return [...unique.values()].filter((remote) => !seen.has(remote.key));
  };

  /** Records and queues a slice of a page; returns the keys the filters kept. */
  const handleSlice = async (listed: RemoteObject[], replay: boolean): Promise<string[]> => {
    listedCount += listed.length;
    const page = keep ? await setAsideExcluded(listed, keep) : listed;
    if (page.length === 0) return [];
    const stored = await store.load(page.map((o) => recordableKey(o.key)));
    const decisions = resolveMissing(jobRoot, deps.folder, planPage(jobRoot, page, stored));
    // Replayed rows are this run's own records already. Written again from what was just read,
    // they could undo a transfer finishing meanwhile (a shared run claims them at once): a
    // PROCESSED row put back to PROCESSING, a checkpoint moved back.
    if (!replay) {
      await store.upsert(
        decisions.flatMap((d) =>
          d.kind === 'unchanged' ? [] : [{ remote: d.remote, stored: d.stored, lastPosition: d.kind === 'fetch' ? d.lastPosition : 0 }],
        ),
      );
    }
    await restoreIncluded(decisions);
    for (const decision of decisions) {
      const { remote } = decision;
      tally.listed(remote);
      if (deps.signal.aborted) continue;
      if (decision.kind === 'unchanged') countUnchanged(remote, decision.stored);
      else if (decision.kind === 'refused') outcomes.failed(remote, decision.reason, false);
      else if (decision.kind === 'empty') await handleEmpty(remote, decision.path, decision.isDirectory, decision.stored);
      else if (isPublishedUnrecorded(decision)) outcomes.done(remote, 'PROCESSED', decision.finalPath);
      else await deps.queue(decision);
    }
    deps.progress.changed();
    return page.map((remote) => recordableKey(remote.key));
  };

  /**
   * A row this run finished before a restart is re-listed when the crash came before its page was
   * marked as listed: it counts as the run's own result (as countListed counts a marked one), not as
   * an object an earlier run left unchanged. Its events went out when it was committed.
   */
  const countUnchanged = (remote: RemoteObject, stored: StoredObject) => {
    if (stored.runId === deps.runId && isComplete(stored)) tally.done(remote, stored.status);
    else tally.unchanged(remote);
  };

  /**
   * A row a run left unfinished whose file is in place as this version: the run published it and was
   * cut short before its row's commit. Recorded, not fetched again: the row owns its file before its
   * object can be deleted or excluded. Rows left so are rare, so the other rows cost no stat.
   */
  const isPublishedUnrecorded = ({ stored, remote }: FetchDecision) => stored !== undefined && isUnfinished(stored) && publishedPathOf(deps.folder, remote.key, remote) !== null;

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
  const setAsideExcluded = async (listed: RemoteObject[], included: (key: string) => boolean): Promise<RemoteObject[]> => {
    const kept = listed.filter((remote) => included(remote.key));
    if (kept.length === listed.length) return kept;
    const excluded = new Map(listed.filter((remote) => !included(remote.key)).map((remote) => [remote.key, remote]));
    const rows = await store.load([...excluded.keys()]);
    const newlyExcluded = [...rows.values()].filter((row) => row.status !== 'EXCLUDED' && row.status !== 'DELETED');
    // A complete file keeps its checkpoint (re-included unchanged, it is skipped); an unfinished one
    // starts over, so its partial file goes once the row says so. One a run published without
    // recording it (cut short before its row's commit) is complete: its row gets its path.
    const published = new Map(newlyExcluded.flatMap((row) => (isUnfinished(row) ? publishedUnrecorded(row, excluded.get(row.key)) : [])));
    const updates = newlyExcluded.map((row) => {
      const localPath = published.get(row.key);
      const checkpoint = isComplete(row) ? {} : localPath ? { lastPosition: row.size, localPath } : { lastPosition: 0 };
      return { key: row.key, update: { status: 'EXCLUDED' as const, error: null, ...checkpoint } };
    });
    if (updates.length) await store.commitMany(updates);
    const unfinished = newlyExcluded.filter((row) => !isComplete(row) && !published.has(row.key));
    await Promise.all(unfinished.map((row) => deps.folder.removePartial(partialPathFor(jobRoot, row.key))));
    return kept;
  };

  /** An unfinished row's key and path when its file is in place as the listed version, which is the row's (same ETag and size). */
  const publishedUnrecorded = (row: StoredObject, remote: RemoteObject | undefined): Array<[string, string]> => {
    if (!remote || remote.etag !== row.etag || remote.size !== row.size) return [];
    const localPath = publishedPathOf(deps.folder, row.key, remote);
    return localPath === null ? [] : [[row.key, localPath]];
  };

  const handleEmpty = async (remote: RemoteObject, path: string, isDirectory: boolean, stored: StoredObject | undefined) => {
    // Replaced by an empty object (or a folder marker): a download of the earlier version left unfinished has nothing to resume.
    if (stored && !isComplete(stored)) await deps.folder.removePartial(partialPathFor(jobRoot, remote.key));
    try {
      if (isDirectory) createMarkerFolder(deps.folder, path);
      else {
        deps.folder.ensureDir(dirname(path));
        createEmptyFile(deps.folder, path, remote.lastModified);
      }
      outcomes.done(remote, 'SKIPPED', path);
    } catch (error) {
      outcomes.failed(remote, failureReason(error), false);
    }
  };

  return { record, replay, listedCount: () => listedCount };
}

/** A row whose object was downloaded whole (or was empty): no partial file of it is kept. */
const isComplete = (row: StoredObject): row is StoredObject & { status: 'PROCESSED' | 'SKIPPED' } => row.status === 'PROCESSED' || row.status === 'SKIPPED';

/** A row a run left before its transfer ended (a crash, a cancel): its file may be in place unrecorded. */
const isUnfinished = (row: StoredObject) => row.status === 'PENDING' || row.status === 'PROCESSING';

/**
 * An unchanged object whose local file is gone, has another size, or is reached through a link (a
 * folder on its way or the file itself) is fetched again (whole).
 */
function resolveMissing(jobRoot: string, folder: JobFolder, decisions: PageDecision[]): PageDecision[] {
  return decisions.map((d): PageDecision => {
    if (d.kind !== 'unchanged' || (folder.reaches(dirname(d.path)) && isPresent(d.path, d.remote.size, d.isDirectory))) return d;
    const stored: StoredObject = d.stored;
    if (d.remote.size === 0) return { kind: 'empty', remote: d.remote, path: d.path, isDirectory: d.isDirectory, stored };
    return { kind: 'fetch', remote: d.remote, finalPath: d.path, partialPath: partialPathFor(jobRoot, d.remote.key), lastPosition: 0, stored };
  });
}
