import { describe, expect, test } from 'vitest';
import { createCheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { onPostgres } from '../helpers/db-url.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * PostgreSQL plans a page's lookups by key from the table's statistics; a run that inserts many
 * rows refreshes them itself (after 2,000 new rows, then each time they double) rather than wait
 * for autovacuum, so that its own later pages are not planned as if the job had a handful of rows.
 */
describe.skipIf(!onPostgres)('planner statistics', () => {
  test('a run that lists 2,000 new keys, then 3,000 more, has the table analysed after 2,000 and 4,000', async () => {
    await using f = await startSyncFixture();
    const knex = f.orm.em.getKnex();
    // Not left to autovacuum during the test: only the engine's own ANALYZEs count.
    await knex.raw('alter table sync_objects set (autovacuum_enabled = false)');
    // The row count the planner believes, which ANALYZE sets (-1: never analysed).
    const plannedRows = async () => Number(((await knex.raw(`select reltuples from pg_class where relname = 'sync_objects'`)) as { rows: Array<{ reltuples: string }> }).rows[0]!.reltuples);
    const store = createCheckpointStore(f.orm, f.jobId, await f.createRun(), f.config.instanceId);
    const page = (from: number) =>
      Array.from({ length: 1000 }, (_, i) => ({
        remote: { key: `k${from + i}`, size: 1, etag: '"e"', lastModified: null, checksumAlgorithms: [] },
        stored: undefined,
        lastPosition: 0,
      }));
    const believed: number[] = [];
    for (let from = 0; from < 5000; from += 1000) {
      await store.upsert(page(from));
      believed.push(await plannedRows());
    }
    expect(believed).toEqual([-1, 2000, 2000, 4000, 4000]);
  });
});
