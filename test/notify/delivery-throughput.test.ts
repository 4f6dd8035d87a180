import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookDelivery } from '../../src/db/entities/webhook-delivery.entity.js';
import { http } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { FAST } from './fast-webhooks.js';

describe('delivery throughput', () => {
  it('a finished attempt starts the next due one to its origin, without waiting for the next poll', async () => {
    await using receiver = await startWebhookReceiver();
    // One poll in the test's time: whatever goes out after it went out because attempts ended.
    await using app = await startTestApp({ env: FAST, build: { webhookPollMs: 60_000 } });
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'throughput',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'my-bucket' },
      paused: true,
      webhooks: [{ url: receiver.url }],
    });
    const jobId = created.body.job_id as string;
    const em = app.orm.em.fork();
    const due = 30;
    for (let i = 0; i < due; i++) {
      em.persist(new WebhookDelivery({ id: randomUUID(), jobId, url: receiver.url, event: 'RUN_FAILED', body: `{"n":${i}}`, nextAttemptAt: new Date() }));
    }
    await em.flush();

    await app.app.webhooks.poll();
    // Before: 2 (one origin's slots), then nothing until the next poll a minute later.
    await waitFor(() => receiver.received.length === due, 10_000, `${due} deliveries after one poll`);
    await waitFor(async () => (await app.orm.em.fork().count(WebhookDelivery, { jobId, status: 'DELIVERED' })) === due, 10_000, 'every delivery recorded');
    expect(new Set(receiver.received.map((r) => r.headers['x-dss-delivery'])).size).toBe(due);
  });
});
