import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** The loops that run every second or less and log their failures. */
const LOOP_FAILURES = ['scheduler tick failed', 'webhook delivery poll failed'];

/**
 * PostgreSQL: the app's database refuses connections and its open ones are cut, as in a server
 * restart; the returned function (also called when the test ends) lets it back in. SQLite: the
 * database is closed under the app (no way back).
 */
async function takeDatabaseAway(app: TestApp): Promise<(() => Promise<void>) | null> {
  if (!onPostgres) {
    await app.orm.close(true);
    return null;
  }
  const name = new URL(app.config.dbUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await admin.connect();
  await admin.query(`alter database ${name} allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
  let restored: Promise<void> | undefined;
  const restore = () =>
    (restored ??= (async () => {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
    })());
  // Also when an assertion fails first: the admin connection is closed and the app can stop cleanly.
  onTestFinished(restore);
  return restore;
}

describe('a database outage in the log', () => {
  it('each loop logs its first failure once, not once per attempt; on PostgreSQL its recovery once too', async () => {
    const { logger, lines } = captureLogs();
    // Ticks reach the database every third of the lease (here every ~333 ms), polls every 200 ms.
    await using app = await startTestApp({ logger, env: { RUN_LEASE_TTL: '1s' }, build: { webhookPollMs: 200 } });
    const errorsOf = (msg: string) => lines.filter((l) => Number(l.level) >= 50 && l.msg === msg);

    const restore = await takeDatabaseAway(app);
    await waitFor(() => LOOP_FAILURES.every((msg) => errorsOf(msg).length > 0));
    // Both loops try again several times meanwhile.
    await delay(2_500);
    for (const msg of LOOP_FAILURES) expect(errorsOf(msg), msg).toHaveLength(1);
    expect(errorsOf('scheduler tick failed')[0]).toMatchObject({ err: { message: expect.any(String) } });

    if (restore) {
      await restore();
      const recovered = ['scheduler ticks succeed again', 'webhook delivery polls succeed again'];
      await waitFor(() => recovered.every((msg) => lines.some((l) => l.msg === msg)));
      for (const msg of recovered) {
        const [line, ...more] = lines.filter((l) => l.msg === msg);
        expect(more, msg).toEqual([]);
        expect(line, msg).toMatchObject({ level: 30 });
        expect(line?.failures, msg).toBeGreaterThan(2);
      }
      for (const msg of LOOP_FAILURES) expect(errorsOf(msg), msg).toHaveLength(1);
    }
  });
});
