import type { JobWebhook } from '../../db/entities/webhook-statuses.js';
import { DELIVERY_STATUSES } from '../../db/entities/webhook-statuses.js';
import type { WebhookAttempt } from '../../db/entities/webhook-attempt.entity.js';
import type { DeliveryView } from '../../services/delivery-service.js';
import { builder } from '../builder.js';
import { connectionComplexity, toConnection } from './connection.js';
import { JobType } from './job.js';
import { DateTime } from './scalars.js';
import { WebhookEvent } from './webhook-input.js';

export const DeliveryStatus = builder.enumType('DeliveryStatus', {
  values: DELIVERY_STATUSES,
  description: 'PENDING: waiting for its next attempt; DELIVERED: answered 2xx; FAILED: every attempt used up',
});

export const WebhookType = builder.objectRef<JobWebhook>('Webhook').implement({
  fields: (t) => ({
    url: t.exposeString('url'),
    events: t.expose('events', { type: [WebhookEvent] }),
  }),
});

export const WebhookAttemptType = builder.objectRef<WebhookAttempt>('WebhookAttempt').implement({
  description: 'One POST of a delivery',
  fields: (t) => ({
    attempt: t.exposeInt('attempt', { description: '1 for the first attempt' }),
    attemptedAt: t.expose('attemptedAt', { type: DateTime }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: "The receiver's HTTP status; null when it did not answer" }),
    error: t.exposeString('error', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
  }),
});

export const WebhookDeliveryType = builder.objectRef<DeliveryView>('WebhookDelivery').implement({
  description: 'One event sent to one webhook URL, retried with backoff up to 5 attempts',
  fields: (t) => ({
    id: t.id({ description: 'The X-DSS-Delivery header of every attempt', resolve: ({ delivery }) => delivery.id }),
    event: t.field({ type: WebhookEvent, resolve: ({ delivery }) => delivery.event }),
    url: t.string({ resolve: ({ delivery }) => delivery.url }),
    runId: t.id({ nullable: true, resolve: ({ delivery }) => delivery.runId }),
    status: t.field({ type: DeliveryStatus, resolve: ({ delivery }) => delivery.status }),
    attemptCount: t.int({ resolve: ({ delivery }) => delivery.attempts }),
    nextAttemptAt: t.field({
      type: DateTime,
      nullable: true,
      description: 'When the next attempt is due; null once DELIVERED or FAILED',
      resolve: ({ delivery }) => (delivery.status === 'PENDING' ? delivery.nextAttemptAt : null),
    }),
    lastStatusCode: t.int({ nullable: true, resolve: ({ delivery }) => delivery.lastStatusCode }),
    lastError: t.string({ nullable: true, resolve: ({ delivery }) => delivery.lastError }),
    deliveredAt: t.field({ type: DateTime, nullable: true, resolve: ({ delivery }) => delivery.deliveredAt }),
    createdAt: t.field({ type: DateTime, resolve: ({ delivery }) => delivery.createdAt }),
    updatedAt: t.field({ type: DateTime, resolve: ({ delivery }) => delivery.updatedAt }),
    attempts: t.field({ type: [WebhookAttemptType], description: 'Every attempt, oldest first', resolve: ({ attempts }) => attempts }),
    body: t.string({ description: 'The JSON body sent (and signed)', resolve: ({ delivery }) => delivery.body }),
  }),
});

export const WebhookDeliveryConnection = builder.connectionObject({ type: WebhookDeliveryType, name: 'WebhookDeliveryConnection' });

builder.objectFields(JobType, (t) => ({
  webhooks: t.field({
    type: [WebhookType],
    description: 'Where run outcomes are POSTed',
    resolve: (job) => job.webhooks,
  }),
  webhookDeliveries: t.field({
    type: WebhookDeliveryConnection,
    description: "The job's webhook deliveries, newest first, with every attempt",
    args: { first: t.arg.int(), after: t.arg.string() },
    complexity: connectionComplexity,
    resolve: async (job, page, ctx) => toConnection(await ctx.services.deliveries.list(job.id, page)),
  }),
}));
