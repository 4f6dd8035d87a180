import { dirname } from 'node:path';
import { raw } from '@mikro-orm/core';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { Job } from '../../db/entities/job.entity.js';
import type { Orm } from '../../db/orm.js';
import { removeTree } from './tree-removal.js';
import { partialPathFor } from './safe-path.js';
import { jobFolder } from './job-files.js';

/** Rows read (and deleted) per statement when a job's scope changes. */
const BATCH = 1000;

/**
 * A run's error while an update of its job's prefix or filters stops it, written before the new scope
 * is: a process gone meanwhile leaves the run to be ended, not resumed with the old listing position.
 */
export const STOPPING_FOR_SCOPE_CHANGE = "Stopping: the job's prefix or filters changed";

/** The error of such a run once ended by the next process to find it. */
export const CANCELLED_FOR_SCOPE_CHANGE = "Cancelled: the job's prefix or filters changed during the run";

/** The run was being stopped by an update of its job's prefix or filters: it is ended, never resumed. */
export const stoppingForScopeChange = (run: Pick<SyncRun, 'error'>): boolean => run.error === STOPPING_FOR_SCOPE_CHANGE;

/**
 * Ends a RUNNING run an update of its job's scope was stopping (its listing position and marks are
 * the old scope's). False when it is no longer such a run: another process ended it first.
 */
export async function endRunStoppedForScopeChange(orm: Orm, runId: number, at: Date): Promise<boolean> {
  const ended = await orm.em
    .fork()
    .nativeUpdate(SyncRun, { id: runId, status: 'RUNNING', error: STOPPING_FOR_SCOPE_CHANGE }, { status: 'CANCELLED', finishedAt: at, error: CANCELLED_FOR_SCOPE_CHANGE });
  return ended === 1;
}

/**
 * Whether an object key belongs to the job as it is configured now. The one rule for "this row is
 * one of the job's objects": today the key must be under the job's prefix; filters extend it.
 */
export function keyBelongsToJob(job: Pick<Job, 'prefix'>, key: string): boolean {
  return key.startsWith(job.prefix);
}

/**
 * After a job's scope changed (a new prefix): deletes the rows of objects that no longer belong to
 * it, so they stop appearing as its objects, and the partial downloads of those rows. Their
 * downloaded files stay where they are. Call while no sync of the job runs: the update does, and
 * every run before it lists, so a change whose update was cut short still takes effect before
 * mirror deletes could take those rows for deleted objects. Returns the rows removed.
 */
export async function removeRowsOutOfScope(orm: Orm, job: Pick<Job, 'id' | 'prefix'>, downloadRoot: string | undefined): Promise<number> {
  if (job.prefix === '') return 0;
  const root = downloadRoot === undefined ? undefined : jobFolder(downloadRoot, job.id);
  // Code points, as substr counts them on SQLite and PostgreSQL: one statement finds the job's rows
  // outside the prefix, so a job with none (every run's case) costs one pass over its rows.
  const prefixLength = Array.from(job.prefix).length;
  let afterId = 0;
  let removed = 0;
  for (;;) {
    const em = orm.em.fork();
    const rows = await em.find(
      SyncObject,
      { jobId: job.id, id: { $gt: afterId }, [raw((alias: string) => `substr(${alias}.object_key, 1, ${prefixLength})`)]: { $ne: job.prefix } },
      { fields: ['id', 'key', 'status'], orderBy: { id: 'asc' }, limit: BATCH },
    );
    if (rows.length === 0) return removed;
    afterId = rows[rows.length - 1]!.id;
    const out = rows.filter((row) => !keyBelongsToJob(job, row.key));
    if (out.length) {
      removed += await em.nativeDelete(SyncObject, { id: { $in: out.map((row) => row.id) } });
      // One at a time: each removal holds descriptors while it walks down, and a batch is 1,000 rows.
      if (root) for (const row of out) if (row.status !== 'PROCESSED') await removePartialOf(root, row.key);
    }
  }
}

/** A key's partial download, removed from the download root down without following links; never throws. */
async function removePartialOf(jobRoot: string, key: string): Promise<void> {
  await removeTree(dirname(jobRoot), partialPathFor(jobRoot, key)).catch(() => undefined);
}
