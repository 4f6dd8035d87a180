import { lstatSync, renameSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { EntityManager } from '@mikro-orm/better-sqlite';
import type { Logger } from '../../config/logger.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import type { Orm } from '../../db/orm.js';
import { failureReason } from '../local/failure-reason.js';
import type { JobFolder } from '../local/job-folder.js';
import { isVersionOf, removeEmptyFolders } from '../local/local-files.js';
import { TRASH_DIR } from '../local/safe-path.js';

export const DEFAULT_MAX_DELETE_PERCENT = 50;

/** Why mirror deletes removed nothing although the source lost files: the guard a webhook (DELETES_BLOCKED) reports. */
export type DeletesBlockedReason = 'EMPTY_LISTING' | 'OVER_MAX_DELETE_PERCENT';

export type MirrorDeleteOutcome =
  /**
   * `markersGone`: rows of folder markers gone from the source (or excluded) marked DELETED.
   * `failed`: files that could not be moved to the trash (kept, rows unchanged: the next run tries
   * again); `error`, when there are some, the run's error. `leftInPlace`: files no longer as the
   * service wrote them (another size or mtime: a user's own), left where they are, rows DELETED.
   */
  | { kind: 'deleted'; removed: number; localFiles: number; markersGone: number; failed: number; error: string | null; leftInPlace: number }
  | { kind: 'blocked'; reason: DeletesBlockedReason; wouldRemove: number; localFiles: number; maxDeletePercent: number; message: string };

export interface MirrorDeleteInput {
  orm: Orm;
  logger: Logger;
  jobId: string;
  runId: number;
  /** `<root>/<job_id>`: files are moved to its trash without following links. */
  folder: JobFolder;
  /** False when the complete, error-free listing held no key at all (filtered out or not). */
  listedAny: boolean;
  maxDeletePercent: number;
  /** Publishes OBJECT_DELETED after the row commits: for every row marked DELETED, files trashed, gone or left in place, and folder markers. */
  onDeleted(row: { key: string; size: number }): void;
}

export interface LocalRow {
  id: number;
  key: string;
  size: number;
  /** As the driver returns a datetime column (a Date, or epoch milliseconds on SQLite). */
  lastModified: Date | number | string | null;
  localPath: string;
  status: string;
  lastPosition: number | string;
}

/** Rows read and removed at a time: memory stays the same for ten files or ten million. */
const DELETE_BATCH = 500;

/**
 * Mirror deletes, run once the listing is complete and error-free: every local file of the job
 * that this run's listing did not mark (`listed_run_id`: gone from the source or filtered out) is
 * moved to `<job root>/.dss-trash/<run id>/<key>` and its row marked DELETED. Removes nothing when
 * the listing is empty while local files exist, or when it would remove more than
 * `maxDeletePercent` of the job's local files. Counted and read from the database in batches.
 * A folder left empty is removed too (unless a folder marker key `<folder>/` this run listed names
 * it), so that a key the source now stores as a file where the folder was can be synced. Then the
 * folder markers this run did not list are marked DELETED, their folders removed when empty.
 */
export async function applyMirrorDeletes(input: MirrorDeleteInput): Promise<MirrorDeleteOutcome> {
  const { orm, jobId, runId } = input;
  const localFiles = await countLocalRows(orm, jobId, 'files');
  const doomed = await countLocalRows(orm, jobId, 'files', runId);
  const blocked = doomed > 0 ? judge(doomed, localFiles, input.listedAny, input.maxDeletePercent) : null;
  if (blocked) return blocked;
  const { removed, failed, firstFailure, leftInPlace } = doomed > 0 ? await trashUnlistedFiles(input) : { removed: 0, failed: 0, firstFailure: null, leftInPlace: 0 };
  // An empty listing never deletes: a transient one must not take the markers' folders either.
  const markersGone = input.listedAny ? await forgetUnlistedMarkers(input) : 0;
  const error = failed > 0 ? `mirror deletes: ${failed} file(s) could not be moved to the trash; first: ${firstFailure}` : null;
  return { kind: 'deleted', removed, localFiles, markersGone, failed, error, leftInPlace };
}

async function trashUnlistedFiles(input: MirrorDeleteInput): Promise<{ removed: number; failed: number; firstFailure: string | null; leftInPlace: number }> {
  const { orm, jobId, runId, folder } = input;
  const { root } = folder;
  const trash = join(root, TRASH_DIR, String(runId));
  let removed = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  let leftInPlace = 0;
  for await (const rows of unlistedBatches(orm, jobId, runId, 'files')) {
    for (const row of rows) {
      try {
        if (!row.localPath.startsWith(root + sep)) continue;
        const found = fileAtRow(folder, row);
        if (found === 'replaced') {
          // Files the service did not write are never touched: the row goes, the file stays.
          await markDeleted(orm, row.id, runId);
          leftInPlace += 1;
          input.onDeleted({ key: row.key, size: Number(row.size) });
          input.logger.info({ jobId, runId, key: row.key }, 'mirror delete left a file in place: it is no longer the one the service wrote');
          continue;
        }
        if (found === 'written') {
          const target = join(trash, row.key);
          folder.ensureDir(dirname(target));
          folder.at(row.localPath, (from) => folder.at(target, (to) => renameSync(from, to)));
        }
        // Also when the file is gone already: a run cut short between its move and this leaves the folder.
        await removeEmptyFolders(folder, dirname(row.localPath), (dir) => isListedMarker(orm, jobId, runId, relative(root, dir)));
        await markDeleted(orm, row.id, runId);
        removed += 1;
        input.onDeleted({ key: row.key, size: Number(row.size) });
      } catch (error) {
        const reason = failureReason(folder.described(error));
        failed += 1;
        firstFailure ??= `${row.key}: ${reason}`;
        input.logger.warn({ jobId, runId, key: row.key, err: reason }, 'mirror delete of one file failed; kept');
      }
    }
  }
  return { removed, failed, firstFailure, leftInPlace };
}

/** A folder on the way is gone, is a file, or is a link: the file this job wrote is not there. */
const NOT_REACHABLE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/**
 * Whether a row's size and time are those of the file the service wrote: a finished row (PROCESSED,
 * SKIPPED for an empty object, EXCLUDED with its file complete). A listing records a changed object's
 * new size and time before its download, so the older version a failed download left is not described.
 */
function describesFileOnDisk(row: LocalRow): boolean {
  if (row.status === 'PROCESSED' || row.status === 'SKIPPED') return true;
  return row.status === 'EXCLUDED' && Number(row.lastPosition) === Number(row.size);
}

/**
 * What is at a row's path: nothing the job can reach (a folder on the way removed, or replaced by a
 * link, never followed), a file still as the service wrote it, or one replaced since (judged only
 * where the row describes the file: otherwise an older version the service wrote is its own).
 */
export function fileAtRow(folder: JobFolder, row: LocalRow): 'written' | 'replaced' | 'missing' {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = folder.at(row.localPath, (reached) => lstatSync(reached, { throwIfNoEntry: false }));
  } catch (error) {
    if (NOT_REACHABLE.has((error as NodeJS.ErrnoException).code ?? '')) return 'missing';
    throw error;
  }
  if (!info?.isFile()) return 'missing';
  if (!describesFileOnDisk(row)) return 'written';
  const remote = { size: Number(row.size), lastModified: row.lastModified === null ? null : new Date(row.lastModified) };
  const inPlace = remote.lastModified === null ? info.size === remote.size : isVersionOf(info, remote);
  return inPlace ? 'written' : 'replaced';
}

