import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { notifyRunFinished } from '../../src/notify/enqueue.js';
import { gql, http } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startWebhookReceiver, type ReceivedWebhook } from '../helpers/webhook-receiver.js';
import { FAST, failedBeforeObjectsBody, SECRET } from './fast-webhooks.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const build = { webhookPollMs: 10 };

const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { id webhooks { url events } } } }`;
const DELIVERIES = `query($id: ID!) { job(id: $id) { webhookDeliveries(first: 10) { totalCount edges { node {
  id event url runId status attemptCount lastStatusCode lastError deliveredAt nextAttemptAt
  attempts { attempt statusCode error durationMs attemptedAt } } } } } }`;

const jobInput = (webhooks: unknown) => ({
  name: 'nightly',
  connectorType: 'S3',
  schedule: 'hourly',
  connectorConfig: { bucketName: 'my-bucket', prefix: 'data/' },
  webhooks,
});

/** Creates a job (its first run starts at once and fails: S3 is offline) and returns its id. */
async function createJob(app: TestApp, webhooks: unknown): Promise<string> {
  const { body } = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, { input: jobInput(webhooks) });
  expect(body.errors).toBeUndefined();
  return body.data!.createJob.job.id;
}

/** The receiver's own check, written from the README's recipe: HMAC-SHA256 of the raw body, hex. */
function signatureIsValid(hook: ReceivedWebhook, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`);
  const given = Buffer.from(String(hook.headers['x-dss-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The README's check of `X-DSS-Signature-V2`: HMAC-SHA256 of `<X-DSS-Timestamp>.<X-DSS-Delivery>.<raw body>`,
 * and a timestamp within five minutes of the receiver's clock.
 */
function deliverySignatureIsValid(headers: Record<string, string | string[] | undefined>, body: string, secret: string, nowSeconds = Date.now() / 1000): boolean {
  const timestamp = Number(headers['x-dss-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > 300) return false;
  const signed = `${timestamp}.${String(headers['x-dss-delivery'])}.${body}`;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(signed).digest('hex')}`);
  const given = Buffer.from(String(headers['x-dss-signature-v2'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function deliveries(app: TestApp, jobId: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads the response shape directly
  const { body } = await gql<any, unknown>(app, DELIVERIES, { id: jobId });
  expect(body.errors).toBeUndefined();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return body.data.job.webhookDeliveries.edges.map((e: any) => e.node);
}

describe('webhook deliveries', () => {
  describe('one app for the tests with WEBHOOK_SECRET and fast retries (each its own job and receivers)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ env: FAST, build });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('POSTs the contract body, signed with WEBHOOK_SECRET, when a run fails', async () => {
      await using receiver = await startWebhookReceiver();
      const jobId = await createJob(app, [{ url: receiver.url }]);

      await waitFor(() => receiver.received.length === 1, 10_000, 'the RUN_FAILED webhook');
      const [hook] = receiver.received;
      expect(signatureIsValid(hook!, SECRET)).toBe(true);
      expect(signatureIsValid(hook!, 'another-secret-0123456')).toBe(false);
      expect(hook!.headers['content-type']).toBe('application/json');
      expect(hook!.headers['x-dss-event']).toBe('RUN_FAILED');
      expect(hook!.headers['x-dss-delivery']).toMatch(UUID);
      // The timestamped signature binds the delivery id and the time: a replay under another id, or too late, does not verify.
      expect(deliverySignatureIsValid(hook!.headers, hook!.body, SECRET)).toBe(true);
      expect(deliverySignatureIsValid({ ...hook!.headers, 'x-dss-delivery': randomUUID() }, hook!.body, SECRET)).toBe(false);
      expect(deliverySignatureIsValid(hook!.headers, hook!.body, SECRET, Date.now() / 1000 + 600)).toBe(false);
      expect(deliverySignatureIsValid(hook!.headers, hook!.body, 'another-secret-0123456')).toBe(false);

      const run = await app.orm.em.fork().findOneOrFail(SyncRun, { jobId }, { orderBy: { id: 'desc' } });
      expect(hook!.json).toEqual({ ...failedBeforeObjectsBody(run, 'nightly'), jobId });
      expect(run.error).toBeTruthy();

      const [delivery] = await waitFor(async () => {
        const list = await deliveries(app, jobId);
        return list[0]?.status === 'DELIVERED' ? list : null;
      });
      expect(delivery).toMatchObject({
        id: hook!.headers['x-dss-delivery'],
        event: 'RUN_FAILED',
        url: receiver.url,
        runId: String(run.id),
        attemptCount: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        attempts: [{ attempt: 1, statusCode: 200, error: null }],
      });
    });

    it('sends only the events a webhook asked for (default RUN_FAILED)', async () => {
      await using failures = await startWebhookReceiver();
      await using successes = await startWebhookReceiver();
      const jobId = await createJob(app, [{ url: failures.url }, { url: successes.url, events: ['RUN_SUCCEEDED', 'RUN_CANCELLED'] }]);
      const { body } = await gql<{ job: { webhooks: unknown } }, unknown>(app, `query($id: ID!) { job(id: $id) { webhooks { url events } } }`, { id: jobId });
      expect(body.data?.job.webhooks).toEqual([
        { url: failures.url, events: ['RUN_FAILED'] },
        { url: successes.url, events: ['RUN_SUCCEEDED', 'RUN_CANCELLED'] },
      ]);
      await waitFor(() => failures.received.length === 1, 10_000, 'the RUN_FAILED webhook');
      await app.app.webhooks.poll();
      expect(successes.received).toHaveLength(0);
      expect((await deliveries(app, jobId)).map((d: { url: string }) => d.url)).toEqual([failures.url]);
    });

    it('retries after 500s with the same delivery id and lists every attempt', async () => {
      await using receiver = await startWebhookReceiver([500, 503], 200);
      const jobId = await createJob(app, [{ url: receiver.url, events: ['RUN_FAILED'] }]);

      await waitFor(() => receiver.received.length === 3, 10_000, 'three attempts');
      const ids = new Set(receiver.received.map((r) => r.headers['x-dss-delivery']));
      expect(ids.size).toBe(1);
      expect(receiver.received.map((r) => r.headers['x-dss-attempt'])).toEqual(['1', '2', '3']);
      expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
      expect(receiver.received.every((r) => signatureIsValid(r, SECRET))).toBe(true);

      const rest = await waitFor(async () => {
        const res = await http(app, 'GET', `/api/v1/jobs/${jobId}/deliveries`);
        return res.body.deliveries?.[0]?.status === 'DELIVERED' ? res : null;
      });
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({ total_deliveries: 1, limit: 100, offset: 0 });
      const [delivery] = rest.body.deliveries;
      expect(delivery).toMatchObject({
        delivery_id: [...ids][0],
        job_id: jobId,
        event: 'RUN_FAILED',
        status: 'DELIVERED',
        attempt_count: 3,
        last_status_code: 200,
        next_attempt_at: null,
      });
      expect(delivery.attempts.map((a: { status_code: number; error: string | null }) => [a.status_code, a.error])).toEqual([
        [500, 'HTTP 500'],
        [503, 'HTTP 503'],
        [200, null],
      ]);
      // Receiver down for good: unchanged.
      expect(receiver.received).toHaveLength(3);
    });

    it('gives up after 5 attempts and records each', async () => {
      await using receiver = await startWebhookReceiver([], 500);
      const jobId = await createJob(app, [{ url: receiver.url }]);

      const [delivery] = await waitFor(async () => {
        const list = await deliveries(app, jobId);
        return list[0]?.status === 'FAILED' ? list : null;
      }, 15_000);
      expect(delivery.attemptCount).toBe(5);
      expect(delivery.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
      await app.app.webhooks.poll();
      expect(receiver.received).toHaveLength(5);
    });

  });

  it('a hanging receiver holds neither the runs nor the API', async () => {
    await using receiver = await startWebhookReceiver([], 'hang');
    await using app = await startTestApp({ env: { ...FAST, WEBHOOK_TIMEOUT: '60' }, build });
    const jobId = await createJob(app, [{ url: receiver.url }]);
    await waitFor(() => receiver.hanging === 1, 10_000, 'the receiver to hold the first delivery');

    // While the receiver holds the POST, another run starts and ends, and the API answers.
    const trigger = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId });
    expect(trigger.status).toBe(200);
    const secondRunId = trigger.body.run.run_id as number;
    await waitFor(async () => (await app.orm.em.fork().findOne(SyncRun, { id: secondRunId }))?.finishedAt, 10_000, 'the second run to end');
    const listed = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${jobId}`);
    expect(listed.status).toBe(200);
    expect(receiver.hanging).toBeGreaterThanOrEqual(1);

    // Stopping does not wait for the receiver: the attempt in flight is aborted (the row stays due).
    await app.stop();
    await waitFor(() => receiver.hanging === 0, 5_000, 'the held request to be aborted');
  });

  it('records a timeout as a failed attempt and retries', async () => {
    await using receiver = await startWebhookReceiver(['hang'], 204);
    // One second: short for the test, long enough that a busy machine does not time out the 204 too.
    await using app = await startTestApp({ env: { ...FAST, WEBHOOK_TIMEOUT: '1' }, build });
    const jobId = await createJob(app, [{ url: receiver.url }]);
    const [delivery] = await waitFor(async () => {
      const list = await deliveries(app, jobId);
      return list[0] && list[0].status !== 'PENDING' ? list : null;
    }, 15_000);
    expect(delivery.status).toBe('DELIVERED');
    expect(delivery.attempts[0]).toMatchObject({ attempt: 1, statusCode: null, error: 'no answer within 1 s' });
    expect(delivery.attempts.at(-1)).toMatchObject({ statusCode: 204, error: null });
  });

  it('a restart in the middle of retries still delivers, with the same delivery id', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'dss-webhook-restart-'));
    try {
      await using receiver = await startWebhookReceiver([], 500);
      // Half a second before the first retry: the first app is stopped while the delivery waits for it.
      const env = {
        ...FAST,
        WEBHOOK_RETRY_BASE: '0.5',
        DB_URL: `sqlite:${join(shared, 'scheduler.db')}`,
        DOWNLOAD_ROOT_FOLDER: join(shared, 'downloads'),
      };
      const first = await startTestApp({ env, build });
      const jobId = await createJob(first, [{ url: receiver.url }]);
      await waitFor(async () => (await deliveries(first, jobId))[0]?.attemptCount === 1, 10_000, 'the first attempt');
      await first.stop();
      // Usually one attempt; a slow machine may have made a second before the stop.
      const before = receiver.received.length;
      expect(before).toBeGreaterThanOrEqual(1);

      receiver.fallback = 200;
      await using second = await startTestApp({ env, build });
      const [delivery] = await waitFor(async () => {
        const list = await deliveries(second, jobId);
        return list[0]?.status === 'DELIVERED' ? list : null;
      }, 10_000);
      expect(receiver.received.map((r) => r.headers['x-dss-delivery'])).toEqual(Array(before + 1).fill(delivery.id));
      expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([...Array(before).fill(500), 200]);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('sends unsigned deliveries when WEBHOOK_SECRET is not set', async () => {
    await using receiver = await startWebhookReceiver();
    await using app = await startTestApp({ env: { WEBHOOK_RETRY_BASE: '0.02' }, build });
    await createJob(app, [{ url: receiver.url }]);
    await waitFor(() => receiver.received.length === 1, 10_000, 'the webhook');
    expect(receiver.received[0]!.headers['x-dss-signature']).toBeUndefined();
    expect(receiver.received[0]!.headers['x-dss-signature-v2']).toBeUndefined();
    expect(receiver.received[0]!.headers['x-dss-delivery']).toMatch(UUID);
  });
});

