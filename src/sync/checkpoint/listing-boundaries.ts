import { countObjects } from '../../db/object-counts.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { Orm } from '../../db/orm.js';
import { compareBytewise } from './key-span.js';

export interface BoundaryRequest {
  bucket: string;
  /** Ranges wanted at most (LIST_CONCURRENCY). */
  ranges: number;
  /** Stored keys a range must hold at least: below that, fewer ranges (none under two). */
  minKeys: number;
  prefix: string;
  /** A resumed listing's position: only keys after it split what is left. */
  after: string | null;
}

/**
 * Keys that split a job's prefix into listings of about equal size, taken from the keys its runs
 * recorded: a rerun lists about what the last run listed. Every (count / ranges)-th stored key in
 * the database's key order, then in UTF-8 byte order, the listing's own (PostgreSQL's collation may
 * sort otherwise: the ranges are then less even, never wrong, see key-range-listing.ts). Empty when
 * the job has too few keys for two ranges, and for a directory bucket (`…--x-s3`), which neither
 * lists in key order nor takes start-after.
 */
export async function listingBoundaries(orm: Orm, jobId: string, request: BoundaryRequest): Promise<string[]> {
  const { bucket, ranges, minKeys, prefix, after } = request;
  if (ranges < 2 || bucket.endsWith('--x-s3')) return [];
  if (!(await lastListingInOrder(orm, jobId))) return [];
  const stored = await countObjects(orm, jobId);
  const count = Math.min(ranges, Math.floor(stored / minKeys));
  if (count < 2) return [];
  const knex = orm.em.getKnex();
  const keys: string[] = [];
  for (let index = 1; index < count; index += 1) {
    const row = (await knex('sync_objects')
      .where({ job_id: jobId })
      .orderBy('object_key')
      .offset(Math.floor((stored * index) / count))
      .first('object_key')) as { object_key: string } | undefined;
    if (row) keys.push(row.object_key);
  }
  const usable = keys.filter((key) => key.startsWith(prefix) && (after === null || compareBytewise(key, after) > 0));
  return [...new Set(usable)].sort(compareBytewise);
}

/**
 * Whether the job's last whole listing came in UTF-8 byte order, which key ranges need (a range
 * stops at its first key past its end). Its run recorded a position: a listing out of order records
 * none (key-range-listing.ts `listInSequence`). No whole listing yet: not known, so no ranges.
 */
async function lastListingInOrder(orm: Orm, jobId: string): Promise<boolean> {
  const last = await orm.em.fork().findOne(SyncRun, { jobId, listingComplete: true }, { orderBy: { id: 'desc' }, fields: ['listAfter'] as never });
  return last !== null && last.listAfter !== null;
}