/**
 * Folder markers this run did not list: each row becomes DELETED and its folder goes if empty (with
 * the parents that leaves empty); a folder holding anything (files of listed keys, a user's own) stays.
 */
async function forgetUnlistedMarkers(input: MirrorDeleteInput): Promise<number> {
  const { orm, jobId, runId, folder } = input;
  let forgotten = 0;
  for await (const rows of unlistedBatches(orm, jobId, runId, 'markers')) {
    for (const row of rows) {
      if (row.localPath.startsWith(folder.root + sep)) {
        await removeEmptyFolders(folder, row.localPath, (dir) => isListedMarker(orm, jobId, runId, relative(folder.root, dir)));
      }
      await markDeleted(orm, row.id, runId);
      forgotten += 1;
      // A folder has no bytes of its own.
      input.onDeleted({ key: row.key, size: 0 });
    }
  }
  return forgotten;
}

async function markDeleted(orm: Orm, id: number, runId: number): Promise<void> {
  const em = orm.em.fork() as EntityManager;
  await em.nativeUpdate(SyncObject, { id }, { status: 'DELETED', localPath: null, lastPosition: 0, error: null, runId });
}

/** Files, or folder markers (keys ending in `/`, local directories). */
type RowKind = 'files' | 'markers';

/** The job's local rows of one kind; with `unlistedBy`, those that run's listing did not mark. */
function localRows(orm: Orm, jobId: string, kind: RowKind, unlistedBy?: number) {
  const em = orm.em.fork() as EntityManager;
  const markers = { key: { $like: '%/' } };
  const query = em
    .createQueryBuilder(SyncObject)
    .select(['id', 'key', 'size', 'lastModified', 'localPath', 'status', 'lastPosition'])
    .where({ jobId, localPath: { $ne: null }, status: { $ne: 'DELETED' }, ...(kind === 'markers' ? markers : { $not: markers }) });
  if (unlistedBy !== undefined) query.andWhere({ $or: [{ listedRunId: null }, { listedRunId: { $ne: unlistedBy } }] });
  return query;
}

