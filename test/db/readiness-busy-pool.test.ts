import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';

/** The pool of the ORM's query builder (tarn), as far as this test reads it. */
interface Pool {
  max: number;
  numUsed(): number;
  numPendingAcquires(): number;
}

// A burst of API requests holds every pooled connection: the instance is busy, not unreachable, so a
// load balancer must keep it (README, "Health, metrics and logs").
describe.runIf(onPostgres)('/readyz while every pooled connection is busy', () => {
  it('answers 200 with the database ok, while requests wait for a connection', async () => {
    await using app = await startTestApp();
    const pool = (app.orm.em.getConnection().getKnex().client as { pool: Pool }).pool;
    // Another session's exclusive advisory lock: each pooled query waits on it until it is released.
    const holder = new pg.Client({ connectionString: app.config.dbUrl });
    await holder.connect();
    await holder.query('select pg_advisory_lock(7001)');
    const busy = Array.from({ length: pool.max + 5 }, () => app.orm.em.getConnection().execute('select pg_advisory_xact_lock_shared(7001)'));
    try {
      // At least five: the app's own background queries (the scheduler's poll) may queue behind them too.
      await waitFor(() => pool.numUsed() === pool.max && pool.numPendingAcquires() >= 5, { what: 'every pooled connection busy, five queries queued' });
      const ready = await http(app, 'GET', '/readyz');
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok' } });
    } finally {
      await holder.query('select pg_advisory_unlock(7001)');
      await holder.end();
      await Promise.all(busy);
    }
  });
});
