/** What a job's webhook can be told about. DELETES_BLOCKED: a mirror-delete run refused to remove files. */
export const WEBHOOK_EVENTS = ['RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELLED', 'DELETES_BLOCKED'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** PENDING: waiting for its next attempt; DELIVERED: a 2xx answer; FAILED: every attempt used up (or the target is refused). */
export const DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One webhook of a job, as stored in `jobs.webhooks` (JSON). */
export interface JobWebhook {
  url: string;
  events: WebhookEvent[];
}
