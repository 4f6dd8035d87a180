import type { EntityManager } from '@mikro-orm/better-sqlite';
import type { Logger } from '../../config/logger.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import type { Orm } from '../../db/orm.js';
import { failureReason } from '../local/failure-reason.js';
import type { JobFolder } from '../local/job-folder.js';
import { publishedPathOf } from '../local/local-files.js';
import { partialPathFor } from '../local/safe-path.js';

/** Rows read and settled at a time. */
const BATCH = 500;

export const GONE_BEFORE_DOWNLOADED = 'deleted at the source before its download finished';

export interface UnlistedPartialsInput {
  orm: Orm;
  logger: Logger;
  jobId: string;
  runId: number;
  /** The run's job folder: partial files are removed through its `.dss-partial` descriptor. */
  folder: JobFolder;
}

/**
 * After a complete, error-free listing that held at least one key: the objects it no longer holds
 * whose download was left unfinished (a failed, cancelled or crashed run) will never be resumed, so
 * their partial files are removed and their checkpoints reset. Their rows stay, an unfinished one
 * (PENDING, PROCESSING) becoming FAILED with the reason, unless its file is in place as the run
 * published it (a crash before its row's commit): the row then says so, PROCESSED (SKIPPED when
 * empty) with its local path, and mirror deletes treat the file as any other the service wrote.
 * Rows read in batches; the step never fails the run (a failure is logged, and the next run tries
 * again). Returns the rows settled.
 */
export async function removeUnlistedPartials(input: UnlistedPartialsInput): Promise<number> {
  const { orm, jobId, runId } = input;
  let settled = 0;
  try {
    for (;;) {
      const em = orm.em.fork() as EntityManager;
      const rows = await em.find(
        SyncObject,
        {
          jobId,
          $or: [{ listedRunId: null }, { listedRunId: { $ne: runId } }],
          $and: [{ $or: [{ status: { $in: ['PENDING', 'PROCESSING'] } }, { status: 'FAILED', lastPosition: { $gt: 0 } }] }],
        },
        { fields: ['id', 'key', 'status', 'size', 'lastModified'], orderBy: { id: 'asc' }, limit: BATCH },
      );
      if (rows.length === 0) return settled;
      await Promise.all(rows.map((row) => input.folder.removePartial(partialPathFor(input.folder.root, row.key))));
      const published = new Set<number>();
      for (const row of rows) {
        const localPath = row.status === 'FAILED' ? null : publishedPathOf(input.folder, row.key, row);
        if (localPath === null) continue;
        const status = row.size === 0 ? 'SKIPPED' : 'PROCESSED';
        await em.nativeUpdate(SyncObject, { id: row.id }, { status, lastPosition: row.size, localPath, error: null });
        published.add(row.id);
      }
      const unfinished = rows.filter((row) => row.status !== 'FAILED' && !published.has(row.id)).map((row) => row.id);
      const failed = rows.filter((row) => row.status === 'FAILED').map((row) => row.id);
      if (unfinished.length) await em.nativeUpdate(SyncObject, { id: { $in: unfinished } }, { status: 'FAILED', error: GONE_BEFORE_DOWNLOADED, lastPosition: 0 });
      if (failed.length) await em.nativeUpdate(SyncObject, { id: { $in: failed } }, { lastPosition: 0 });
      settled += rows.length;
    }
  } catch (error) {
    input.logger.warn({ jobId, runId, err: failureReason(error) }, 'removing the partial downloads of objects gone from the source failed; the next run tries again');
    return settled;
  }
}
