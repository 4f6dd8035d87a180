import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { selectAll } from '../../db/sqlite-statements.js';
import { isStorableKey } from '../local/safe-path.js';

/**
 * Compares keys in UTF-8 byte order: the order of an S3 listing and of SQLite's BINARY collation.
 * UTF-16 code units compare the same way except surrogates against U+E000–U+FFFF, shifted here.
 */
export function compareBytewise(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return byteRank(x) - byteRank(y);
  }
  return a.length - b.length;
}

const byteRank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);

/** Rows more than the keys asked for a span may hold (stored keys no longer listed) before a lookup by key is cheaper. */
const SPAN_SLACK = 64;

/**
 * The stored rows of `keys`, for a database that orders keys bytewise: one range query from the
 * smallest key to the largest, rows outside `keys` dropped, rather than an `IN` list. A page comes
 * sorted, so the span holds its keys and little else; when it holds many more rows (keys out of
 * order, or many stored keys gone from the listing) the lookup is by key instead.
 */
export async function rowsOfKeys<T extends { key: string }>(
  keys: string[],
  query: (keyCondition: KeyCondition, limit?: number) => Promise<T[]>,
): Promise<T[]> {
  if (keys.length < 2) return query({ $in: keys });
  let first = keys[0]!;
  let last = first;
  for (const key of keys) {
    if (compareBytewise(key, first) < 0) first = key;
    if (compareBytewise(key, last) > 0) last = key;
  }
  const limit = keys.length * 2 + SPAN_SLACK;
  const rows = await query({ $gte: first, $lte: last }, limit);
  if (rows.length >= limit) return query({ $in: keys });
  const wanted = new Set(keys);
  return rows.filter((row) => wanted.has(row.key));
}

type KeyCondition = { $in: string[] } | { $gte: string; $lte: string };

export interface RowsOfKeysQuery {
  /** Keys sort bytewise in the database (SQLite): a page's rows are read by span. */
  bytewise: boolean;
  columns: Array<keyof SyncObject & string>;
  /** The rows' job, and the run that listed them when only those count. */
  where: { jobId: string; listedRunId?: number };
}

/**
 * `columns` of the SyncObject rows of `keys` that match `where`: by key span where keys sort bytewise,
 * by `IN` otherwise (PostgreSQL's collation could leave some of a page's keys outside the span). Keys
 * with a NUL have no row (page-plan.ts records them as ␀) and would break the statement: SQLite stops
 * reading it at the NUL.
 *
 * On PostgreSQL the query names only the job and the keys, which leaves the planner one good path,
 * (job_id, object_key). Asked with the run's id too, it could pick another index on the job (the
 * statistics never know a new run's id) and read every row the run had listed so far, for each
 * page. The run's rows are kept here.
 */
export async function selectRowsOfKeys<T extends { key: string }>(em: SqlEntityManager, keys: string[], { bytewise, columns, where }: RowsOfKeysQuery): Promise<T[]> {
  const storable = keys.filter(isStorableKey);
  if (storable.length === 0) return [];
  const { jobId, listedRunId } = where;
  const runInQuery = listedRunId !== undefined && bytewise;
  const conditions: FilterQuery<SyncObject> = runInQuery ? { jobId, listedRunId } : { jobId };
  const selected: Array<keyof SyncObject & string> = listedRunId === undefined || runInQuery ? columns : [...columns, 'listedRunId'];
  const query = async (key: KeyCondition, limit?: number) => {
    // The span read of every listed page, through a statement SQLite keeps prepared (knex would build and prepare it anew).
    if (bytewise && '$gte' in key && limit !== undefined) {
      const params = [jobId, ...(runInQuery ? [listedRunId] : []), key.$gte, key.$lte, limit];
      return selectAll<T>(em.getKnex(), spanSql(em, columns, runInQuery), params);
    }
    const builder = em.createQueryBuilder(SyncObject).select(selected).where({ ...(conditions as object), key });
    if (limit !== undefined) builder.limit(limit);
    return (await builder.execute('all', true)) as T[];
  };
  if (bytewise) return rowsOfKeys(storable, query);
  const rows = (await query({ $in: storable })) as Array<T & { listedRunId?: number | string | null }>;
  return listedRunId === undefined ? rows : rows.filter((row) => row.listedRunId != null && Number(row.listedRunId) === listedRunId);
}

/** SQLite: the span read of `columns` (named as their properties); bindings: job id, [run id,] first key, last key, limit. */
function spanSql(em: SqlEntityManager, columns: Array<keyof SyncObject & string>, listed: boolean): string {
  const properties = em.getMetadata().get<SyncObject>(SyncObject.name).properties;
  const select = columns.map((property) => `${properties[property].fieldNames[0]} as "${property}"`).join(', ');
  const byRun = listed ? ' and listed_run_id = ?' : '';
  return `select ${select} from sync_objects where job_id = ?${byRun} and object_key >= ? and object_key <= ? limit ?`;
}
