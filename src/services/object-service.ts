import { raw, type QBFilterQuery } from '@mikro-orm/core';
import type { ObjectStatus } from '../db/entities/statuses.js';
import { SyncObject } from '../db/entities/sync-object.entity.js';
import { OBJECT_COUNT_BLOCK } from '../db/object-count-block.js';
import { countObjects, readBlockCounts, type BlockCount } from '../db/object-counts.js';
import type { Orm } from '../db/orm.js';
import { InputError } from './errors.js';
import { requireJob } from './job-lookup.js';
import { keyPrefixRange, parseKeyPrefix } from './key-prefix.js';
import { decodeCursor, encodeCursor, pageOffset, pageSize, toPage, type Page, type PageArgs } from './pagination.js';

export interface ObjectServiceDeps {
  orm: Orm;
  defaultPageSize: number;
  /** Default: from the database platform. */
  keyOrder?: KeyOrder;
}

export interface OffsetPage<T> {
  totalCount: number;
  limit: number;
  offset: number;
  nodes: T[];
}

/** Failed objects a run lists at most (its "first errors"). */
export const MAX_RUN_FAILURES = 20;

const objectCursor = (object: SyncObject) => encodeCursor('objects', [object.id]);

export interface ObjectFilter {
  status?: ObjectStatus | null;
  /** Only keys starting with this (validated by `parseKeyPrefix`). */
  keyPrefix?: string | null;
}

/**
 * How the database orders `object_key`: SQLite compares text bytewise (its BINARY collation), so
 * "starts with" is a range the (job_id, object_key) index answers. PostgreSQL's usual collations
 * (en_US.UTF-8…) do not order keys by code point, so there it is an exact `substr` test within the job.
 */
export type KeyOrder = 'bytewise' | 'collation';

interface ObjectWhere {
  jobId: string;
  status?: ObjectStatus;
  key?: { $gte: string; $lt?: string };
  [rawCondition: string]: unknown;
}

/** A new condition object per query: a raw() key is consumed when a query serialises it. */
function filterWhere(jobId: string, filter: ObjectFilter, prefixField: string, keyOrder: KeyOrder): () => ObjectWhere {
  const prefix = parseKeyPrefix(filter.keyPrefix, prefixField);
  return () => {
    const where: ObjectWhere = { jobId };
    if (filter.status) where.status = filter.status;
    if (prefix === null) return where;
    if (keyOrder === 'bytewise') {
      const { gte, lt } = keyPrefixRange(prefix);
      where.key = lt === null ? { $gte: gte } : { $gte: gte, $lt: lt };
    } else {
      const length = Array.from(prefix).length;
      where[raw((alias: string) => `substr(${alias}.object_key, 1, ${length})`)] = prefix;
    }
    return where;
  };
}

export function createObjectService({ orm, defaultPageSize, keyOrder }: ObjectServiceDeps) {
  const order: KeyOrder = keyOrder ?? (orm.em.getPlatform().constructor.name.includes('Sqlite') ? 'bytewise' : 'collation');
  const requireJobId = async (rawJobId: unknown, field: string) => (await requireJob(orm, rawJobId, field)).id;
  // Without a key prefix the count is read from the counts the database keeps per job and status.
  const count = (jobId: string, filter: ObjectFilter, where: () => ObjectWhere) =>
    filter.keyPrefix ? orm.em.fork().count(SyncObject, where()) : countObjects(orm, jobId, filter.status);

  return {
    /** Keyset page of a job's objects in id order, optionally filtered by status and key prefix. */
    async list(rawJobId: unknown, args: PageArgs & ObjectFilter = {}, field = 'jobId'): Promise<Page<SyncObject>> {
      const jobId = await requireJobId(rawJobId, field);
      const size = pageSize(args.first, defaultPageSize);
      const where = filterWhere(jobId, args, 'keyPrefix', order);
      const afterId = args.after ? decodeCursor(args.after, 'objects', ['number'] as const)[0] : 0;
      const em = orm.em.fork();
      const [rows, totalCount] = await Promise.all([
        readObjects(em, { ...where(), id: { $gt: afterId } }, size + 1),
        count(jobId, args, where),
      ]);
      return toPage(rows, size, totalCount, args.after, objectCursor);
    },

    /** The first objects that failed in a run (its first errors), in the order they were listed. */
    async runFailures(jobId: string, runId: number, first: number): Promise<SyncObject[]> {
      if (!Number.isInteger(first) || first < 0 || first > MAX_RUN_FAILURES) {
        throw new InputError('first', `first must be an integer between 0 and ${MAX_RUN_FAILURES}`);
      }
      const limit = first;
      if (limit === 0) return [];
      return readObjects(orm.em.fork(), { jobId, runId, status: 'FAILED' }, limit);
    },

    /** Offset page for the REST route that the old service's clients use. */
    async listByOffset(
      rawJobId: unknown,
      limit: number | undefined,
      offset: number | undefined,
      filter: ObjectFilter = {},
    ): Promise<OffsetPage<SyncObject>> {
      const jobId = await requireJobId(rawJobId, 'job_id');
      const where = filterWhere(jobId, filter, 'key_prefix', order);
      const size = pageSize(limit ?? null, defaultPageSize, 'limit');
      const skip = pageOffset(offset);
      const em = orm.em.fork();
      if (filter.keyPrefix) {
        const [nodes, totalCount] = await Promise.all([pageAt(em, where, size, skip), count(jobId, filter, where)]);
        return { totalCount, limit: size, offset: skip, nodes };
      }
      // Without a key prefix the maintained counts per id block say which block holds the offset:
      // the index is walked within that block only (and the next ones the page needs).
      const blocks = countsPerBlock(await readBlockCounts(orm, jobId), filter.status);
      const totalCount = blocks.reduce((sum, { n }) => sum + n, 0);
      const at = locateOffset(blocks, skip, size);
      const nodes = at && size > 0 ? await pageAt(em, () => ({ ...where(), id: { $gte: at.fromId, $lt: at.belowId } }), size, at.residual) : [];
      return { totalCount, limit: size, offset: skip, nodes };
    },
  };
}

