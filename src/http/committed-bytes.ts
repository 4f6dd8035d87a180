import type { EventBus } from '../events/event-bus.js';
import type { SyncProgressEvent } from '../events/progress-event.js';

/** One event of the bus, with how far it moved its object's committed prefix (CHUNK events only; else 0). */
export type CommittedBytesListener = (event: SyncProgressEvent, grown: number) => void;

/**
 * The committed prefix of each object in flight, followed once from the bus's events for every
 * metric set, so bytes are counted as that prefix grows within a run. Events do not say where a
 * resumed object started, so its first checkpoint counts from 0: exact for fresh downloads (the
 * usual case), an over-count only after a crash.
 */
export function followCommittedBytes(bus: EventBus) {
  const committed = new Map<string, { jobId: string; bytes: number }>();
  const listeners = new Set<CommittedBytesListener>();
  const keyOf = (e: SyncProgressEvent) => `${e.runId ?? ''}\u0000${e.objectKey ?? ''}`;

  const grown = (event: SyncProgressEvent): number => {
    const key = keyOf(event);
    const growth = event.bytesTransferred - (committed.get(key)?.bytes ?? 0);
    if (growth <= 0) return 0;
    committed.set(key, { jobId: event.jobId, bytes: event.bytesTransferred });
    return growth;
  };
  /** The run ended (or this process's part of it): its objects left in flight were interrupted. */
  const forgetRun = (runId: string): void => {
    for (const key of committed.keys()) if (key.startsWith(`${runId}\u0000`)) committed.delete(key);
  };

  const stop = bus.on((event) => {
    const growth = event.kind === 'CHUNK' ? grown(event) : 0;
    if (event.kind === 'OBJECT_DONE' || event.kind === 'OBJECT_FAILED' || event.kind === 'OBJECT_SKIPPED') committed.delete(keyOf(event));
    // As the bus does for its own listeners: one that throws keeps the others from missing the event.
    const failures: unknown[] = [];
    for (const listener of listeners) {
      try {
        listener(event, growth);
      } catch (error) {
        failures.push(error);
      }
    }
    if (event.kind === 'RUN_FINISHED') forgetRun(event.runId ?? '');
    if (failures.length > 0) throw failures[0];
  });

  return {
    /** Every later event, with its growth; returns the unsubscribe. */
    on(listener: CommittedBytesListener): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    /** A helper's part of another instance's run ended: that run's RUN_FINISHED never reaches this process. */
    helpEnded(runId: number): void {
      forgetRun(String(runId));
    },
    /** The job of each object in flight (from its first committed chunk to its end). */
    *inFlightJobs(): Iterable<string> {
      for (const { jobId } of committed.values()) yield jobId;
    },
    stop,
  };
}

export type CommittedBytes = ReturnType<typeof followCommittedBytes>;
