import type { ObjectStatus, RunStatus } from '../../db/entities/statuses.js';
import type { ProgressPublisher } from '../../events/event-bus.js';
import type { ProgressKind } from '../../events/progress-event.js';
import type { RemoteObject } from '../transport/s3-connector.js';

/**
 * Publishes a run's progress events. Callers publish only after the matching commit; this keeps
 * each object's `bytesTransferred` from going backwards within the run (a restart after a 412
 * stays silent until it passes what was already reported).
 */
export function createRunEvents(bus: ProgressPublisher, jobId: string, runId: number) {
  const reported = new Map<string, number>();
  const base = { jobId, runId: String(runId) };

  return {
    object(kind: ProgressKind, object: RemoteObject, bytes: number, status: ObjectStatus, error?: string) {
      const previous = reported.get(object.key) ?? 0;
      if (kind === 'CHUNK') {
        if (bytes <= previous) return;
        reported.set(object.key, bytes);
      } else {
        reported.delete(object.key);
      }
      bus.publish({
        ...base,
        kind,
        objectKey: object.key,
        bytesTransferred: Math.max(bytes, previous),
        objectSize: object.size,
        status,
        error: error ?? null,
        at: new Date(),
      });
    },
    run(kind: 'RUN_STARTED' | 'RUN_FINISHED', bytes: number, runStatus?: RunStatus, error?: string | null) {
      bus.publish({
        ...base,
        kind,
        objectKey: null,
        bytesTransferred: bytes,
        objectSize: null,
        status: null,
        runStatus: runStatus ?? 'RUNNING',
        error: error ?? null,
        at: new Date(),
      });
    },
  };
}

export type RunEvents = ReturnType<typeof createRunEvents>;
