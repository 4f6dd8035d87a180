import type { ObjectStatus, RunStatus } from '../../db/entities/statuses.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { Orm } from '../../db/orm.js';
import type { ProgressPublisher } from '../../events/event-bus.js';
import type { ProgressKind } from '../../events/progress-event.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { createVersionBytes } from './version-bytes.js';

/**
 * Publishes a run's progress events. Callers publish only after the matching commit; this keeps
 * each version's `bytesTransferred` from going backwards within the run (a retry stays silent until
 * it passes what was already reported). A new version (the restart after a 412) starts again from
 * its own bytes: it may be shorter than what the old one reached.
 */
export function createRunEvents(bus: ProgressPublisher, jobId: string, runId: number) {
  const reported = createVersionBytes();
  const base = { jobId, runId: String(runId) };

  return {
    object(kind: ProgressKind, object: RemoteObject, bytes: number, status: ObjectStatus, error?: string) {
      const previous = reported.reached(object);
      if (kind === 'CHUNK') {
        if (reported.advance(object, bytes) === null) return;
      } else {
        reported.forget(object.key);
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

/**
 * RUN_FINISHED for a run this process ended without executing it (the engine thread died, a gone
 * holder's run cancelled): its subscribers saw RUN_STARTED. Reads the job and bytes from its row.
 */
export async function announceRunEnd(orm: Orm, bus: ProgressPublisher, runId: number, status: RunStatus, error?: string): Promise<void> {
  const run = await orm.em.fork().findOne(SyncRun, { id: runId }, { fields: ['jobId', 'bytesDone'] });
  if (run) createRunEvents(bus, run.jobId, runId).run('RUN_FINISHED', Number(run.bytesDone), status, error);
}
