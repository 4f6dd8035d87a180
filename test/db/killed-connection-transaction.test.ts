import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { whileDatabaseDown } from '../../src/db/database-outage.js';
import { initOrm } from '../../src/db/orm.js';
import { inPlainTransaction } from '../../src/db/plain-transaction.js';
import { freshDbUrl, onPostgres } from '../helpers/db-url.js';

// An admin (or idle_in_transaction_session_timeout / idle_session_timeout) terminates a pooled
// session; the next transaction begun on it before the driver has noticed fails its BEGIN, and knex
// hands the transaction out anyway: its first statement throws "Transaction query already complete",
// which the run's writes do not take for a lost connection, so the run ends FAILED
// ("recording the listing failed: DriverException: Transaction query already complete").
describe.runIf(onPostgres)('a transaction begun on a session the server just terminated', () => {
  it('is waited out and retried like any lost connection', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-killed-'));
    const dbUrl = await freshDbUrl(dir);
    await (await initOrm(dbUrl)).close();
    // One pooled connection, so the next transaction gets the terminated session.
    const orm = await initOrm(dbUrl, { pool: { min: 1, max: 1 } });
    const admin = new pg.Client({ connectionString: dbUrl });
    admin.on('error', () => {});
    await admin.connect();
    try {
      await orm.em.getConnection().execute('select 1');
      const killed = admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      const result = whileDatabaseDown(() => inPlainTransaction(orm, (em) => em.getConnection().execute('select 2 as two', [], 'all', em.getTransactionContext())), { maxWaitMs: 10_000 });
      await killed;
      await expect(result).resolves.toEqual([{ two: 2 }]);
    } finally {
      await admin.end();
      await orm.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
