import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { isPostgres } from '../../src/db/orm.js';
import { WebhookAttempt } from '../../src/db/entities/webhook-attempt.entity.js';
import { WebhookDelivery } from '../../src/db/entities/webhook-delivery.entity.js';
import type { DeliveryStatus } from '../../src/db/entities/webhook-statuses.js';
import { createDeliveryLoop } from '../../src/notify/delivery-loop.js';
import { notifyRunFinished } from '../../src/notify/enqueue.js';
import { webhookUrlProblem } from '../../src/notify/webhook-url.js';
import { http } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { pausedJob, SECRET } from './fast-webhooks.js';

async function addDelivery(app: TestApp, init: { jobId: string; url: string; runId?: number; status?: DeliveryStatus }): Promise<string> {
  const id = randomUUID();
  const em = app.orm.em.fork();
  await em.persistAndFlush(new WebhookDelivery({ id, event: 'RUN_FAILED', body: '{"n":1}', nextAttemptAt: new Date(), ...init }));
  return id;
}

describe('webhook deliveries: what is kept, stopped and logged', () => {
  it("are pruned with their run once they ended; one still being retried stays, and so do the kept runs' deliveries", async () => {
    await using app = await startTestApp({ env: { RUN_HISTORY_MAX: '1' }, build: { webhookPollMs: 60_000 } });
    const jobId = await pausedJob(app);
    const em = app.orm.em.fork();
    const runs = [1, 2, 3].map((i) => new SyncRun({ jobId, trigger: 'MANUAL', status: 'FAILED', startedAt: new Date(), finishedAt: new Date(Date.now() + i) }));
    await em.persistAndFlush(runs);
    const url = 'http://127.0.0.1:9/hook';
    const ended = await addDelivery(app, { jobId, url, runId: runs[0]!.id, status: 'FAILED' });
    await em.persistAndFlush(new WebhookAttempt({ deliveryId: ended, attempt: 1, durationMs: 1, attemptedAt: new Date() }));
    const retrying = await addDelivery(app, { jobId, url, runId: runs[1]!.id, status: 'PENDING' });
    const kept = await addDelivery(app, { jobId, url, runId: runs[2]!.id, status: 'DELIVERED' });

    await app.app.historyPruner.pruneOnce();
    expect((await app.orm.em.fork().find(SyncRun, { jobId })).map((run) => run.id)).toEqual([runs[2]!.id]);
    const left = await app.orm.em.fork().find(WebhookDelivery, { jobId }, { orderBy: { createdAt: 'asc' } });
    expect(left.map((delivery) => delivery.id).sort()).toEqual([retrying, kept].sort());
    expect(await app.orm.em.fork().count(WebhookAttempt, { deliveryId: ended })).toBe(0);

    // Once the retried one ends, the next pass takes it too.
    await app.orm.em.fork().nativeUpdate(WebhookDelivery, { id: retrying }, { status: 'FAILED' });
    await app.app.historyPruner.pruneOnce();
    expect((await app.orm.em.fork().find(WebhookDelivery, { jobId })).map((delivery) => delivery.id)).toEqual([kept]);
  });

  it('a webhook removed from its job gets no more attempts: its pending delivery ends FAILED, unsent', async () => {
    await using receiver = await startWebhookReceiver([], 500);
    await using app = await startTestApp({ env: { WEBHOOK_SECRET: SECRET }, build: { webhookPollMs: 60_000 } });
    const jobId = await pausedJob(app, [{ url: receiver.url }]);
    const id = await addDelivery(app, { jobId, url: receiver.url });
    await app.app.webhooks.poll();
    await waitFor(() => receiver.received.length === 1, 5_000, 'the first attempt');
    const updated = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, webhooks: [] });
    expect(updated.status).toBe(200);
    await app.orm.em.fork().nativeUpdate(WebhookDelivery, { id }, { nextAttemptAt: new Date() });
    await app.app.webhooks.poll();
    expect(receiver.received).toHaveLength(1);
    expect(await app.orm.em.fork().findOne(WebhookDelivery, { id })).toMatchObject({ status: 'FAILED', attempts: 2, lastError: 'the webhook was removed from the job' });
  });

  it('a job deleted while its attempt is in flight: no error logged, nothing recorded, nothing sent again', async () => {
    const logs = captureLogs();
    await using receiver = await startWebhookReceiver(['hang'], 200);
    await using app = await startTestApp({ env: { WEBHOOK_SECRET: SECRET }, build: { webhookPollMs: 60_000 }, logger: logs.logger });
    const jobId = await pausedJob(app, [{ url: receiver.url }]);
    const id = await addDelivery(app, { jobId, url: receiver.url });
    const loop = createDeliveryLoop({ orm: app.orm, config: { ...app.config.webhooks, timeoutMs: 1_000 }, logger: logs.logger });
    try {
      const polling = loop.poll();
      await waitFor(() => receiver.hanging === 1, 5_000, 'the attempt to hang');
      expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId })).status).toBe(200);
      await polling;
      await loop.poll();
    } finally {
      await loop.stop();
    }
    expect(logs.lines.filter((line) => Number(line.level) >= 50).map((line) => line.msg)).toEqual([]);
    expect(await app.orm.em.fork().count(WebhookAttempt, { deliveryId: id })).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it("a run's deliveries are queued once the database answers again (its first connection refused), not dropped", async () => {
    await using receiver = await startWebhookReceiver();
    await using app = await startTestApp({ build: { webhookPollMs: 60_000 } });
    const jobId = await pausedJob(app, [{ url: receiver.url }]);
    const run = new SyncRun({ jobId, trigger: 'MANUAL', status: 'FAILED' });
    await app.orm.em.fork().persistAndFlush(run);
    let refusals = 1;
    const refused = () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    const em = new Proxy(app.orm.em, { get: (target, name) => (name === 'fork' && refusals-- > 0 ? refused : Reflect.get(target, name)) });
    const flaky = new Proxy(app.orm, { get: (target, name) => (name === 'em' ? em : Reflect.get(target, name)) });
    expect(await notifyRunFinished(flaky, run.id)).toHaveLength(1);
    expect(refusals).toBeLessThan(0);
    expect(await app.orm.em.fork().count(WebhookDelivery, { runId: run.id, event: 'RUN_FAILED' })).toBe(1);
  });

  it("a database error while queueing a run's deliveries is logged without the statement (a URL's token, the body)", async () => {
    const logs = captureLogs();
    await using receiver = await startWebhookReceiver();
    await using app = await startTestApp({ env: { WEBHOOK_SECRET: SECRET }, build: { webhookPollMs: 60_000 }, logger: logs.logger });
    // Any failing insert (a busy database, a full disk, the job deleted meanwhile).
    await app.orm.em.getConnection().execute(
      isPostgres(app.orm)
        ? `create function zz_fail() returns trigger language plpgsql as $$ begin raise exception 'simulated failure'; end $$; create trigger zz_fail before insert on webhook_deliveries for each row execute function zz_fail()`
        : `create trigger zz_fail before insert on webhook_deliveries begin select raise(abort, 'simulated failure'); end`,
    );
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'leaky',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'my-bucket' },
      webhooks: [{ url: `${receiver.url}?token=TOPSECRETTOKEN` }],
    });
    expect(created.status).toBe(200);
    const line = await waitFor(() => logs.lines.find((l) => l.msg === 'could not report the end of a sync run'), 10_000, 'the log line');
    const all = logs.raw.join('');
    expect(all).not.toContain('TOPSECRETTOKEN');
    expect(all).not.toMatch(/insert into/i);
    expect((line.err as { message: string }).message).toMatch(/simulated failure.*\(statement not shown\)$/);
  });

  it("a receiver that hangs holds two of the loop's slots, not all eight: another origin's delivery goes out meanwhile", async () => {
    await using hanging = await startWebhookReceiver([], 'hang');
    await using healthy = await startWebhookReceiver();
    // Timeouts far longer than the waits below: nothing may wait for one.
    await using app = await startTestApp({ env: { WEBHOOK_TIMEOUT: '60' }, build: { webhookPollMs: 20 } });
    const noisy = await pausedJob(app, Array.from({ length: 10 }, (_, i) => ({ url: `${hanging.url}?n=${i}` })));
    const quiet = await pausedJob(app, [{ url: healthy.url }]);
    for (let i = 0; i < 10; i++) await addDelivery(app, { jobId: noisy, url: `${hanging.url}?n=${i}` });
    await waitFor(() => hanging.hanging === 2, 5_000, 'two attempts to hang');
    await addDelivery(app, { jobId: quiet, url: healthy.url });
    await waitFor(() => healthy.received.length === 1, 5_000, "the other origin's delivery");
    expect(hanging.hanging).toBe(2);
    expect(hanging.received).toHaveLength(2);
  });

  it("a hanging receiver's backlog of 60 due deliveries does not hold another origin's back: its delivery goes out on the next poll", async () => {
    await using hanging = await startWebhookReceiver([], 'hang');
    await using healthy = await startWebhookReceiver();
    await using app = await startTestApp({ env: { WEBHOOK_TIMEOUT: '60' }, build: { webhookPollMs: 20 } });
    // Six jobs of ten webhooks (a job's most) to the hanging origin, all due before the other origin's delivery.
    for (let j = 0; j < 6; j++) {
      const urls = Array.from({ length: 10 }, (_, i) => `${hanging.url}?n=${j * 10 + i}`);
      const noisy = await pausedJob(app, urls.map((url) => ({ url })));
      for (const url of urls) await addDelivery(app, { jobId: noisy, url });
    }
    const quiet = await pausedJob(app, [{ url: healthy.url }]);
    await waitFor(() => hanging.hanging === 2, 5_000, 'two attempts to hang');
    await addDelivery(app, { jobId: quiet, url: healthy.url });
    await waitFor(() => healthy.received.length === 1, 5_000, "the other origin's delivery");
    expect(hanging.received).toHaveLength(2);
  });

  it.each([
    ['[0:0:0:0:0:0:0:1]', 'http://[0:0:0:0:0:0:0:1]/h'],
    ['[::ffff:127.0.0.1]', 'http://[::ffff:127.0.0.1]/h'],
    ['127.1', 'http://127.1/h'],
    ['Hooks.Example.COM', 'https://hooks.example.com/h'],
  ])('WEBHOOK_ALLOWED_HOSTS=%s matches the URLs that name that host (%s)', (entry, url) => {
    const { allowedHosts } = loadConfig({ WEBHOOK_ALLOWED_HOSTS: entry }).webhooks;
    expect(webhookUrlProblem(url, allowedHosts)).toBeNull();
    expect(webhookUrlProblem('http://other.example.com/h', allowedHosts)).toMatch(/not in WEBHOOK_ALLOWED_HOSTS/);
  });
});
