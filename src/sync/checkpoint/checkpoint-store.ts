import type { SqlEntityManager as EntityManager, Knex } from '@mikro-orm/knex';
import { Job } from '../../db/entities/job.entity.js';
import type { ObjectStatus } from '../../db/entities/statuses.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import { selectRowsOfKeys } from './key-span.js';
import { LEASED_TO_SQL, leasedTo } from '../multi/run-leases.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { retriedWhileDatabaseDown } from '../../db/database-outage.js';
import { algorithmsColumn } from '../../db/checksum-algorithms.js';
import { inPlainTransaction } from '../../db/plain-transaction.js';
import { runPerRow } from '../../db/sqlite-statements.js';

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

/** The fields a batched commit sets, with their columns (an object's final state, or its exclusion). */
const BATCH_COLUMNS = { status: 'status', lastPosition: 'last_position', localPath: 'local_path', error: 'error' } as const;
type BatchField = keyof typeof BATCH_COLUMNS;
export type BatchUpdate = Pick<ObjectUpdate, BatchField>;

const batchFields = (update: BatchUpdate) => (Object.keys(BATCH_COLUMNS) as BatchField[]).filter((field) => update[field] !== undefined);

/**
 * One UPDATE of `rows` rows of the job that set `fields`, joined on the key from a VALUES list
 * (SQLite ≥ 3.33 and PostgreSQL alike); bindings: key and fields per row, then run id, instance id,
 * time, job id. VALUES columns bound as parameters are text on PostgreSQL: the position is cast.
 */
function batchUpdateSql(fields: BatchField[], rows: number): string {
  const columns = fields.map((field) => BATCH_COLUMNS[field]);
  const row = `(${['?', ...fields.map(() => '?')].join(', ')})`;
  const set = columns.map((column) => `${column} = ${column === 'last_position' ? 'cast(v.last_position as bigint)' : `v.${column}`}`);
  return (
    `with v(object_key${columns.map((c) => `, ${c}`).join('')}) as (values ${Array.from({ length: rows }, () => row).join(', ')}) ` +
    `update sync_objects set ${[...set, 'run_id = ?', 'instance_id = ?', 'updated_at = ?'].join(', ')} ` +
    'from v where sync_objects.job_id = ? and sync_objects.object_key = v.object_key'
  );
}

/** SQLite: one row's UPDATE of `fields`; bindings: the fields, run id, instance id, time, job id, key. */
function rowUpdateSql(fields: BatchField[]): string {
  const set = [...fields.map((field) => BATCH_COLUMNS[field]), 'run_id', 'instance_id', 'updated_at'].map((column) => `${column} = ?`);
  return `update sync_objects set ${set.join(', ')} where job_id = ? and object_key = ?`;
}

/** SQLite: one new row, as the listing records it (the other columns start null). */
const ROW_INSERT_SQL =
  'insert into sync_objects (job_id, object_key, size, etag, last_modified, checksum_algorithms, last_position, status, run_id, instance_id, created_at, updated_at) ' +
  "values (?, ?, ?, ?, ?, ?, 0, 'PENDING', ?, ?, ?, ?)";

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
  // SQLite: keys compare bytewise, and rows are written through prepared statements (sqlite-statements.ts).
  const onSqlite = !isPostgres(orm);

  /** SQLite: the UPDATE of `fields` of the run's row, and its one row of bindings (the row filter is `runRow`'s). */
  function runRowUpdate(fields: Partial<SyncRun>): [string, unknown[][]] {
    const properties = orm.getMetadata().get<SyncRun>(SyncRun.name).properties;
    const platform = orm.em.getPlatform();
    const set = Object.entries(fields).filter(([, value]) => value !== undefined);
    const columns = set.map(([property]) => `${properties[property as keyof typeof properties].fieldNames[0]} = ?`);
    const values = set.map(([, value]) => (value instanceof Date ? platform.processDateProperty(value) : value));
    const sql = `update sync_runs set ${columns.join(', ')} where id = ? and ${LEASED_TO_SQL}`;
    return [sql, [[...values, runId, instanceId]]];
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
        columns: ['id', 'key', 'size', 'etag', 'status', 'lastPosition', 'localPath'],
        where: { jobId },
      });
      return new Map(rows.map((row) => [row.key, { ...row, size: Number(row.size), lastPosition: Number(row.lastPosition) }]));
    },

    /**
     * In one transaction: inserts rows for new keys (on SQLite through one prepared INSERT) and
     * records the listed state of changed ones (one UPDATE for all of them: the run passes a slice of
     * a page, PAGE_SLICE rows at most).
     * `lastPosition` is kept when the object is the same version (a checkpoint to resume from).
     */
    async upsert(changes: Array<{ remote: RemoteObject; stored: StoredObject | undefined; lastPosition: number }>) {
      if (changes.length === 0) return;
      const now = new Date();
      const platform = orm.em.getPlatform();
      await inPlainTransaction(orm, async (em, transaction) => {
        const inserts = changes.filter((c) => !c.stored);
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
        if (runCounters && onSqlite) await runPerRow(transaction, ...runRowUpdate(runCounters));
        else if (runCounters) await em.nativeUpdate(SyncRun, runRow, runCounters);
      });
    },

    async updateRun(fields: Partial<SyncRun>): Promise<boolean> {
      return (await fork().nativeUpdate(SyncRun, runRow, fields)) > 0;
    },
  });
}

export type CheckpointStore = ReturnType<typeof createCheckpointStore>;
