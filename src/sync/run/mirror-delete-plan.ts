import { lstatSync } from 'node:fs';
import { sep } from 'node:path';
import type { EntityManager } from '@mikro-orm/better-sqlite';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import type { Orm } from '../../db/orm.js';
import { openJobFolder } from '../local/job-folder.js';
import { publishedPathOf } from '../local/local-files.js';
import { fileAtRow, judge, type LocalRow, type MirrorDeleteOutcome } from './mirror-deletes.js';

export type MirrorDeletePlan =
  | { kind: 'deleted'; rows: LocalRow[]; localFiles: number }
  | Extract<MirrorDeleteOutcome, { kind: 'blocked' }>;

/** A row the plan reads: one with a local file, or one a run left unfinished (its file may be in place unrecorded). */
type PlannedRow = Omit<LocalRow, 'localPath'> & { localPath: string | null };

/**
 * What mirror deletes would remove (files, then folder markers), from a preview's listing held in
 * memory; nothing is touched. Files a run published before a crash cut its rows' commit short
 * count as the run counts them once it has recorded them (run-listing.ts, unlisted-partials.ts).
 */
export async function planMirrorDeletes(
  orm: Orm,
  jobId: string,
  jobRoot: string,
  keptKeys: ReadonlySet<string>,
  listedCount: number,
  maxDeletePercent: number,
): Promise<MirrorDeletePlan> {
  const em = orm.em.fork() as EntityManager;
  const read = (await em
    .createQueryBuilder(SyncObject)
    .select(['id', 'key', 'size', 'lastModified', 'localPath', 'status', 'lastPosition'])
    .where({ jobId, status: { $ne: 'DELETED' }, $or: [{ localPath: { $ne: null } }, { status: { $in: ['PENDING', 'PROCESSING'] } }] })
    .execute('all', true)) as PlannedRow[];
  const rows = withPublishedUnrecorded(jobRoot, read);
  const unlisted = rows.filter((row) => !keptKeys.has(row.key)).map((row) => ({ ...row, size: Number(row.size) }));
  const localFiles = rows.filter((row) => !isMarker(row)).length;
  const doomed = unlisted.filter((row) => !isMarker(row));
  const blocked = doomed.length > 0 ? judge(doomed.length, localFiles, listedCount > 0, maxDeletePercent) : null;
  // As a run does: unlisted folder markers go after the files, never on an empty listing.
  return blocked ?? { kind: 'deleted', rows: listedCount > 0 ? [...doomed, ...unlisted.filter(isMarker)] : doomed, localFiles };
}

/** The rows with a local path, and the unfinished ones without whose file is in place as their version (given its path). */
function withPublishedUnrecorded(jobRoot: string, rows: PlannedRow[]): LocalRow[] {
  const recorded = rows.filter((row): row is LocalRow => row.localPath !== null);
  const unrecorded = rows.filter((row) => row.localPath === null);
  if (unrecorded.length === 0 || !isFolder(jobRoot)) return recorded;
  const folder = openJobFolder(jobRoot);
  try {
    const published = unrecorded.flatMap((row) => {
      const version = { size: Number(row.size), lastModified: row.lastModified === null ? null : new Date(row.lastModified) };
      const localPath = publishedPathOf(folder, row.key, version);
      return localPath === null ? [] : [{ ...row, localPath }];
    });
    return [...recorded, ...published];
  } finally {
    folder.close();
  }
}

const isMarker = (row: LocalRow) => row.key.endsWith('/');

const isFolder = (path: string) => lstatSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * A plan's rows without the files a run would leave in place (a user's own file where the service's
 * was), judged as the run judges them; reads the files' status, changes nothing. A file that cannot
 * be looked at stays in the plan: the run would try it.
 */
export function withoutReplacedFiles(jobRoot: string, rows: LocalRow[]): LocalRow[] {
  if (!rows.some((row) => !isMarker(row)) || !isFolder(jobRoot)) return rows;
  const folder = openJobFolder(jobRoot);
  const replaced = (row: LocalRow) => {
    try {
      return fileAtRow(folder, row) === 'replaced';
    } catch {
      return false;
    }
  };
  try {
    return rows.filter((row) => isMarker(row) || !row.localPath.startsWith(jobRoot + sep) || !replaced(row));
  } finally {
    folder.close();
  }
}
