import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookDelivery } from '../../src/db/entities/webhook-delivery.entity.js';
import { gql } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startWebhookReceiver, type Answer, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { FAST, pausedJob } from './fast-webhooks.js';

/** One second: the schedule's first step is 1–1.1 s and its largest (the cap on Retry-After) 8 s. */
const ENV = { ...FAST, WEBHOOK_RETRY_BASE: '1' };
const SCHEDULE_FIRST_STEP = { min: 1_000, max: 1_100 };
const CAP_MS = 8_000;

const DELIVERY = `query($id: ID!) { job(id: $id) { webhookDeliveries(first: 1) { edges { node {
  status attemptCount nextAttemptAt attempts { attempt statusCode attemptedAt } } } } } }`;

interface ListedDelivery {
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  attempts: Array<{ attempt: number; statusCode: number | null; attemptedAt: string }>;
}

async function listedDelivery(app: TestApp, jobId: string): Promise<ListedDelivery> {
  const { body } = await gql<{ job: { webhookDeliveries: { edges: Array<{ node: ListedDelivery }> } } }, unknown>(app, DELIVERY, { id: jobId });
  expect(body.errors).toBeUndefined();
  return body.data!.job.webhookDeliveries.edges[0]!.node;
}

/** A paused job with a webhook to `url` and one of its deliveries due now. */
async function dueDelivery(app: TestApp, url: string): Promise<string> {
  const jobId = await pausedJob(app, [{ url }]);
  await app.orm.em.fork().persistAndFlush(new WebhookDelivery({ id: randomUUID(), jobId, url, event: 'RUN_FAILED', body: '{}', nextAttemptAt: new Date() }));
  return jobId;
}

/** One app and receiver for the cases that read the stored wait (an app per case would start the database each time). */
let shared: { app: TestApp; receiver: WebhookReceiver } | undefined;

beforeAll(async () => {
  const receiver = await startWebhookReceiver();
  // The loop polls only when told: each case's one attempt is the listed one.
  const app = await startTestApp({ env: ENV, build: { webhookPollMs: 60_000 } });
  shared = { app, receiver };
});

afterAll(async () => {
  await shared?.app[Symbol.asyncDispose]();
  await shared?.receiver.stop();
});

/** The wait, as listed, between a first failed attempt answered `answer` and the second. */
async function waitAfter(answer: Answer | (() => Answer)): Promise<number> {
  const { app, receiver } = shared!;
  const jobId = await dueDelivery(app, receiver.url);
  const receivedBefore = receiver.received.length;
  receiver.answers.push(typeof answer === 'function' ? answer() : answer);
  await app.app.webhooks.poll();
  const delivery = await listedDelivery(app, jobId);
  expect(delivery).toMatchObject({ status: 'PENDING', attemptCount: 1 });
  expect(receiver.received).toHaveLength(receivedBefore + 1);
  // Never due again: a later case's poll sends its own delivery only.
  await app.orm.em.fork().nativeDelete(WebhookDelivery, { jobId });
  return Date.parse(delivery.nextAttemptAt!) - Date.parse(delivery.attempts[0]!.attemptedAt);
}

const retryAfter = (status: number, value: string): Answer => ({ status, headers: { 'retry-after': value } });

describe('Retry-After of a 429 or 503 answer', () => {
  it('503 with Retry-After: 2: the next attempt is not sent before 2 s after the answer', async () => {
    await using receiver = await startWebhookReceiver([retryAfter(503, '2')], 200);
    await using app = await startTestApp({ env: ENV, build: { webhookPollMs: 10 } });
    const jobId = await dueDelivery(app, receiver.url);
    const delivered = await waitFor(async () => {
      const delivery = await listedDelivery(app, jobId);
      return delivery.status === 'DELIVERED' ? delivery : null;
    }, 10_000, 'the second attempt');
    expect(delivered.attempts.map((a) => a.statusCode)).toEqual([503, 200]);
    // Not the schedule's 1–1.1 s. The answer came after the first request arrived, and the
    // second attempt is due 2 s after the answer was recorded; a little slack for a remeasured database clock.
    const [first, second] = receiver.received;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(2_000 - 50);
    expect(Date.parse(delivered.attempts[1]!.attemptedAt) - Date.parse(delivered.attempts[0]!.attemptedAt)).toBeGreaterThanOrEqual(2_000 - 50);
  });

  it('seconds: the stored next attempt is that many seconds after the answer (503 and 429)', async () => {
    expect(await waitAfter(retryAfter(503, '3'))).toBe(3_000);
    expect(await waitAfter(retryAfter(429, '4'))).toBe(4_000);
  });

  it('an HTTP-date: the stored next attempt is at that time', async () => {
    // An HTTP-date has whole seconds: 5 s from now is 4–5 s from the answer.
    const wait = await waitAfter(() => retryAfter(503, new Date(Date.now() + 5_000).toUTCString()));
    expect(wait).toBeGreaterThan(3_500);
    expect(wait).toBeLessThanOrEqual(5_000);
  });

  it('a huge value is capped at the schedule’s largest step (WEBHOOK_RETRY_BASE × 8)', async () => {
    expect(await waitAfter(retryAfter(503, '86400'))).toBe(CAP_MS);
    expect(await waitAfter(retryAfter(429, 'Fri, 31 Dec 9999 23:59:59 GMT'))).toBe(CAP_MS);
  });

  it.each([
    ['a value that is no delay', retryAfter(503, 'soon')],
    ['a negative delay', retryAfter(503, '-5')],
    ['a fraction', retryAfter(429, '1.5')],
    ['a date already past', retryAfter(503, 'Thu, 01 Jan 2015 00:00:00 GMT')],
    ['a 500, whose Retry-After means nothing', retryAfter(500, '5')],
  ])('%s: the retry schedule applies', async (_name, answer) => {
    const wait = await waitAfter(answer);
    expect(wait).toBeGreaterThanOrEqual(SCHEDULE_FIRST_STEP.min);
    expect(wait).toBeLessThanOrEqual(SCHEDULE_FIRST_STEP.max);
  });
});
