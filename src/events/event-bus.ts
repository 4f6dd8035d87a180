import { setMaxListeners } from 'node:events';
import { ProgressQueue } from './bounded-queue.js';
import type { SyncProgressEvent } from './progress-event.js';

const ALL_JOBS_TOPIC = 'syncProgressAll';
/** Sent on a job's topic only (never to every-job subscribers or metrics): its subscriptions complete. */
const JOB_DELETED = 'JOB_DELETED';
const jobTopic = (jobId: string) => `syncProgress:${jobId}`;

/** Queued events per subscriber before CHUNK events are coalesced. */
export const DEFAULT_SUBSCRIBER_CAPACITY = 256;

/**
 * The only link between the sync engine and its observers (subscriptions, metrics, tests).
 * Events travel as `CustomEvent`s with the payload in `detail`, the same shape as graphql-yoga's
 * createPubSub, so a distributed target (e.g. @graphql-yoga/redis-event-target) can be passed as
 * `eventTarget` to run several instances; no caller changes. Subscriptions (`subscribe`) then get
 * every instance's events, while in-process observers (`on`: metrics) get only this process's,
 * so each instance's counters stay its own and summing them does not count an object once per
 * instance. Publishing is synchronous and never waits on a subscriber: each subscriber reads from
 * its own bounded queue.
 */
export function createEventBus(
  options: { eventTarget?: EventTarget; subscriberCapacity?: number; onListenerError?: (error: unknown) => void } = {},
) {
  const local = localTarget();
  const shared = options.eventTarget ?? local;
  const capacity = options.subscriberCapacity ?? DEFAULT_SUBSCRIBER_CAPACITY;
  const onListenerError = options.onListenerError ?? (() => {});
  const queues = new Set<ProgressQueue>();
  let droppedByClosedQueues = 0;

  function listen(target: EventTarget, topic: string, onEvent: (event: SyncProgressEvent) => void): () => void {
    // A throwing listener must not reach EventTarget, which would turn it into an uncaught exception.
    const listener = (event: Event) => {
      try {
        onEvent(revive((event as CustomEvent<SyncProgressEvent>).detail));
      } catch (error) {
        onListenerError(error);
      }
    };
    target.addEventListener(topic, listener);
    return () => target.removeEventListener(topic, listener);
  }

  function dispatch(target: EventTarget, event: SyncProgressEvent): void {
    target.dispatchEvent(new CustomEvent(jobTopic(event.jobId), { detail: event }));
    target.dispatchEvent(new CustomEvent(ALL_JOBS_TOPIC, { detail: event }));
  }

  return {
    publish(event: SyncProgressEvent): void {
      dispatch(local, event);
      if (shared !== local) dispatch(shared, event);
    },
    /** Events of one job, or of every job when `jobId` is undefined, through a bounded queue. */
    subscribe(jobId?: string): ProgressQueue {
      let unlisten = () => {};
      const queue = new ProgressQueue(capacity, () => {
        unlisten();
        queues.delete(queue);
        droppedByClosedQueues += queue.dropped;
      });
      unlisten = listen(shared, jobId === undefined ? ALL_JOBS_TOPIC : jobTopic(jobId), (event) => {
        // The job is gone: its subscriptions complete instead of waiting forever for events that cannot come.
        if ((event.kind as string) === JOB_DELETED) void queue.return();
        else queue.push(event);
      });
      queues.add(queue);
      return queue;
    },
    /** Completes every subscription to this job, on every instance sharing the target (the job was deleted). */
    jobDeleted(jobId: string): void {
      const detail = { kind: JOB_DELETED, jobId, runId: null, objectKey: null, bytesTransferred: 0, objectSize: null, status: null, at: new Date() };
      shared.dispatchEvent(new CustomEvent(jobTopic(jobId), { detail }));
    },
    /** Live subscriptions of this process, and CHUNK events dropped or coalesced for slow ones since start. */
    subscriberStats(): { subscribers: number; droppedEvents: number } {
      let dropped = droppedByClosedQueues;
      for (const queue of queues) dropped += queue.dropped;
      return { subscribers: queues.size, droppedEvents: dropped };
    },
    /** A synchronous listener for this process's own events (metrics, tests); returns the unsubscribe function. */
    on(listener: (event: SyncProgressEvent) => void, jobId?: string): () => void {
      return listen(local, jobId === undefined ? ALL_JOBS_TOPIC : jobTopic(jobId), listener);
    },
  };
}

/** Every subscription is one listener on its topic: many subscribers are the normal case, not a leak. */
function localTarget(): EventTarget {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target;
}

/** A transport that serialises events (e.g. Redis) delivers `at` as a string; observers always get a Date. */
function revive(event: SyncProgressEvent): SyncProgressEvent {
  return event.at instanceof Date ? event : { ...event, at: new Date(event.at) };
}

export type EventBus = ReturnType<typeof createEventBus>;
/** What the sync engine needs of the bus: it only publishes (its observers subscribe elsewhere). */
export type ProgressPublisher = Pick<EventBus, 'publish'>;
