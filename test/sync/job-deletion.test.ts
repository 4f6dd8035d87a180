import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { deleteJobs } from '../../src/db/job-deletion.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startSyncFixture } from './sync-fixture.js';

describe('deleting a job while another transaction updates its object rows', () => {
  test.skipIf(!onPostgres)('a delete chosen as the deadlock victim goes again and removes every row', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([
      ['a.txt', 'first'],
      ['b.txt', 'second'],
    ]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    const [first, second] = (await f.orm.em.fork().find(SyncObject, { jobId: f.jobId }, { orderBy: { id: 'asc' } })).map((row) => row.id);

    // Another writer (a run on another instance, say) holds the second row and will then want the first.
    const other = new pg.Client({ connectionString: f.config.dbUrl });
    await other.connect();
    try {
      await other.query('begin');
      // Its own deadlock check waits longer, so the delete's backend finds the cycle and is the victim.
      await other.query("set local deadlock_timeout = '10s'");
      await other.query('update sync_objects set error = $1 where id = $2', ['held', second]);

      const deletion = deleteJobs(f.orm, [f.jobId]);
      // Asked outside `other`'s transaction, which would keep seeing one snapshot of the statistics.
      await waitFor(async () => {
        const rows = (await f.orm.em.getConnection().execute("select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'delete from%jobs%'")) as unknown[];
        return rows.length > 0;
      }, 10_000, 'the delete to wait for the held row');
      // The cycle: this update waits for the delete's lock on the first row; the delete is rolled back.
      const update = await other.query('update sync_objects set error = $1 where id = $2', ['held too', first]);
      expect(update.rowCount).toBe(1);
      await other.query('commit');

      await deletion;
    } finally {
      await other.end();
    }
    expect(await f.orm.em.fork().count(SyncObject, { jobId: f.jobId })).toBe(0);
  });
});
