import type { SyncObject } from '../../db/entities/sync-object.entity.js';

/**
 * The SQL the checkpoint store writes object rows with, where MikroORM's generic statements cost too
 * much for thousands of rows per run or cannot say what is needed (a condition per row).
 * VALUES columns bound as parameters are text on PostgreSQL: numbers and times are cast.
 */

/** The fields a batched commit sets, with their columns (an object's final state, or its exclusion). */
export const BATCH_COLUMNS = { status: 'status', lastPosition: 'last_position', localPath: 'local_path', error: 'error' } as const;
export type BatchField = keyof typeof BATCH_COLUMNS;
export type BatchUpdate = Partial<Pick<SyncObject, BatchField>>;

export const batchFields = (update: BatchUpdate) => (Object.keys(BATCH_COLUMNS) as BatchField[]).filter((field) => update[field] !== undefined);

/**
 * One UPDATE of `rows` rows of the job that set `fields`, joined on the key from a VALUES list
 * (PostgreSQL); bindings: key and fields per row, then run id, instance id, time, job id. A batched
 * state is final (done, failed, excluded): the row's claim goes with it, so that the session's
 * release at its end touches only the rows it did not finish, not every row of a large run.
 */
export function batchUpdateSql(fields: BatchField[], rows: number): string {
  const columns = fields.map((field) => BATCH_COLUMNS[field]);
  const row = `(${['?', ...fields.map(() => '?')].join(', ')})`;
  const set = columns.map((column) => `${column} = ${column === 'last_position' ? 'cast(v.last_position as bigint)' : `v.${column}`}`);
  return (
    `with v(object_key${columns.map((c) => `, ${c}`).join('')}) as (values ${Array.from({ length: rows }, () => row).join(', ')}) ` +
    `update sync_objects set ${[...set, 'run_id = ?', 'instance_id = ?', 'updated_at = ?', 'claim_owner = null', 'claim_expires_at = null'].join(', ')} ` +
    'from v where sync_objects.job_id = ? and sync_objects.object_key = v.object_key'
  );
}

/** SQLite: one row's UPDATE of `fields`; bindings: the fields, run id, instance id, time, job id, key. */
export function rowUpdateSql(fields: BatchField[]): string {
  const set = [...fields.map((field) => BATCH_COLUMNS[field]), 'run_id', 'instance_id', 'updated_at'].map((column) => `${column} = ?`);
  return `update sync_objects set ${set.join(', ')} where job_id = ? and object_key = ?`;
}

/** SQLite: one row marked as listed by the run; bindings: run id, job id, key. */
export const LISTED_MARK_ROW_SQL = 'update sync_objects set listed_run_id = ? where job_id = ? and object_key = ?';

/** SQLite: one new row, as the listing records it (the other columns start null). */
export const ROW_INSERT_SQL =
  'insert into sync_objects (job_id, object_key, size, etag, last_modified, checksum_algorithms, last_position, status, run_id, instance_id, created_at, updated_at) ' +
  "values (?, ?, ?, ?, ?, ?, 0, 'PENDING', ?, ?, ?, ?)";

/**
 * The listing's state of a known row is written only while the row still has the status the listing
 * read, or is still open: a row another session of the run finished meanwhile (a helper on a shared
 * run) keeps its result instead of going back to PENDING and being fetched once more.
 */
const STILL_AS_READ = "(sync_objects.status = v.read_status or sync_objects.status in ('PENDING', 'PROCESSING'))";
const LISTED_SET =
  'size = cast(v.size as bigint), etag = v.etag, last_modified = cast(v.last_modified as timestamptz), ' +
  'checksum_algorithms = v.checksum_algorithms, last_position = cast(v.last_position as bigint), status = v.status, ' +
  'error = null, run_id = ?, updated_at = ?';

/**
 * One UPDATE of `rows` known rows of the job to their listed state (PostgreSQL); bindings: per row
 * id, size, etag, last modified, checksum algorithms, last position, status and the status read,
 * then run id, time, job id. Changes as many rows as it wrote.
 */
export function listedStateSql(rows: number): string {
  const row = `(${Array.from({ length: 8 }, () => '?').join(', ')})`;
  return (
    'with v(id, size, etag, last_modified, checksum_algorithms, last_position, status, read_status) as ' +
    `(values ${Array.from({ length: rows }, () => row).join(', ')}) ` +
    `update sync_objects set ${LISTED_SET} from v ` +
    `where sync_objects.id = cast(v.id as bigint) and sync_objects.job_id = ? and ${STILL_AS_READ}`
  );
}

/** SQLite: one known row's listed state; bindings as one row of `listedStateSql`, then run id, time, job id. */
export const LISTED_STATE_ROW_SQL =
  `with v(id, size, etag, last_modified, checksum_algorithms, last_position, status, read_status) as (values (?, ?, ?, ?, ?, ?, ?, ?)) ` +
  `update sync_objects set ${LISTED_SET} from v where sync_objects.id = v.id and sync_objects.job_id = ? and ${STILL_AS_READ}`;