/** The counts of the objects in a status (or in any) per id block, in block order. */
function countsPerBlock(counts: BlockCount[], status: ObjectStatus | null | undefined): Array<{ block: number; n: number }> {
  const blocks: Array<{ block: number; n: number }> = [];
  for (const { status: rowStatus, block, n } of counts) {
    if (status && rowStatus !== status) continue;
    const last = blocks.at(-1);
    if (last?.block === block) last.n += n;
    else blocks.push({ block, n });
  }
  return blocks;
}

/**
 * Where the page at `offset` is: from the first id of the block holding that object (`residual` of
 * the block's objects before it) to below the first id past the block that completes the page.
 * The upper bound keeps the range to a few blocks whatever the planner's row estimates (a
 * PostgreSQL table not yet analysed after a bulk load would otherwise sort every row to the end).
 * Null past the last object.
 */
function locateOffset(blocks: Array<{ block: number; n: number }>, offset: number, size: number): { fromId: number; belowId: number; residual: number } | null {
  let before = 0;
  for (let at = 0; at < blocks.length; at += 1) {
    const { block, n } = blocks[at]!;
    if (offset < before + n) {
      const residual = offset - before;
      let last = at;
      for (let covered = n - residual; covered < size && last + 1 < blocks.length; ) covered += blocks[++last]!.n;
      return { fromId: block * OBJECT_COUNT_BLOCK, belowId: (blocks[last]!.block + 1) * OBJECT_COUNT_BLOCK, residual };
    }
    before += n;
  }
  return null;
}

/**
 * An offset page: the ids first (the offset walks the index alone), then their rows, rather than
 * reading every skipped row from the table.
 */
async function pageAt(em: ReturnType<Orm['em']['fork']>, where: () => ObjectWhere, size: number, skip: number): Promise<SyncObject[]> {
  const ids = (await em.createQueryBuilder(SyncObject).select('id').where(where()).orderBy({ id: 'asc' }).limit(size).offset(skip).execute('all', true)) as Array<{ id: number }>;
  if (ids.length === 0) return [];
  return readObjects(em, { id: { $in: ids.map((row) => row.id) } }, ids.length);
}

/**
 * Rows in id order as plain objects shaped like `SyncObject`, not managed entities: a page is only
 * read. Managed rows, or even copies onto `SyncObject.prototype`, run the ORM's change-tracking
 * setters for every property of every row, the largest part of a page's CPU.
 */
async function readObjects(em: ReturnType<Orm['em']['fork']>, where: QBFilterQuery<SyncObject>, limit: number): Promise<SyncObject[]> {
  return (await em.createQueryBuilder(SyncObject).select('*').where(where).orderBy({ id: 'asc' }).limit(limit).execute('all', true)) as SyncObject[];
}

export type ObjectService = ReturnType<typeof createObjectService>;
