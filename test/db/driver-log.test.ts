import { describe, expect, it, vi } from 'vitest';
import { driverMessage } from '../../src/db/driver-log.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';

const SECRET_URL = 'https://hooks.example.com/services/T0KEN-1234';

describe('the query builder’s messages', () => {
  it('lose the statement and its values knex puts in them', () => {
    expect(driverMessage(`Connection Error: Error: insert into "webhook_deliveries" ("url") values ('${SECRET_URL}') - write ECONNRESET`)).toBe(
      'Connection Error: Error: write ECONNRESET (statement not shown)',
    );
    expect(driverMessage(`update "jobs" set "name" = 'x' where "id" = 'y' - Connection terminated unexpectedly`)).toBe('Connection terminated unexpectedly (statement not shown)');
    expect(driverMessage('Connection Error: Connection ended unexpectedly')).toBe('Connection Error: Connection ended unexpectedly');
  });

  it.skipIf(!onPostgres)('about connections lost while PostgreSQL restarts go to the log, not to stdout', async () => {
    await using relay = await startRelayedPostgres();
    const { logger, lines } = captureLogs();
    const printed = vi.spyOn(console, 'log');
    try {
      await using app = await startTestApp({ logger, env: { DB_URL: relay.dbUrl } });
      expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(200);

      // The server goes down and comes back: the pool's connections are dead, and the driver says so.
      await relay.cut();
      await relay.mend();
      await waitFor(async () => {
        await http(app, 'GET', '/api/v1/scheduler/list_jobs');
        return lines.some((l) => l.msg === 'database driver');
      }, 10_000, 'a database driver line');
      expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(200);

      const driverLines = lines.filter((l) => l.msg === 'database driver');
      // Here the lost connections carry no statement; the first test covers the ones that do.
      expect(driverLines[0]).toMatchObject({ level: 40, detail: expect.stringMatching(/^Connection Error: /) });
      expect(printed.mock.calls.flat().join('\n')).not.toMatch(/Connection Error/);
    } finally {
      printed.mockRestore();
    }
  });
});
