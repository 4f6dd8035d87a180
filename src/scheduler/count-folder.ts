import type { Logger } from '../config/logger.js';
import { foldObjectCounts } from '../db/object-counts.js';
import { isPostgres, type Orm } from '../db/orm.js';
import { createTickLoop, type TickLoop } from './tick-loop.js';

/**
 * On PostgreSQL, folds the object-count deltas of jobs nobody reads (a read folds its own job's),
 * so `object_counts` stays a few rows per job and status. Nothing to do on SQLite.
 */
export function createObjectCountFolder({ orm, logger, everyMs = 10 * 60_000 }: { orm: Orm; logger: Logger; everyMs?: number }): TickLoop {
  if (!isPostgres(orm)) return { start() {}, async stop() {} };
  return createTickLoop(
    async () => {
      await foldObjectCounts(orm);
    },
    everyMs,
    (err) => logger.warn({ err }, 'could not fold the object counts'),
  );
}
