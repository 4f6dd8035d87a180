import type { EntityManager } from '@mikro-orm/better-sqlite';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import { selectRowsOfKeys } from './key-span.js';
import { isStorableKey } from '../local/safe-path.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { retriedWhileDatabaseDown, type OutageOptions } from '../../db/database-outage.js';
import { algorithmsOf } from '../../db/checksum-algorithms.js';
import { inPlainTransaction } from '../../db/plain-transaction.js';
import { runPerRow } from '../../db/sqlite-statements.js';
import { listingBoundaries, type BoundaryRequest } from './listing-boundaries.js';
import { LISTED_MARK_ROW_SQL } from './object-row-sql.js';

/** Where a run's listing stands, as recorded on its row. */
export interface ListingState {
  /** Last key of the last recorded page: a resumed listing starts after it; null: from the start. */
  listAfter: string | null;
  /** A page of this run's listing is recorded: a resume finishes its unfinished rows and counts its marked ones. */
  started: boolean;
  complete: boolean;
}

/** What the rows a run listed before it was cut short say about its counters. */
export interface ListedCounters {
  objectsTotal: number;
  objectsDone: number;
  objectsFailed: number;
  objectsSkipped: number;
  bytesTotal: number;
  bytesDone: number;
  firstFailure: string | null;
}

const UNFINISHED = ['PENDING', 'PROCESSING'] as const;

/**
 * The run's listing, recorded page by page so that memory does not grow with the key count and a
 * run cut short (kill -9) goes on listing where it stopped: each page marks its rows as listed by
 * this run (`listed_run_id`), then moves the run's position (`list_after`) past it. A crash between
 * the two re-lists one page; keys already marked are then recognised and not counted twice.
 */
export function createListingCheckpoint(orm: Orm, jobId: string, runId: number, outage: OutageOptions = {}) {
  const fork = () => orm.em.fork() as EntityManager;
  const onSqlite = !isPostgres(orm);

  return retriedWhileDatabaseDown({
    async state(): Promise<ListingState> {
      const run = await fork().findOne(SyncRun, { id: runId }, { fields: ['listAfter', 'listingComplete'] as never });
      // `listingComplete` is false from the first recorded page on; `listAfter` covers rows recorded before it was.
      const started = run !== null && (run.listingComplete !== null || run.listAfter !== null);
      return { listAfter: run?.listAfter ?? null, started, complete: run?.listingComplete === true };
    },

    /** Keys splitting what is left of the listing into key ranges (listing-boundaries.ts). */
    boundaries(request: BoundaryRequest): Promise<string[]> {
      return listingBoundaries(orm, jobId, request);
    },

    /** Keys of `keys` this run already listed (a page repeated across a crash, or a duplicate across pages). */
    async alreadyListed(listedKeys: string[]): Promise<Set<string>> {
      const rows = await selectRowsOfKeys<{ key: string }>(fork(), listedKeys, { bytewise: onSqlite, columns: ['key'], where: { jobId, listedRunId: runId } });
      return new Set(rows.map((row) => row.key));
    },

    /**
     * Marks the page's kept keys as listed by this run and, in the same transaction, records the
     * position (null when the listing is not in key order: start-after could then skip keys).
     */
    async recordPage(listedKeys: string[], position: string | null): Promise<void> {
      const keptKeys = listedKeys.filter(isStorableKey);
      // A position no database can hold: a resumed run lists from the start instead.
      const listAfter = position !== null && isStorableKey(position) ? position : null;
      await inPlainTransaction(orm, async (em, transaction) => {
        if (onSqlite) await runPerRow(transaction, LISTED_MARK_ROW_SQL, keptKeys.map((key) => [runId, jobId, key]));
        else {
          for (let start = 0; start < keptKeys.length; start += 500) {
            const slice = keptKeys.slice(start, start + 500);
            await em.nativeUpdate(SyncObject, { jobId, key: { $in: slice } }, { listedRunId: runId });
          }
        }
        await em.nativeUpdate(SyncRun, { id: runId }, { listAfter, listingComplete: false });
      });
    },

    async complete(): Promise<void> {
      await fork().nativeUpdate(SyncRun, { id: runId }, { listingComplete: true });
    },

    /** Counters of the objects this run listed before a restart, its unfinished ones left out (they are replayed). */
    async countListed(): Promise<ListedCounters> {
      const knex = fork().getKnex();
      const [row] = (await knex('sync_objects')
        .where({ job_id: jobId, listed_run_id: runId })
        .whereNotIn('status', UNFINISHED)
        .select(
          knex.raw('count(*) as total'),
          knex.raw('coalesce(sum(size), 0) as bytes'),
          knex.raw(`coalesce(sum(case when status in ('PROCESSED', 'SKIPPED') then 1 else 0 end), 0) as done`),
          knex.raw(`coalesce(sum(case when status in ('PROCESSED', 'SKIPPED') then size else 0 end), 0) as done_bytes`),
          knex.raw(`coalesce(sum(case when status = 'FAILED' then 1 else 0 end), 0) as failed`),
          knex.raw(`coalesce(sum(case when status = 'SKIPPED' or (status = 'PROCESSED' and (run_id is null or run_id <> ?)) then 1 else 0 end), 0) as skipped`, [runId]),
        )) as Array<Record<string, string | number>>;
      const failure = (await knex('sync_objects')
        .where({ job_id: jobId, listed_run_id: runId, status: 'FAILED' })
        .select('object_key', 'error')
        .orderBy('object_key')
        .first()) as { object_key: string; error: string | null } | undefined;
      return {
        objectsTotal: Number(row?.total ?? 0),
        objectsDone: Number(row?.done ?? 0),
        objectsFailed: Number(row?.failed ?? 0),
        objectsSkipped: Number(row?.skipped ?? 0),
        bytesTotal: Number(row?.bytes ?? 0),
        bytesDone: Number(row?.done_bytes ?? 0),
        firstFailure: failure ? `${failure.object_key}: ${failure.error ?? 'failed'}` : null,
      };
    },

    /** The rows this run listed but did not finish before a restart, in key order, `limit` at a time. */
    async *unfinished(limit = 1000): AsyncGenerator<RemoteObject[]> {
      let after: string | null = null;
      for (;;) {
        const query = fork()
          .createQueryBuilder(SyncObject)
          .select(['id', 'key', 'size', 'etag', 'lastModified', 'checksumAlgorithms'])
          .where({ jobId, listedRunId: runId, status: { $in: [...UNFINISHED] }, ...(after === null ? {} : { key: { $gt: after } }) })
          .orderBy({ key: 'asc' })
          .limit(limit);
        const rows = await query.getResultList();
        if (rows.length === 0) return;
        after = rows[rows.length - 1]!.key;
        yield rows.map((row) => ({
          key: row.key,
          size: Number(row.size),
          etag: row.etag ?? '',
          lastModified: row.lastModified,
          checksumAlgorithms: algorithmsOf(row.checksumAlgorithms),
        }));
        if (rows.length < limit) return;
      }
    },
  }, outage);
}

export type ListingCheckpoint = ReturnType<typeof createListingCheckpoint>;
