import { dirname } from 'node:path';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import type { Job } from '../../db/entities/job.entity.js';
import type { Orm } from '../../db/orm.js';
import { removeTree } from './tree-removal.js';
import { partialPathFor } from './safe-path.js';
import { jobFolder } from './job-files.js';

/** Rows read (and deleted) per statement when a job's scope changes. */
const BATCH = 1000;

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
 * downloaded files stay where they are. Call while no sync of the job runs. Returns the rows removed.
 */
export async function removeRowsOutOfScope(orm: Orm, job: Pick<Job, 'id' | 'prefix'>, downloadRoot: string | undefined): Promise<number> {
  const root = downloadRoot === undefined ? undefined : jobFolder(downloadRoot, job.id);
  let afterId = 0;
  let removed = 0;
  for (;;) {
    const em = orm.em.fork();
    const rows = await em.find(
      SyncObject,
      { jobId: job.id, id: { $gt: afterId } },
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
