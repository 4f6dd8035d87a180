// A process killed between a run's final status and the insert of its webhook deliveries: the next
// start (or any instance's delivery loop) must still send them, once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../src/db/orm.js';
import { createDeliveryLoop } from '../../src/notify/delivery-loop.js';
import { http } from '../helpers/clients.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { FAST, failedBeforeObjectsBody } from './fast-webhooks.js';

const ALL_EVENTS = ['RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELLED', 'DELETES_BLOCKED'];

async function createJob(app: TestApp, webhooks: unknown[], paused = false): Promise<string> {
  const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: 'crash',
    connector_type: 'S3',
    schedule: 'hourly',
    connector_config: { bucket_name: 'my-bucket' },
    paused,
    webhooks,
  });
  expect(created.status).toBe(200);
  return created.body.job_id as string;
}

/** Every insert into webhook_deliveries fails: the process "dies" right after the run's final status. */
async function dieBeforeDeliveries(orm: Orm): Promise<() => Promise<void>> {
  const connection = orm.em.getConnection();
  await connection.execute(
    isPostgres(orm)
      ? `create function zz_die() returns trigger language plpgsql as $$ begin raise exception 'process died'; end $$; create trigger zz_die before insert on webhook_deliveries for each row execute function zz_die()`
      : `create trigger zz_die before insert on webhook_deliveries begin select raise(abort, 'process died'); end`,
  );
  return async () => void (await connection.execute(isPostgres(orm) ? 'drop trigger zz_die on webhook_deliveries' : 'drop trigger zz_die'));
}

describe("a run's end whose webhook deliveries were never queued", () => {
  it('is queued by the next start: one POST per listening webhook, with the run as stored, and no more on later polls', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-run-end-crash-'));
    try {
      await using failures = await startWebhookReceiver();
      await using everything = await startWebhookReceiver();
      await using successes = await startWebhookReceiver();
      // A short lease: the ended run is left to its holder until it runs out.
      const env = { ...FAST, DB_URL: await freshDbUrl(dir), RUN_LEASE_TTL: '1s' };
      const first = await startTestApp({ env, build: { webhookPollMs: 60_000 } });
      const revive = await dieBeforeDeliveries(first.orm);
      // Its first run starts at once and fails (S3 is offline).
      const jobId = await createJob(first, [
        { url: failures.url, events: ['RUN_FAILED'] },
        { url: everything.url, events: ALL_EVENTS },
        { url: successes.url, events: ['RUN_SUCCEEDED'] },
      ]);
      await waitFor(() => first.errorLines.some((line) => line.includes('could not report the end of a sync run')), 10_000, 'the failed enqueue');
      const run = await first.orm.em.fork().findOneOrFail(SyncRun, { jobId });
      expect(run.status).toBe('FAILED');
      await revive();
      await first.stop();
      expect(failures.received.length + everything.received.length).toBe(0);

      await using second = await startTestApp({ env, build: { webhookPollMs: 20 } });
      await waitFor(() => failures.received.length === 1 && everything.received.length === 1, 10_000, 'the RUN_FAILED webhooks');
      const body = { ...failedBeforeObjectsBody(run, 'crash'), jobId };
      for (const hook of [failures.received[0]!, everything.received[0]!]) {
        expect(hook.headers['x-dss-event']).toBe('RUN_FAILED');
        expect(hook.json).toEqual(body);
      }
      expect(failures.received[0]!.headers['x-dss-delivery']).not.toBe(everything.received[0]!.headers['x-dss-delivery']);

      await second.app.webhooks.poll();
      await second.app.webhooks.poll();
      expect([failures.received.length, everything.received.length, successes.received.length]).toEqual([1, 1, 0]);
      const listed = await http(second, 'GET', `/api/v1/jobs/${jobId}/deliveries`);
      expect(listed.body.total_deliveries).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is queued once by instances sweeping at once; SKIPPED runs, runs of `npm run sync` and runs still held send nothing', async () => {
    await using receiver = await startWebhookReceiver();
    await using app = await startTestApp({ env: FAST, build: { webhookPollMs: 60_000 } });
    const jobId = await createJob(app, [{ url: receiver.url, events: ALL_EVENTS }], true);
    const ended = { jobId, startedAt: new Date(), finishedAt: new Date() };
    const reason = 'mirror deletes blocked: would have removed 2 of 2 local files; the source listing was empty while local files exist; nothing was removed';
    const blocked = new SyncRun({ ...ended, trigger: 'MANUAL', status: 'FAILED', error: reason, deletesBlocked: reason });
    const skipped = new SyncRun({ ...ended, trigger: 'SCHEDULE', status: 'SKIPPED', skippedCount: 1 });
    const cli = new SyncRun({ ...ended, trigger: 'CLI', status: 'SUCCEEDED' });
    const held = new SyncRun({ ...ended, trigger: 'MANUAL', status: 'CANCELLED', leaseOwner: 'another-instance', leaseExpiresAt: new Date(Date.now() + 3_600_000) });
    await app.orm.em.fork().persistAndFlush([blocked, skipped, cli, held]);

    await using other = createDeliveryLoop({ orm: app.orm, config: app.config.webhooks, logger: app.app.logger });
    await Promise.all([app.app.webhooks.poll(), other.poll()]);
    await waitFor(() => receiver.received.length >= 2, 5_000, 'the blocked run\'s webhooks');
    await Promise.all([app.app.webhooks.poll(), other.poll()]);
    const sent = () => receiver.received.map((hook) => [hook.json.runId, hook.json.event]).sort();
    expect(sent()).toEqual([
      [String(blocked.id), 'DELETES_BLOCKED'],
      [String(blocked.id), 'RUN_FAILED'],
    ]);
    expect(receiver.received.find((hook) => hook.json.event === 'DELETES_BLOCKED')!.json.error).toBe(reason);

    // The holder is gone (its lease ran out): its run's end is queued for it.
    await app.orm.em.fork().nativeUpdate(SyncRun, { id: held.id }, { leaseExpiresAt: new Date(Date.now() - 1_000) });
    await Promise.all([app.app.webhooks.poll(), other.poll()]);
    await waitFor(() => receiver.received.length >= 3, 5_000, 'the RUN_CANCELLED webhook');
    await Promise.all([app.app.webhooks.poll(), other.poll()]);
    expect(sent()).toEqual([
      [String(blocked.id), 'DELETES_BLOCKED'],
      [String(blocked.id), 'RUN_FAILED'],
      [String(held.id), 'RUN_CANCELLED'],
    ]);
  });
});
