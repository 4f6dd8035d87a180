import type { FilterQuery } from '@mikro-orm/core';
import type { ObjectStatus } from '../db/entities/statuses.js';
import { SyncObject } from '../db/entities/sync-object.entity.js';
import type { Orm } from '../db/orm.js';
import { requireJob } from './job-lookup.js';
import { decodeCursor, encodeCursor, pageOffset, pageSize, toPage, type Page, type PageArgs } from './pagination.js';

export interface ObjectServiceDeps {
  orm: Orm;
  defaultPageSize: number;
}

export interface OffsetPage<T> {
  totalCount: number;
  limit: number;
  offset: number;
  nodes: T[];
}

const objectCursor = (object: SyncObject) => encodeCursor([object.id]);

export function createObjectService({ orm, defaultPageSize }: ObjectServiceDeps) {
  const requireJobId = async (rawJobId: unknown, field: string) => (await requireJob(orm, rawJobId, field)).id;

  return {
    /** Keyset page of a job's objects in id order, optionally filtered by status. */
    async list(rawJobId: unknown, args: PageArgs & { status?: ObjectStatus | null } = {}, field = 'jobId'): Promise<Page<SyncObject>> {
      const jobId = await requireJobId(rawJobId, field);
      const size = pageSize(args.first, defaultPageSize);
      const where: FilterQuery<SyncObject> = args.status ? { jobId, status: args.status } : { jobId };
      const afterId = args.after ? decodeCursor(args.after, ['number'] as const)[0] : 0;
      const em = orm.em.fork();
      const [rows, totalCount] = await Promise.all([
        em.find(SyncObject, { ...where, id: { $gt: afterId } }, { orderBy: { id: 'asc' }, limit: size + 1 }),
        em.count(SyncObject, where),
      ]);
      return toPage(rows, size, totalCount, args.after, objectCursor);
    },

    /** Offset page for the REST route that the old service's clients use. */
    async listByOffset(rawJobId: unknown, limit: number | undefined, offset: number | undefined): Promise<OffsetPage<SyncObject>> {
      const jobId = await requireJobId(rawJobId, 'job_id');
      const size = pageSize(limit ?? null, defaultPageSize, 'limit');
      const skip = pageOffset(offset);
      const em = orm.em.fork();
      const [nodes, totalCount] = await Promise.all([
        em.find(SyncObject, { jobId }, { orderBy: { id: 'asc' }, limit: size, offset: skip }),
        em.count(SyncObject, { jobId }),
      ]);
      return { totalCount, limit: size, offset: skip, nodes };
    },
  };
}

export type ObjectService = ReturnType<typeof createObjectService>;
