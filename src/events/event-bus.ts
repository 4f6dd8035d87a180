import { createPubSub } from 'graphql-yoga';
import type { SyncProgressEvent } from './progress-event.js';

/**
 * The only link between the sync engine and its observers (subscriptions, metrics, tests).
 * Publishing is synchronous and never waits on a subscriber. To run several instances,
 * pass a distributed `eventTarget` (e.g. @graphql-yoga/redis-event-target) here; no caller changes.
 */
export function createEventBus(options: { eventTarget?: EventTarget } = {}) {
  const pubsub = createPubSub<{
    syncProgress: [jobId: string, event: SyncProgressEvent];
    syncProgressAll: [event: SyncProgressEvent];
  }>(options.eventTarget ? { eventTarget: options.eventTarget as never } : undefined);

  return {
    publish(event: SyncProgressEvent): void {
      pubsub.publish('syncProgress', event.jobId, event);
      pubsub.publish('syncProgressAll', event);
    },
    /** Events of one job, or of every job when `jobId` is undefined. */
    subscribe(jobId?: string): AsyncIterable<SyncProgressEvent> {
      return jobId === undefined ? pubsub.subscribe('syncProgressAll') : pubsub.subscribe('syncProgress', jobId);
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
