import type { SqlEntityManager as EntityManager } from '@mikro-orm/knex';
import { Job } from '../../db/entities/job.entity.js';
import type { ObjectStatus } from '../../db/entities/statuses.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import { selectRowsOfKeys } from './key-span.js';
import { leasedTo } from '../multi/run-leases.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { retriedWhileDatabaseDown } from '../../db/database-outage.js';
import { algorithmsColumn } from '../../db/checksum-algorithms.js';

/** The columns of a SyncObject row that decide what a run does with it. */
export interface StoredObject {
  id: number;
  key: string;
  size: number;
  etag: string | null;
  status: ObjectStatus;
  lastPosition: number;
  localPath: string | null;
}

export type ObjectUpdate = Partial<
  Pick<SyncObject, 'status' | 'lastPosition' | 'localPath' | 'error' | 'etag' | 'size' | 'lastModified' | 'checksum'>
>;

/** Raised when the job (and with it, by cascade, its rows) was deleted while the run was going. */
export class JobGoneError extends Error {
  override name = 'JobGoneError';
}

/**
 * Every write the sync engine makes to SyncObject rows, for one job and run; rows name `instanceId`
 * as their worker. With `claimOwner` (work sharing), a checkpoint is written only while that session
 * still holds the row's claim: once another instance has taken the object over, `commit` is false.
 */
export function createCheckpointStore(orm: Orm, jobId: string, runId: number, instanceId: string, claimOwner?: string) {
  const fork = () => orm.em.fork() as EntityManager;
  const runRow = { id: runId, ...leasedTo(instanceId) };
  const bytewise = !isPostgres(orm);

  async function idsOf(em: EntityManager, keys: string[]): Promise<Map<string, number>> {
    const rows = (await em
      .createQueryBuilder(SyncObject)
      .select(['id', 'key'])
      .where({ jobId, key: { $in: keys } })
      .execute('all', true)) as Array<{ id: number; key: string }>;
    return new Map(rows.map((row) => [row.key, row.id]));
  }

  async function ensureJob(em: EntityManager) {
    if (!(await em.count(Job, { id: jobId }))) throw new JobGoneError(`job ${jobId} was deleted`);
  }

  return retriedWhileDatabaseDown({
    /** One query for a whole listing page: the stored rows of these keys. */
    async load(keys: string[]): Promise<Map<string, StoredObject>> {
      const rows = await selectRowsOfKeys<StoredObject>(fork(), keys, {
        bytewise,
        columns: ['id', 'key', 'size', 'etag', 'status', 'lastPosition', 'localPath'],
        where: { jobId },
      });
      return new Map(rows.map((row) => [row.key, { ...row, size: Number(row.size), lastPosition: Number(row.lastPosition) }]));
    },

    /**
     * In one transaction: inserts rows for new keys and records the listed state of changed ones
     * (one UPDATE for all of them: the run passes a slice of a page, PAGE_SLICE rows at most).
     * `lastPosition` is kept when the object is the same version (a checkpoint to resume from).
     */
    async upsert(changes: Array<{ remote: RemoteObject; stored: StoredObject | undefined; lastPosition: number }>) {
      if (changes.length === 0) return;
      const now = new Date();
      const platform = orm.em.getPlatform();
      await fork().transactional(async (em) => {
        const inserts = changes.filter((c) => !c.stored);
        if (inserts.length > 0) {
          await ensureJob(em);
          await em.insertMany(
            SyncObject,
            inserts.map(({ remote }) => ({
              jobId,
              key: remote.key,
              size: remote.size,
              etag: remote.etag,
              lastModified: remote.lastModified,
              checksum: null,
              checksumAlgorithms: algorithmsColumn(remote.checksumAlgorithms),
              lastPosition: 0,
              status: 'PENDING' as const,
              localPath: null,
              error: null,
              runId,
              instanceId,
              createdAt: now,
              updatedAt: now,
            })),
          );
        }
        const updates = changes.filter((c) => c.stored);
        if (updates.length === 0) return;
        // One UPDATE with a CASE per column keyed by primary key.
        const result = await em.getDriver().nativeUpdateMany(
          SyncObject.name,
          updates.map(({ stored }) => ({ id: stored!.id })),
          updates.map(({ remote, stored, lastPosition }) => ({
            size: remote.size,
            etag: remote.etag,
            lastModified: remote.lastModified ? platform.processDateProperty(remote.lastModified) : null,
            checksumAlgorithms: algorithmsColumn(remote.checksumAlgorithms),
            lastPosition,
            status: stored!.status === 'PROCESSING' && lastPosition > 0 ? 'PROCESSING' : 'PENDING',
            error: null,
            runId,
            updatedAt: platform.processDateProperty(now),
          })) as never,
          { ctx: em.getTransactionContext() },
        );
        if ((result.affectedRows ?? updates.length) < updates.length) throw new JobGoneError(`job ${jobId} was deleted`);
      });
    },

    /** Commits one object's state (a checkpoint); false when the row is gone (job deleted). */
    async commit(key: string, update: ObjectUpdate): Promise<boolean> {
      const affected = await fork().nativeUpdate(
        SyncObject,
        { jobId, key, ...(claimOwner ? { claimOwner } : {}) },
        { ...update, runId, instanceId, updatedAt: new Date() },
      );
      return affected > 0;
    },

    /**
     * Commits many objects' states and the run's counters in one transaction, with one UPDATE per
     * 200 rows (a CASE per column keyed by primary key), the cheap path for thousands of small files.
     */
    async commitMany(updates: Array<{ key: string; update: ObjectUpdate }>, runCounters?: Partial<SyncRun>) {
      const platform = orm.em.getPlatform();
      const now = platform.processDateProperty(new Date());
      await fork().transactional(async (em) => {
        const driver = em.getDriver();
        for (let start = 0; start < updates.length; start += 200) {
          const slice = updates.slice(start, start + 200);
          // Ids looked up per slice (one indexed query) rather than remembered for every key of the run.
          const ids = await idsOf(em, slice.map(({ key }) => key));
          const where = slice.map(({ key }) => {
            const id = ids.get(key);
            if (id === undefined) throw new JobGoneError(`job ${jobId} was deleted`);
            return { id };
          });
          const data = slice.map(({ update }) => ({ ...update, runId, instanceId, updatedAt: now }));
          const result = await driver.nativeUpdateMany(SyncObject.name, where, data as never, {
            ctx: em.getTransactionContext(),
          });
          if ((result.affectedRows ?? slice.length) < new Set(where.map((w) => w.id)).size) {
            throw new JobGoneError(`job ${jobId} was deleted`);
          }
        }
        if (runCounters) await em.nativeUpdate(SyncRun, runRow, runCounters);
      });
    },

    async updateRun(fields: Partial<SyncRun>): Promise<boolean> {
      return (await fork().nativeUpdate(SyncRun, runRow, fields)) > 0;
    },
  });
}

export type CheckpointStore = ReturnType<typeof createCheckpointStore>;
