import { isPostgres, type Orm } from './orm.js';

/** New rows a run inserts before its first ANALYZE; then again each time their count doubles. */
const FIRST_REFRESH_AFTER = 2_000;

/**
 * PostgreSQL plans every lookup by key of a listed page (stored rows, listed marks, batched row
 * commits) from the table's statistics, which autovacuum refreshes a minute or more after rows
 * arrive. Until then a new job's rows are estimated at a handful, and the planner reads all of the
 * job's rows through another index for each page instead of looking the page's keys up: the cost
 * of a page grows with the job. A run that inserts many rows refreshes them itself: after 2,000
 * new rows, then each time their count doubles (about ten ANALYZEs for a million keys; each
 * samples at most 30,000 rows whatever the table's size). SQLite plans without statistics: nothing.
 */
export function createStatisticsRefresh(orm: Orm): { inserted(rows: number): Promise<void> } {
  if (!isPostgres(orm)) return { inserted: async () => {} };
  let inserted = 0;
  let refreshAt = FIRST_REFRESH_AFTER;
  return {
    async inserted(rows) {
      inserted += rows;
      if (inserted < refreshAt) return;
      refreshAt = inserted * 2;
      // Only an optimisation (autovacuum gets there later): a failure, or a role that may not analyze, changes nothing.
      await orm.em
        .fork()
        .getConnection()
        .execute('analyze sync_objects')
        .catch(() => {});
    },
  };
}
