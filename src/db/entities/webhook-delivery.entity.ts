import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { Job } from './job.entity.js';
import type { DeliveryStatus, WebhookEvent } from './webhook-statuses.js';

/**
 * One event to POST to one webhook URL. The row is the queue: the delivery loop claims due rows,
 * so deliveries survive restarts, and its id is the `X-DSS-Delivery` header of every attempt.
 */
export class WebhookDelivery {
  [OptionalProps]?: 'runId' | 'status' | 'attempts' | 'lastStatusCode' | 'lastError' | 'deliveredAt' | 'createdAt' | 'updatedAt';

  id!: string;
  jobId!: string;
  runId: number | null = null;
  url!: string;
  event!: WebhookEvent;
  /** The exact JSON text sent (and signed) on every attempt. */
  body!: string;
  status: DeliveryStatus = 'PENDING';
  /** Attempts made so far. */
  attempts = 0;
  /** When the next attempt is due; while an attempt is in flight, the end of its claim. */
  nextAttemptAt!: Date;
  lastStatusCode: number | null = null;
  lastError: string | null = null;
  deliveredAt: Date | null = null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();

  constructor(init: Pick<WebhookDelivery, 'id' | 'jobId' | 'url' | 'event' | 'body' | 'nextAttemptAt'> & Partial<WebhookDelivery>) {
    Object.assign(this, init);
  }
}

export const WebhookDeliverySchema = new EntitySchema<WebhookDelivery>({
  class: WebhookDelivery,
  tableName: 'webhook_deliveries',
  indexes: [{ properties: ['status', 'nextAttemptAt'] }, { properties: ['jobId', 'createdAt'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    jobId: { kind: 'm:1', entity: () => Job, mapToPk: true, fieldName: 'job_id', deleteRule: 'cascade' },
    runId: { type: 'integer', nullable: true },
    url: { type: 'text' },
    event: { type: 'string', length: 32 },
    body: { type: 'text' },
    status: { type: 'string', length: 16 },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'datetime' },
    lastStatusCode: { type: 'integer', nullable: true },
    lastError: { type: 'text', nullable: true },
    deliveredAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
  },
});
