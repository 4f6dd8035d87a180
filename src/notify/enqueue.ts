import { randomUUID } from 'node:crypto';
import type { RunStatus } from '../db/entities/statuses.js';
import { databaseNow } from '../db/database-clock.js';
import { whileDatabaseDown } from '../db/database-outage.js';
import { WebhookDelivery } from '../db/entities/webhook-delivery.entity.js';
import type { WebhookEvent } from '../db/entities/webhook-statuses.js';
import type { Orm } from '../db/orm.js';
import { buildRunPayload } from './webhook-payload.js';

const RUN_EVENTS: Partial<Record<RunStatus, WebhookEvent>> = {
  SUCCEEDED: 'RUN_SUCCEEDED',
  FAILED: 'RUN_FAILED',
  CANCELLED: 'RUN_CANCELLED',
};

/**
 * Stores one PENDING delivery per webhook of the run's job that listens to `event` (the delivery
 * loop sends them). Only database writes: a receiver can never slow the caller. Returns the ids.
 * Retried while the database is unreachable, as the run's own final status was: the run is final
 * by now, so nothing would queue these deliveries later.
 */
export function enqueueRunEvent(orm: Orm, runId: number, event: WebhookEvent, error?: string): Promise<string[]> {
  return whileDatabaseDown(() => enqueueOnce(orm, runId, event, error));
}

async function enqueueOnce(orm: Orm, runId: number, event: WebhookEvent, error?: string): Promise<string[]> {
  const em = orm.em.fork();
  const built = await buildRunPayload(em, runId, event, error);
  if (!built) return [];
  const { job, payload } = built;
  const targets = job.webhooks.filter((hook) => hook.events.includes(event));
  if (!targets.length) return [];
  const body = JSON.stringify(payload);
  const now = databaseNow(orm);
  const deliveries = targets.map(
    (hook) => new WebhookDelivery({ id: randomUUID(), jobId: job.id, runId, url: hook.url, event, body, nextAttemptAt: now }),
  );
  await em.persistAndFlush(deliveries);
  return deliveries.map((d) => d.id);
}

/** Called by the scheduler once a run's final status is committed: RUN_SUCCEEDED / RUN_FAILED / RUN_CANCELLED. */
export async function notifyRunFinished(orm: Orm, runId: number, status: RunStatus): Promise<string[]> {
  const event = RUN_EVENTS[status];
  return event ? enqueueRunEvent(orm, runId, event) : [];
}

/**
 * For mirror deletes: a run refused to remove local files (too many, or an empty listing). `reason`
 * says how many files it would have removed and why it stopped; it becomes the body's `error`.
 * Call it after the run's row is committed (the body carries the run's counters as stored).
 */
export async function notifyDeletesBlocked(orm: Orm, runId: number, reason: string): Promise<string[]> {
  return enqueueRunEvent(orm, runId, 'DELETES_BLOCKED', reason);
}
