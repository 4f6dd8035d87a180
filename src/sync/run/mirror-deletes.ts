import { lstatSync, renameSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { EntityManager } from '@mikro-orm/better-sqlite';
import type { Logger } from '../../config/logger.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import type { Orm } from '../../db/orm.js';
import { failureReason } from '../local/failure-reason.js';
import type { JobFolder } from '../local/job-folder.js';
import { removeEmptyFolders } from '../local/local-files.js';
import { TRASH_DIR } from '../local/safe-path.js';

export const DEFAULT_MAX_DELETE_PERCENT = 50;

/** Why mirror deletes removed nothing although the source lost files: the guard a webhook (DELETES_BLOCKED) reports. */
export type DeletesBlockedReason = 'EMPTY_LISTING' | 'OVER_MAX_DELETE_PERCENT';

export type MirrorDeleteOutcome =
  | { kind: 'deleted'; removed: number; localFiles: number }
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
  /** Publishes OBJECT_DELETED after the row commits. */
  onDeleted(row: { key: string; size: number }): void;
}

interface LocalRow {
  id: number;
  key: string;
  size: number;
  localPath: string;
}

/** Rows read and removed at a time: memory stays the same for ten files or ten million. */
const DELETE_BATCH = 500;

/**
 * Mirror deletes, run once the listing is complete and error-free: every local file of the job
 * that this run's listing did not mark (`listed_run_id`: gone from the source or filtered out) is
 * moved to `<job root>/.dss-trash/<run id>/<key>` and its row marked DELETED. Removes nothing when
 * the listing is empty while local files exist, or when it would remove more than
 * `maxDeletePercent` of the job's local files. Counted and read from the database in batches.
 * A folder left empty is removed too (unless a folder marker key `<folder>/` of the job names it),
 * so that a key the source now stores as a file where the folder was can be synced.
 */
export async function applyMirrorDeletes(input: MirrorDeleteInput): Promise<MirrorDeleteOutcome> {
  const { orm, jobId, runId } = input;
  const localFiles = await countLocalFiles(orm, jobId);
  const doomed = await countLocalFiles(orm, jobId, runId);
  if (doomed === 0) return { kind: 'deleted', removed: 0, localFiles };
  const blocked = judge(doomed, localFiles, input.listedAny, input.maxDeletePercent);
  if (blocked) return blocked;
  const { folder } = input;
  const { root } = folder;
  const trash = join(root, TRASH_DIR, String(runId));
  let removed = 0;
  let afterId = 0;
  for (;;) {
    const rows = (await localRows(orm, jobId, runId).andWhere({ id: { $gt: afterId } }).orderBy({ id: 'asc' }).limit(DELETE_BATCH).execute('all', true)) as LocalRow[];
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.id;
    for (const row of rows) {
      try {
        if (!row.localPath.startsWith(root + sep)) continue;
        // Never through a folder replaced by a link: the file there is not the one this job wrote.
        const present = folder.at(row.localPath, (reached) => lstatSync(reached, { throwIfNoEntry: false })?.isFile() === true);
        if (present) {
          const target = join(trash, row.key);
          folder.ensureDir(dirname(target));
          folder.at(row.localPath, (from) => folder.at(target, (to) => renameSync(from, to)));
        }
        // Also when the file is gone already: a run cut short between its move and this leaves the folder.
        await removeEmptyFolders(folder, dirname(row.localPath), (dir) => isMarkedFolder(orm, jobId, relative(root, dir)));
        const em = orm.em.fork() as EntityManager;
        await em.nativeUpdate(SyncObject, { id: row.id }, { status: 'DELETED', localPath: null, lastPosition: 0, error: null, runId });
        removed += 1;
        input.onDeleted({ key: row.key, size: Number(row.size) });
      } catch (error) {
        input.logger.warn({ jobId, runId, key: row.key, err: failureReason(error) }, 'mirror delete of one file failed; kept');
      }
    }
  }
  return { kind: 'deleted', removed, localFiles };
}

/** The job's local files (folder markers are directories: never removed); with `unlistedBy`, those that run's listing did not mark. */
function localRows(orm: Orm, jobId: string, unlistedBy?: number) {
  const em = orm.em.fork() as EntityManager;
  const query = em
    .createQueryBuilder(SyncObject)
    .select(['id', 'key', 'size', 'localPath'])
    .where({ jobId, localPath: { $ne: null }, status: { $ne: 'DELETED' }, $not: { key: { $like: '%/' } } });
  if (unlistedBy !== undefined) query.andWhere({ $or: [{ listedRunId: null }, { listedRunId: { $ne: unlistedBy } }] });
  return query;
}

/** Whether a folder marker key (`<folder>/`) of the job names this folder: it is one of the source's objects. */
async function isMarkedFolder(orm: Orm, jobId: string, folder: string): Promise<boolean> {
  const em = orm.em.fork() as EntityManager;
  return (await em.count(SyncObject, { jobId, key: `${folder.split(sep).join('/')}/`, status: { $ne: 'DELETED' } })) > 0;
}

async function countLocalFiles(orm: Orm, jobId: string, unlistedBy?: number): Promise<number> {
  return localRows(orm, jobId, unlistedBy).getCount();
}

function judge(doomed: number, localFiles: number, listedAny: boolean, maxDeletePercent: number): Extract<MirrorDeleteOutcome, { kind: 'blocked' }> | null {
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

export type MirrorDeletePlan =
  | { kind: 'deleted'; rows: LocalRow[]; localFiles: number }
  | Extract<MirrorDeleteOutcome, { kind: 'blocked' }>;

/** What mirror deletes would remove, from a preview's listing held in memory; nothing is touched. */
export async function planMirrorDeletes(
  orm: Orm,
  jobId: string,
  keptKeys: ReadonlySet<string>,
  listedCount: number,
  maxDeletePercent: number,
): Promise<MirrorDeletePlan> {
  const em = orm.em.fork() as EntityManager;
  const rows = (await em
    .createQueryBuilder(SyncObject)
    .select(['id', 'key', 'size', 'localPath'])
    .where({ jobId, localPath: { $ne: null }, status: { $ne: 'DELETED' } })
    .execute('all', true)) as LocalRow[];
  // Folder markers are directories, not files: never removed.
  const files = rows.filter((row) => !row.key.endsWith('/')).map((row) => ({ ...row, size: Number(row.size) }));
  const doomed = files.filter((row) => !keptKeys.has(row.key));
  const localFiles = files.length;
  if (doomed.length === 0) return { kind: 'deleted', rows: [], localFiles };
  return judge(doomed.length, localFiles, listedCount > 0, maxDeletePercent) ?? { kind: 'deleted', rows: doomed, localFiles };
}

function formatPercent(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