/** Rows of one kind that run did not list, DELETE_BATCH at a time; a row left as it was is not read again. */
async function* unlistedBatches(orm: Orm, jobId: string, runId: number, kind: RowKind): AsyncGenerator<LocalRow[]> {
  for (let afterId = 0; ; ) {
    const rows = (await localRows(orm, jobId, kind, runId).andWhere({ id: { $gt: afterId } }).orderBy({ id: 'asc' }).limit(DELETE_BATCH).execute('all', true)) as LocalRow[];
    if (rows.length === 0) return;
    afterId = rows[rows.length - 1]!.id;
    yield rows;
  }
}

/** Whether a folder marker key (`<folder>/`) this run listed names this folder: it is one of the source's objects. */
async function isListedMarker(orm: Orm, jobId: string, runId: number, folder: string): Promise<boolean> {
  const em = orm.em.fork() as EntityManager;
  return (await em.count(SyncObject, { jobId, key: `${folder.split(sep).join('/')}/`, listedRunId: runId, status: { $ne: 'DELETED' } })) > 0;
}

async function countLocalRows(orm: Orm, jobId: string, kind: RowKind, unlistedBy?: number): Promise<number> {
  return localRows(orm, jobId, kind, unlistedBy).getCount();
}

export function judge(doomed: number, localFiles: number, listedAny: boolean, maxDeletePercent: number): Extract<MirrorDeleteOutcome, { kind: 'blocked' }> | null {
  const blocked = (reason: DeletesBlockedReason, why: string) => ({
    kind: 'blocked' as const,
    reason,
    wouldRemove: doomed,
    localFiles,
    maxDeletePercent,
    message: `mirror deletes blocked: would have removed ${doomed} of ${localFiles} local files; ${why}; nothing was removed`,
  });
  if (!listedAny) return blocked('EMPTY_LISTING', 'the source listing was empty while local files exist (a transient empty listing never deletes)');
  const percent = (doomed / localFiles) * 100;
  if (percent > maxDeletePercent) {
    return blocked('OVER_MAX_DELETE_PERCENT', `that is ${formatPercent(percent)}% of them, over maxDeletePercent (${maxDeletePercent}%)`);
  }
  return null;
}

function formatPercent(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