describe('WEBHOOK_SECRET', () => {
  it('is never logged; without it, start-up warns that deliveries go unsigned', async () => {
    const withSecret = captureLogs();
    await using receiver = await startWebhookReceiver();
    const app = await startTestApp({ env: FAST, build, logger: withSecret.logger });
    await createJob(app, [{ url: receiver.url }]);
    await waitFor(() => withSecret.lines.some((l) => l.msg === 'webhook delivered'), 10_000, 'the delivery to be logged');
    await app.stop();
    expect(withSecret.raw.join('')).not.toContain(SECRET);
    expect(withSecret.lines.some((l) => String(l.msg).includes('WEBHOOK_SECRET'))).toBe(false);

    const without = captureLogs();
    const unsigned = await startTestApp({ logger: without.logger });
    await unsigned.stop();
    expect(without.lines.find((l) => String(l.msg).startsWith('WEBHOOK_SECRET is not set'))).toMatchObject({ level: 40 });
  });
});

describe('DELETES_BLOCKED', () => {
  it("a run whose mirror deletes were refused sends the refusal as its error, only to webhooks that asked", async () => {
    await using receiver = await startWebhookReceiver();
    await using other = await startWebhookReceiver();
    await using app = await startTestApp({ env: FAST, build });
    const jobId = await createJob(app, [
      { url: receiver.url, events: ['DELETES_BLOCKED'] },
      { url: other.url, events: ['RUN_SUCCEEDED'] },
    ]);
    const reason = 'mirror deletes blocked: would have removed 7 of 10 local files; that is 70% of them, over maxDeletePercent (50%); nothing was removed';
    const run = new SyncRun({ jobId, trigger: 'MANUAL', status: 'FAILED', startedAt: new Date(), finishedAt: new Date(), error: reason, deletesBlocked: reason });
    await app.orm.em.fork().persistAndFlush(run);
    const ids = await notifyRunFinished(app.orm, run.id);
    await waitFor(() => receiver.received.length === 1, 10_000, 'the DELETES_BLOCKED webhook');
    // Queued here, or first by the delivery loop's sweep: either way once.
    expect(ids.length).toBeLessThanOrEqual(1);
    expect(receiver.received[0]!.json).toMatchObject({ event: 'DELETES_BLOCKED', jobId, runId: String(run.id), error: reason });
    await app.app.webhooks.poll();
    expect(receiver.received).toHaveLength(1);
    expect(other.received).toHaveLength(0);
  });
});
