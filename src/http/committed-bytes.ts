import type { SyncProgressEvent } from '../events/progress-event.js';

/**
 * The committed prefix of each object in flight, from the bus's CHUNK events, so bytes are counted
 * as that prefix grows within a run. Events do not say where a resumed object started, so its first
 * checkpoint counts from 0: exact for fresh downloads (the usual case), an over-count only after a crash.
 */
export function createCommittedBytes() {
  const committed = new Map<string, { jobId: string; bytes: number }>();
  const keyOf = (e: SyncProgressEvent) => `${e.runId ?? ''}\u0000${e.objectKey ?? ''}`;
  return {
    /** How far a CHUNK event moved its object's committed prefix (0 when it did not). */
    grown(event: SyncProgressEvent): number {
      const key = keyOf(event);
      const growth = event.bytesTransferred - (committed.get(key)?.bytes ?? 0);
      if (growth <= 0) return 0;
      committed.set(key, { jobId: event.jobId, bytes: event.bytesTransferred });
      return growth;
    },
    /** The object's OBJECT_DONE, OBJECT_FAILED or OBJECT_SKIPPED: no longer in flight. */
    ended(event: SyncProgressEvent): void {
      committed.delete(keyOf(event));
    },
    /** The run ended (or this process's part of it): its objects left in flight were interrupted. */
    forgetRun(runId: string): void {
      for (const key of committed.keys()) if (key.startsWith(`${runId}\u0000`)) committed.delete(key);
    },
    /** The job of each object in flight (from its first committed chunk to its end). */
    *inFlightJobs(): Iterable<string> {
      for (const { jobId } of committed.values()) yield jobId;
    },
  };
}
