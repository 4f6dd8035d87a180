import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { WebhookDelivery } from './webhook-delivery.entity.js';

/** One POST of a delivery: what the receiver answered (or why there was no answer). */
export class WebhookAttempt {
  [OptionalProps]?: 'statusCode' | 'error';

  id!: number;
  deliveryId!: string;
  /** 1 for the first attempt. */
  attempt!: number;
  statusCode: number | null = null;
  error: string | null = null;
  durationMs!: number;
  attemptedAt!: Date;

  constructor(init: Pick<WebhookAttempt, 'deliveryId' | 'attempt' | 'durationMs' | 'attemptedAt'> & Partial<WebhookAttempt>) {
    Object.assign(this, init);
  }
}

export const WebhookAttemptSchema = new EntitySchema<WebhookAttempt>({
  class: WebhookAttempt,
  tableName: 'webhook_attempts',
  indexes: [{ properties: ['deliveryId', 'attempt'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    deliveryId: { kind: 'm:1', entity: () => WebhookDelivery, mapToPk: true, fieldName: 'delivery_id', deleteRule: 'cascade' },
    attempt: { type: 'integer' },
    statusCode: { type: 'integer', nullable: true },
    error: { type: 'text', nullable: true },
    durationMs: { type: 'integer' },
    attemptedAt: { type: 'datetime' },
  },
});
