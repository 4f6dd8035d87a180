import type { SqlEntityManager as EntityManager, Knex } from '@mikro-orm/knex';
import { Job } from '../../db/entities/job.entity.js';
import type { ObjectStatus } from '../../db/entities/statuses.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import { selectRowsOfKeys } from './key-span.js';
import { LEASED_TO_SQL, leasedTo } from '../multi/run-leases.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { retriedWhileDatabaseDown, type OutageOptions } from '../../db/database-outage.js';
import { algorithmsColumn } from '../../db/checksum-algorithms.js';
import { inPlainTransaction } from '../../db/plain-transaction.js';
import { runOnce, runPerRow } from '../../db/sqlite-statements.js';
import { createStatisticsRefresh } from '../../db/planner-statistics.js';
import {
  batchFields,
  batchUpdateSql,
  LISTED_STATE_ROW_SQL,
  listedStateSql,
  ROW_INSERT_SQL,
  rowUpdateSql,
  type BatchField,
  type BatchUpdate,
} from './object-row-sql.js';

/** How one object's commit went: see `commit`. */
export type CommitOutcome = 'committed' | 'claim-lost' | 'job-gone';

export type { BatchUpdate } from './object-row-sql.js';

/** The columns of a SyncObject row that decide what a run does with it. */
export interface StoredObject {
  id: number;
  key: string;
  size: number;
  etag: string | null;
  status: ObjectStatus;
  lastPosition: number;
  localPath: string | null;
  /** The run that last wrote the row (listed it new or changed, or recorded its result). */
  runId: number | null;
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
export function createCheckpointStore(orm: Orm, jobId: string, runId: number, instanceId: string, claimOwner?: string, outage: OutageOptions = {}) {
  const fork = () => orm.em.fork() as EntityManager;
  const runRow = { id: runId, ...leasedTo(instanceId) };
  // SQLite: keys compare bytewise, and rows are written through prepared statements (sqlite-statements.ts).
  const onSqlite = !isPostgres(orm);
  const statistics = createStatisticsRefresh(orm);

  /** SQLite: `column = ?` for each field given of an `entity` row, and the values as MikroORM would bind them. */
  function assignments<T extends object>(entity: string, fields: Partial<T>): { set: string; values: unknown[] } {
    const properties = orm.getMetadata().get<T>(entity).properties;
    const platform = orm.em.getPlatform();
    const given = Object.entries(fields).filter(([, value]) => value !== undefined);
    return {
      set: given.map(([property]) => `${properties[property as keyof typeof properties].fieldNames[0]} = ?`).join(', '),
      values: given.map(([, value]) => (value instanceof Date ? platform.processDateProperty(value) : value)),
    };
  }

  /** SQLite: the UPDATE of `fields` of the run's row, and its bindings (the row filter is `runRow`'s). */
  function runRowUpdate(fields: Partial<SyncRun>): { sql: string; params: unknown[] } {
    const { set, values } = assignments<SyncRun>(SyncRun.name, fields);
    return { sql: `update sync_runs set ${set} where id = ? and ${LEASED_TO_SQL}`, params: [...values, runId, instanceId] };
  }

  /** SQLite: the listing's new rows, created at `now`, through one prepared INSERT. */
  async function insertOnSqlite(transaction: Knex.Transaction, inserts: Array<{ remote: RemoteObject }>, now: Date) {
    const platform = orm.em.getPlatform();
    const at = platform.processDateProperty(now);
    await runPerRow(
      transaction,
      ROW_INSERT_SQL,
      inserts.map(({ remote }) => [
        jobId,
        remote.key,
        remote.size,
        remote.etag,
        remote.lastModified ? platform.processDateProperty(remote.lastModified) : null,
        algorithmsColumn(remote.checksumAlgorithms),
        runId,
        instanceId,
        at,
        at,
      ]),
    );
  }

  async function ensureJob(em: EntityManager) {
    if (!(await em.count(Job, { id: jobId }))) throw new JobGoneError(`job ${jobId} was deleted`);
  }

  return retriedWhileDatabaseDown({
    /** One query for a whole listing page: the stored rows of these keys. */
    async load(keys: string[]): Promise<Map<string, StoredObject>> {
      const rows = await selectRowsOfKeys<StoredObject>(fork(), keys, {
        bytewise: onSqlite,
        columns: ['id', 'key', 'size', 'etag', 'status', 'lastPosition', 'localPath', 'runId'],
        where: { jobId },
      });
      return new Map(rows.map((row) => [row.key, { ...row, size: Number(row.size), lastPosition: Number(row.lastPosition) }]));
    },

    /**
     * In one transaction: inserts rows for new keys (on SQLite through one prepared INSERT) and
     * records the listed state of known ones (on PostgreSQL one UPDATE for all of them: the run passes
     * a slice of a page, PAGE_SLICE rows at most), each only while it is as the listing read it or
     * still open (object-row-sql.ts). `lastPosition` is kept when the object is the same version (a
     * checkpoint to resume from). A listed row is PENDING even with a checkpoint: PROCESSING says a
     * transfer of this run has started on it (the dashboard's objects in flight).
     */
    async upsert(changes: Array<{ remote: RemoteObject; stored: StoredObject | undefined; lastPosition: number }>) {
      if (changes.length === 0) return;
      const now = new Date();
      const platform = orm.em.getPlatform();
      const inserts = changes.filter((c) => !c.stored);
      await inPlainTransaction(orm, async (em, transaction) => {
        if (inserts.length > 0) {
          await ensureJob(em);
          if (onSqlite) await insertOnSqlite(transaction, inserts, now);
          else {
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
        }
        const updates = changes.filter((c) => c.stored);
        if (updates.length === 0) return;
        const at = platform.processDateProperty(now);
        const rows = updates.map(({ remote, stored, lastPosition }) => [
          stored!.id,
          remote.size,
          remote.etag,
          remote.lastModified ? platform.processDateProperty(remote.lastModified) : null,
          algorithmsColumn(remote.checksumAlgorithms),
          lastPosition,
          'PENDING',
          stored!.status,
        ]);
        let written: number;
        if (onSqlite) {
          const changed = await runPerRow(transaction, LISTED_STATE_ROW_SQL, rows.map((row) => [...row, runId, at, jobId]));
          written = changed.reduce((sum, n) => sum + n, 0);
        } else {
          const result = (await em.getKnex().raw(listedStateSql(rows.length), [...rows.flat(), runId, at, jobId]).transacting(transaction)) as { rowCount?: number };
          written = result.rowCount ?? rows.length;
        }
        // Rows left as they were were finished by another session of this run, unless the job is gone.
        if (written < rows.length) await ensureJob(em);
      });
      if (inserts.length > 0) await statistics.inserted(inserts.length);
    },

    /**
     * Commits one object's state (a checkpoint). `claim-lost`: another session of the run has claimed
     * the object since (this one's claim ran out): this session stops working on it, and only on it.
     * `job-gone`: the row is gone with its job.
     */
    async commit(key: string, update: ObjectUpdate): Promise<CommitOutcome> {
      const em = fork();
      const fields = { ...update, runId, instanceId, updatedAt: new Date() };
      let affected: number;
      if (onSqlite) {
        const { set, values } = assignments<SyncObject>(SyncObject.name, fields);
        const where = claimOwner ? 'job_id = ? and object_key = ? and claim_owner = ?' : 'job_id = ? and object_key = ?';
        affected = await runOnce(em.getKnex(), `update sync_objects set ${set} where ${where}`, [...values, jobId, key, ...(claimOwner ? [claimOwner] : [])]);
      } else affected = await em.nativeUpdate(SyncObject, { jobId, key, ...(claimOwner ? { claimOwner } : {}) }, fields);
      if (affected > 0) return 'committed';
      return claimOwner && (await em.count(Job, { id: jobId })) > 0 ? 'claim-lost' : 'job-gone';
    },

    /**
     * Commits many objects' states and the run's counters in one transaction (the cheap path for
     * thousands of small files: no id lookup, no CASE per column): on PostgreSQL one UPDATE … FROM a
     * VALUES list of (key, fields) per 200 rows of one shape, on SQLite one prepared UPDATE per row.
     * The latest update of a key wins.
     */
    async commitMany(updates: Array<{ key: string; update: BatchUpdate }>, runCounters?: Partial<SyncRun>) {
      const latest = new Map(updates.map(({ key, update }) => [key, update]));
      // Grouped by the fields they set, named by those fields.
      const shapes = new Map<string, { fields: BatchField[]; rows: Array<[string, BatchUpdate]> }>();
      for (const [key, update] of latest) {
        const fields = batchFields(update);
        const shape = fields.join(',');
        if (!shapes.has(shape)) shapes.set(shape, { fields, rows: [] });
        shapes.get(shape)!.rows.push([key, update]);
      }
      const now = orm.em.getPlatform().processDateProperty(new Date()) as Date | number;
      await inPlainTransaction(orm, async (em, transaction) => {
        const knex = em.getKnex();
        for (const { fields, rows } of shapes.values()) {
          if (onSqlite) {
            const params = rows.map(([key, update]) => [...fields.map((field) => update[field] ?? null), runId, instanceId, now, jobId, key]);
            if ((await runPerRow(transaction, rowUpdateSql(fields), params)).includes(0)) throw new JobGoneError(`job ${jobId} was deleted`);
            continue;
          }
          for (let start = 0; start < rows.length; start += 200) {
            const slice = rows.slice(start, start + 200);
            const query = knex.raw(batchUpdateSql(fields, slice.length), [
              ...slice.flatMap(([key, update]) => [key, ...fields.map((field) => update[field] ?? null)]),
              runId,
              instanceId,
              now,
              jobId,
            ]);
            const result = (await query.transacting(transaction)) as { changes?: number; rowCount?: number };
            if ((result.changes ?? result.rowCount ?? slice.length) < slice.length) throw new JobGoneError(`job ${jobId} was deleted`);
          }
        }
        if (runCounters && onSqlite) {
          const { sql, params } = runRowUpdate(runCounters);
          await runPerRow(transaction, sql, [params]);
        } else if (runCounters) await em.nativeUpdate(SyncRun, runRow, runCounters);
      });
    },

    async updateRun(fields: Partial<SyncRun>): Promise<boolean> {
      if (!onSqlite) return (await fork().nativeUpdate(SyncRun, runRow, fields)) > 0;
      const { sql, params } = runRowUpdate(fields);
      return (await runOnce(orm.em.getKnex(), sql, params)) > 0;
    },

    /** Whether the run's row is still there (its job's deletion takes it). */
    async runExists(): Promise<boolean> {
      return (await fork().count(SyncRun, { id: runId })) > 0;
    },
  }, outage);
}

export type CheckpointStore = ReturnType<typeof createCheckpointStore>;
