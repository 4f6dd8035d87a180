import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';

/** The loops that run every second or less and log their failures. */
const LOOP_FAILURES = ['scheduler tick failed', 'webhook delivery poll failed'];

describe('a database outage in the log', () => {
  it('each loop logs its first failure once, not once per attempt; on PostgreSQL its recovery once too', async () => {
    const { logger, lines } = captureLogs();
    await using relay = onPostgres ? await startRelayedPostgres() : null;
    // Ticks reach the database every third of the lease (here every ~333 ms), polls every 200 ms.
    const env = { RUN_LEASE_TTL: '1s', ...(relay ? { DB_URL: relay.dbUrl } : {}) };
    await using app = await startTestApp({ logger, env, build: { webhookPollMs: 200 } });
    const errorsOf = (msg: string) => lines.filter((l) => Number(l.level) >= 50 && l.msg === msg);

    // PostgreSQL goes down (its connections reset, new ones refused); SQLite's file is closed under
    // the app (no way back).
    if (relay) await relay.cut();
    else await app.orm.close(true);
    await waitFor(() => LOOP_FAILURES.every((msg) => errorsOf(msg).length > 0));
    // Both loops try again several times meanwhile.
    await delay(2_500);
    for (const msg of LOOP_FAILURES) expect(errorsOf(msg), msg).toHaveLength(1);
    expect(errorsOf('scheduler tick failed')[0]).toMatchObject({ err: { message: expect.any(String) } });

    if (relay) {
      await relay.mend();
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
