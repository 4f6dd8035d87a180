import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookDelivery } from '../../src/db/entities/webhook-delivery.entity.js';
import { createDeliveryLoop } from '../../src/notify/delivery-loop.js';
import { gql, http } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { FAST, pausedJob } from './fast-webhooks.js';

/** A paused job with a webhook to `url`, and `count` of its deliveries due now. */
async function jobWithDueDeliveries(app: TestApp, url: string, count: number): Promise<string> {
  const jobId = await pausedJob(app, [{ url }]);
  const em = app.orm.em.fork();
  const now = new Date();
  for (let i = 0; i < count; i++) {
    em.persist(new WebhookDelivery({ id: randomUUID(), jobId, url, event: 'RUN_FAILED', body: `{"n":${i}}`, nextAttemptAt: now }));
  }
  await em.flush();
  return jobId;
}

describe('delivery claims', () => {
  it('two delivery loops on one database never send the same attempt', async () => {
    await using receiver = await startWebhookReceiver();
    // The app's own loop polls rarely; two more loops share its database and race for the rows.
    await using app = await startTestApp({ env: FAST, build: { webhookPollMs: 60_000 } });
    const jobId = await jobWithDueDeliveries(app, receiver.url, 20);

    const loops = [0, 1].map(() => createDeliveryLoop({ orm: app.orm, config: app.config.webhooks, logger: app.app.logger }));
    try {
      await waitFor(async () => {
        await Promise.all(loops.map((loop) => loop.poll()));
        return receiver.received.length >= 20;
      }, 10_000, 'twenty deliveries');
      await Promise.all(loops.map((loop) => loop.poll()));
    } finally {
      await Promise.all(loops.map((loop) => loop.stop()));
    }
    const ids = receiver.received.map((r) => r.headers['x-dss-delivery']);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(await app.orm.em.fork().count(WebhookDelivery, { jobId, status: 'DELIVERED', attempts: 1 })).toBe(20);

    // Both listings page through all twenty, newest first, without repeats.
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads the response shape directly
      const response: { body: any } = await gql(app, `query($id: ID!, $after: String) { job(id: $id) { webhookDeliveries(first: 7, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id createdAt } } } } }`, { id: jobId, after });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const page: any = response.body.data.job.webhookDeliveries;
      expect(page.totalCount).toBe(20);
      seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(20);
    expect(new Set(seen)).toEqual(new Set(ids));
    const offsetPage = await http(app, 'GET', `/api/v1/jobs/${jobId}/deliveries?limit=5&offset=5`);
    expect(offsetPage.body).toMatchObject({ total_deliveries: 20, limit: 5, offset: 5 });
    expect(offsetPage.body.deliveries.map((d: { delivery_id: string }) => d.delivery_id)).toEqual(seen.slice(5, 10));
  });

  it('a finished attempt starts the next due one to its origin, without waiting for the next poll', async () => {
    await using receiver = await startWebhookReceiver();
    // One poll in the test's time: whatever goes out after it went out because attempts ended.
    await using app = await startTestApp({ env: FAST, build: { webhookPollMs: 60_000 } });
    const due = 30;
    const jobId = await jobWithDueDeliveries(app, receiver.url, due);

    await app.app.webhooks.poll();
    // Before: 2 (one origin's slots), then nothing until the next poll a minute later.
    await waitFor(() => receiver.received.length === due, 10_000, `${due} deliveries after one poll`);
    await waitFor(async () => (await app.orm.em.fork().count(WebhookDelivery, { jobId, status: 'DELIVERED' })) === due, 10_000, 'every delivery recorded');
    expect(new Set(receiver.received.map((r) => r.headers['x-dss-delivery'])).size).toBe(due);
  });
});
