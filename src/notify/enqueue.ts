import { randomUUID } from 'node:crypto';
import { databaseNow } from '../db/database-clock.js';
import { whileDatabaseDown, type OutageOptions } from '../db/database-outage.js';
import type { RunStatus } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import { WebhookDelivery } from '../db/entities/webhook-delivery.entity.js';
import type { WebhookEvent } from '../db/entities/webhook-statuses.js';
import type { Orm } from '../db/orm.js';
import { inPlainTransaction } from '../db/plain-transaction.js';
import { buildRunPayload } from './webhook-payload.js';

const RUN_EVENTS: Partial<Record<RunStatus, WebhookEvent>> = {
  SUCCEEDED: 'RUN_SUCCEEDED',
  FAILED: 'RUN_FAILED',
  CANCELLED: 'RUN_CANCELLED',
};

/**
 * Stores one PENDING delivery per webhook of the run's job that listens to the run's outcome (and to
 * DELETES_BLOCKED, when mirror deletes refused), which the delivery loop sends. In one transaction
 * with them, the run's `webhooksEnqueuedAt` is set by a conditional UPDATE that comes first: a second
 * call (a retry, the sweep, another instance) finds it set, or waits for the first one's commit on
 * the row's lock, and queues nothing. A run still RUNNING gets nothing; a SKIPPED one or one of
 * `npm run sync` is only marked. Only database writes: a receiver can never slow the caller.
 * Returns the ids.
 */
export async function enqueueRunEnd(orm: Orm, runId: number): Promise<string[]> {
  return inPlainTransaction(orm, async (em) => {
    const claimed = await em.nativeUpdate(SyncRun, { id: runId, status: { $ne: 'RUNNING' }, webhooksEnqueuedAt: null }, { webhooksEnqueuedAt: databaseNow(orm) });
    if (claimed !== 1) return [];
    const run = await em.findOneOrFail(SyncRun, { id: runId });
    if (run.trigger === 'CLI') return [];
    const events: Array<{ event: WebhookEvent; error?: string }> = [];
    const outcome = RUN_EVENTS[run.status];
    if (outcome) events.push({ event: outcome });
    if (run.deletesBlocked !== null) events.push({ event: 'DELETES_BLOCKED', error: run.deletesBlocked });
    const deliveries: WebhookDelivery[] = [];
    for (const { event, error } of events) {
      const built = await buildRunPayload(em, runId, event, error);
      if (!built) continue;
      const body = JSON.stringify(built.payload);
      for (const hook of built.job.webhooks.filter((webhook) => webhook.events.includes(event))) {
        deliveries.push(new WebhookDelivery({ id: randomUUID(), jobId: built.job.id, runId, url: hook.url, event, body, nextAttemptAt: databaseNow(orm) }));
      }
    }
    if (deliveries.length) await em.insertMany(deliveries);
    return deliveries.map((delivery) => delivery.id);
  });
}

/**
 * Called by the scheduler once a run's final status is committed. Retried while the database is
 * unreachable, as the run's own final status was, up to `maxWaitMs` or until `stop` aborts; a process
 * that stops, dies or gives up first leaves the run to the delivery loop's sweep (run-end-sweep.ts).
 */
export function notifyRunFinished(orm: Orm, runId: number, outage: Pick<OutageOptions, 'maxWaitMs' | 'stop'> = {}): Promise<string[]> {
  return whileDatabaseDown(() => enqueueRunEnd(orm, runId), outage);
}
