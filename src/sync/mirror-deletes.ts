import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { EntityManager } from '@mikro-orm/better-sqlite';
import type { Logger } from '../config/logger.js';
import { SyncObject } from '../db/entities/sync-object.entity.js';
import type { Orm } from '../db/orm.js';
import { describe } from './range-fetch.js';
import { TRASH_DIR } from './safe-path.js';

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
  jobRoot: string;
  /** Keys of the complete, error-free listing that the job's filters keep. */
  keptKeys: ReadonlySet<string>;
  /** Every key listed, filtered out or not (0: the listing was empty). */
  listedCount: number;
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

/**
 * Mirror deletes, run once the listing is complete and error-free: every local file of the job
 * whose object is gone from the source or filtered out is moved to `<job root>/.dss-trash/<run id>/<key>`
 * and its row marked DELETED. Removes nothing when the listing is empty while local files exist,
 * or when it would remove more than `maxDeletePercent` of the job's local files.
 */
export async function applyMirrorDeletes(input: MirrorDeleteInput): Promise<MirrorDeleteOutcome> {
  const plan = await planMirrorDeletes(input.orm, input.jobId, input.keptKeys, input.listedCount, input.maxDeletePercent);
  if (plan.kind === 'blocked') return plan;
  const root = resolve(input.jobRoot);
  const trash = join(root, TRASH_DIR, String(input.runId));
  let removed = 0;
  for (const row of plan.rows) {
    try {
      if (!row.localPath.startsWith(root + sep)) continue;
      const present = await stat(row.localPath).then((s) => s.isFile(), () => false);
      if (present) {
        const target = join(trash, row.key);
        await mkdir(dirname(target), { recursive: true });
        await rename(row.localPath, target);
      }
      const em = input.orm.em.fork() as EntityManager;
      await em.nativeUpdate(SyncObject, { id: row.id }, { status: 'DELETED', localPath: null, lastPosition: 0, error: null, runId: input.runId });
      removed += 1;
      input.onDeleted(row);
    } catch (error) {
      input.logger.warn({ jobId: input.jobId, runId: input.runId, key: row.key, err: describe(error) }, 'mirror delete of one file failed; kept');
    }
  }
  return { kind: 'deleted', removed, localFiles: plan.localFiles };
}

export type MirrorDeletePlan =
  | { kind: 'deleted'; rows: LocalRow[]; localFiles: number }
  | Extract<MirrorDeleteOutcome, { kind: 'blocked' }>;

/** What mirror deletes would remove (previews use it too); nothing is touched. */
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
  const blocked = (reason: DeletesBlockedReason, why: string): MirrorDeletePlan => ({
    kind: 'blocked',
    reason,
    wouldRemove: doomed.length,
    localFiles,
    maxDeletePercent,
    message: `mirror deletes blocked: would have removed ${doomed.length} of ${localFiles} local files; ${why}; nothing was removed`,
  });
  if (doomed.length === 0) return { kind: 'deleted', rows: [], localFiles };
  if (listedCount === 0) return blocked('EMPTY_LISTING', 'the source listing was empty while local files exist (a transient empty listing never deletes)');
  const percent = (doomed.length / localFiles) * 100;
  if (percent > maxDeletePercent) {
    return blocked('OVER_MAX_DELETE_PERCENT', `that is ${formatPercent(percent)}% of them, over maxDeletePercent (${maxDeletePercent}%)`);
  }
  return { kind: 'deleted', rows: doomed, localFiles };
}

function formatPercent(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
