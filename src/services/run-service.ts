import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { requireJob } from './job-lookup.js';
import type { OffsetPage } from './object-service.js';
import { decodeCursor, encodeCursor, pageOffset, pageSize, toPage, type Page, type PageArgs } from './pagination.js';

export interface RunServiceDeps {
  orm: Orm;
  defaultPageSize: number;
}

const runCursor = (run: SyncRun) => encodeCursor('runs', [run.id]);

export function createRunService({ orm, defaultPageSize }: RunServiceDeps) {
  return {
    /** A job's runs, newest first. */
    async list(rawJobId: unknown, args: PageArgs = {}, field = 'jobId'): Promise<Page<SyncRun>> {
      const { id: jobId } = await requireJob(orm, rawJobId, field);
      const size = pageSize(args.first, defaultPageSize);
      const em = orm.em.fork();
      const beforeId = args.after ? decodeCursor(args.after, 'runs', ['number'] as const)[0] : Number.MAX_SAFE_INTEGER;
      const [rows, totalCount] = await Promise.all([
        em.find(SyncRun, { jobId, id: { $lt: beforeId } }, { orderBy: { id: 'desc' }, limit: size + 1 }),
        em.count(SyncRun, { jobId }),
      ]);
      return toPage(rows, size, totalCount, args.after, runCursor);
    },

    /** Offset page of a job's runs, newest first, for the REST route. */
    async listByOffset(rawJobId: unknown, limit: number | undefined, offset: number | undefined): Promise<OffsetPage<SyncRun>> {
      const { id: jobId } = await requireJob(orm, rawJobId, 'job_id');
      const size = pageSize(limit ?? null, defaultPageSize, 'limit');
      const skip = pageOffset(offset);
      const em = orm.em.fork();
      const [nodes, totalCount] = await Promise.all([
        em.find(SyncRun, { jobId }, { orderBy: { id: 'desc' }, limit: size, offset: skip }),
        em.count(SyncRun, { jobId }),
      ]);
      return { totalCount, limit: size, offset: skip, nodes };
    },
  };
}

export type RunService = ReturnType<typeof createRunService>;
